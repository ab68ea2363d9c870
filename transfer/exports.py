"""Exports: the Ministry's per-book Excel sheet and ZIP of scans, and the data-centre copy.

Builders here are pure with respect to the database (they read, never write) and
return bytes or write into a sink; the services in `transfer.export_services`
record jobs, check permissions and log access.

The data-centre copy is a folder (or a ZIP of the same layout):

    manifest.json     {"format": "civreg-datacentre-copy/1", "kind", "unit", "since", "created_at",
                       "records", "files": [{"path", "sha256", "size"}, ...]}
    SHA256SUMS        the same hashes in `sha256sum -c` format
    records.jsonl     one record per line: its columns, people and scans
    books.jsonl       the books those records belong to
    scans/<sha256>.pdf

`verify_copy(path)` recomputes every hash and reports what is missing, altered or unlisted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from registry.ministry_format import columns_for, record_row
from registry.models import CivilRecord, Party, RecordState, RegisterBook
from scans.models import ScanFile, current_scan
from transfer.adapters import scan_name

READY_STATES = (RecordState.APPROVED, RecordState.TRANSFERRED)
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
COPY_FORMAT = "civreg-datacentre-copy/1"


def ministry_records(book: RegisterBook) -> QuerySet[CivilRecord]:
    """The book's cases ready for the Ministry (approved or transferred), in entry order."""
    return (
        book.records.filter(state__in=READY_STATES)
        .select_related("book", "unit")
        .prefetch_related("parties", "scans")
        .order_by("entry_no", "pk")
    )


def ministry_basename(book: RegisterBook) -> str:
    codes = {"birth": "KS", "marriage": "KH", "death": "KT"}
    code = codes.get(book.event_type, book.event_type.upper())
    safe_no = "".join(ch if ch.isalnum() else "-" for ch in book.book_no)
    return f"{code}_{book.custodian.code}_{book.year}_Q{safe_no}"


def ministry_excel(*, book: RegisterBook, records: Iterable[CivilRecord]) -> bytes:
    """The Ministry sheet: the header of DESIGN.md §1 for the book's event type, one row per case."""
    columns = columns_for(book.event_type)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ministry_basename(book)[:31]
    sheet.append(columns)
    for record in records:
        row = record_row(record)
        sheet.append([row[c] for c in columns])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text typed as "=…" stays text, never a formula
                cell.data_type = "s"
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(name) + 4))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ministry_zip(*, book: RegisterBook, records: Iterable[CivilRecord]) -> tuple[bytes, list[str]]:
    """One PDF per case (its current scan) named by the naming rule; also returns cases lacking a scan."""
    buffer = io.BytesIO()
    missing: list[str] = []
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for record in records:
            scan = current_scan(record.scans.all())  # a late scan only once its check passed
            if scan is None:
                missing.append(str(record.entry_no))
                continue
            name = scan_name(record, scan)
            if name in used:  # two cases must never overwrite each other in the ZIP
                name = f"{name[:-4]}.{record.pk}.pdf"
            used.add(name)
            with scan.file.open("rb") as handle:
                archive.writestr(name, handle.read())
    return buffer.getvalue(), missing


# --- the data-centre copy ------------------------------------------------------------------


class Sink(Protocol):
    def add(self, path: str, data: bytes) -> None: ...


class DirSink:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def add(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


class ZipSink:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive

    def add(self, path: str, data: bytes) -> None:
        self.archive.writestr(path, data)


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


RECORD_FIELDS = [
    f.attname
    for f in CivilRecord._meta.concrete_fields
    if f.attname not in ("unit_path",)  # internal, recomputed from the unit
]
PARTY_FIELDS = [
    f.attname
    for f in Party._meta.concrete_fields
    if f.attname not in ("record_id", "unit_path")  # the record's, kept by the database
]


def record_document(record: CivilRecord) -> dict[str, Any]:
    """One line of records.jsonl: the record's columns, its people and its scans (by hash)."""
    doc = {name: _iso(getattr(record, name)) for name in RECORD_FIELDS}
    doc["unit_code"] = record.unit.code
    doc["parties"] = [{n: _iso(getattr(p, n)) for n in PARTY_FIELDS} for p in record.parties.all()]
    doc["scans"] = [
        {
            "path": f"scans/{s.sha256}.pdf",
            "sha256": s.sha256,
            "size": s.size,
            "pages": s.pages,
            "name": scan_name(record, s),
            "uploaded_at": _iso(s.uploaded_at),
        }
        for s in record.scans.all()
    ]
    return doc


def datacentre_records(*, unit_path: str, since: dt.datetime | None) -> QuerySet[CivilRecord]:
    records = CivilRecord.objects.filter(unit_path__startswith=unit_path)
    if since is not None:
        records = records.filter(updated_at__gte=since)
    return (
        records.select_related("unit")
        .prefetch_related("parties", Prefetch("scans", queryset=ScanFile.objects.order_by("-uploaded_at")))
        .order_by("pk")
    )


def write_datacentre_copy(
    *,
    sink: Sink,
    unit: Any,
    since: dt.datetime | None = None,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write records, books, scans and the manifest into `sink`; return the manifest.

    `progress(records written)` is called after each record (it may raise to stop the copy)."""
    files: list[dict[str, Any]] = []

    def add(path: str, data: bytes) -> None:
        sink.add(path, data)
        files.append({"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

    lines: list[bytes] = []
    book_ids: set[int] = set()
    scans_seen: set[str] = set()
    count = 0
    for record in datacentre_records(unit_path=unit.path, since=since).iterator(chunk_size=chunk):
        lines.append(json.dumps(record_document(record), ensure_ascii=False, sort_keys=True).encode())
        book_ids.add(record.book_id)
        count += 1
        if progress:
            progress(count)
        for scan in record.scans.all():
            if scan.sha256 in scans_seen:
                continue
            scans_seen.add(scan.sha256)
            with scan.file.open("rb") as handle:
                add(f"scans/{scan.sha256}.pdf", handle.read())
    add("records.jsonl", b"\n".join(lines) + (b"\n" if lines else b""))
    books = RegisterBook.objects.filter(pk__in=book_ids).select_related("custodian").order_by("pk")
    book_lines = [
        json.dumps(
            {
                **{f.attname: _iso(getattr(b, f.attname)) for f in RegisterBook._meta.concrete_fields},
                "custodian_code": b.custodian.code,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        for b in books
    ]
    add("books.jsonl", b"\n".join(book_lines) + (b"\n" if book_lines else b""))
    manifest = {
        "format": COPY_FORMAT,
        "kind": "incremental" if since else "full",
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "since": _iso(since),
        "created_at": timezone.now().isoformat(),
        "records": count,
        "files": sorted(files, key=lambda f: f["path"]),
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    sink.add(MANIFEST, manifest_bytes)
    sink.add(SUMS, "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["files"]).encode())
    manifest["manifest_sha256"] = hashlib.sha256(manifest_bytes).hexdigest()
    return manifest


# --- verification --------------------------------------------------------------------------


class _Copy:
    """Read a copy from a folder or a ZIP."""

    def __init__(self, path: Path):
        self.path = path
        self.archive = zipfile.ZipFile(path) if path.is_file() else None

    def names(self) -> set[str]:
        if self.archive is not None:
            return {n for n in self.archive.namelist() if not n.endswith("/")}
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    def read(self, name: str) -> bytes | None:
        try:
            if self.archive is not None:
                return self.archive.read(name)
            target = self.path / name
            return target.read_bytes() if target.is_file() else None
        except KeyError:
            return None


def verify_copy(path: Path, *, manifest_sha256: str = "") -> list[str]:
    """Every problem of a data-centre copy against its manifest; an empty list means intact.

    With `manifest_sha256` (printed at export, kept in the export job), a manifest
    rewritten to match altered files is caught too.
    """
    if not path.exists():
        return [f"{path} does not exist."]
    try:
        copy = _Copy(path)
    except zipfile.BadZipFile:
        return [f"{path} is neither a folder nor a ZIP file."]
    raw = copy.read(MANIFEST)
    if raw is None:
        return [f"{MANIFEST} is missing: this is not a data-centre copy, or it is incomplete."]
    problems: list[str] = []
    if manifest_sha256 and hashlib.sha256(raw).hexdigest() != manifest_sha256:
        problems.append(f"{MANIFEST} is not the one produced by the export (its SHA-256 differs).")
    try:
        manifest = json.loads(raw)
        listed = {f["path"]: f for f in manifest["files"]}
    except (ValueError, KeyError, TypeError):
        return [*problems, f"{MANIFEST} cannot be read."]
    if manifest.get("format") != COPY_FORMAT:
        problems.append(f"Unknown format {manifest.get('format')!r}; expected {COPY_FORMAT}.")
    for name, entry in sorted(listed.items()):
        data = copy.read(name)
        if data is None:
            problems.append(f"{name}: missing.")
        elif len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{name}: altered (SHA-256 or size differs from the manifest).")
    for name in sorted(copy.names() - set(listed) - {MANIFEST, SUMS}):
        problems.append(f"{name}: not listed in the manifest.")
    sums = copy.read(SUMS)
    expected_sums = "".join(f"{listed[n]['sha256']}  {n}\n" for n in sorted(listed)).encode()
    if sums is not None and sums != expected_sums:
        problems.append(f"{SUMS} does not match the manifest.")
    records = copy.read("records.jsonl")
    if records is not None and "records.jsonl" in listed:
        lines = [line for line in records.splitlines() if line.strip()]
        if len(lines) != manifest.get("records"):
            problems.append(
                f"records.jsonl has {len(lines)} records; the manifest says {manifest.get('records')}."
            )
    return problems
