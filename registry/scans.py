"""Scans of cases: storing them clean and small, naming them, splitting books, matching batches.

The PDF machinery itself (checks, rebuilding, compression under the legibility rule,
page images) is pure and lives in `printing.scan_pdf`; this module decides what is kept,
for which case, by whom, and writes the audit rows.

Rules kept here:
- A case's scan is stored only while the case is collected, scanned or entered; after
  attach it changes only through a return to scanning.
- The bytes as uploaded are hashed (`original_sha256`): the same file uploaded again
  for the same case is recognized and not stored twice; the same file on another case
  is stored (one page of a book can hold several cases) and the user is told.
- Files live in the default storage (the project's data folder, or S3-compatible
  storage when configured) under names made of ids and hashes, never of user input.
- At attach the scan gets its canonical name (`scan_canonical_name`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_change
from permissions.scoping import can, records_visible_to
from printing import scan_pdf
from registry.models import (
    EVENT_PARTY_ROLES,
    SUBJECT_ROLES,
    BookScan,
    CivilRecord,
    EventType,
    ItemStatus,
    JobStatus,
    PartyRole,
    RecordState,
    RegisterBook,
    ScanBatch,
    ScanBatchItem,
    ScanFile,
    ScanSource,
    ScanSplitItem,
    ScanSplitJob,
    Sex,
)
from registry.names import name_key

STORABLE_STATES = (RecordState.COLLECTED, RecordState.SCANNED, RecordState.ENTERED)
SPLIT_STALE_AFTER = dt.timedelta(minutes=30)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_upload_bytes() -> int:
    return _setting("SCAN_UPLOAD_MAX_MB", 50) * 1024 * 1024


def max_book_upload_bytes() -> int:
    return _setting("SCAN_BOOK_UPLOAD_MAX_MB", 2048) * 1024 * 1024


def max_case_pages() -> int:
    return _setting("SCAN_MAX_PAGES_PER_CASE", 20)


def max_book_pages() -> int:
    return _setting("SCAN_BOOK_MAX_PAGES", 3000)


def budget_kb() -> int:
    return _setting("SCAN_MAX_KB_PER_PAGE", 100)


def pdf_check(content: bytes) -> int:
    """Return the page count of a PDF that opens, is complete, not encrypted and has pages; else refuse."""
    if len(content) > max_upload_bytes():
        raise _too_large(len(content), max_upload_bytes())
    if scan_pdf.sniff_kind(content[:2048]) != "pdf":
        raise ValidationError(
            _("This is not a PDF file. Upload the scan as PDF, JPEG, PNG or TIFF."), code="not_pdf"
        )
    pdf = scan_pdf.pdf_open(content, max_pages=max_case_pages())
    try:
        return len(pdf.pages)
    finally:
        pdf.close()


def _too_large(size: int, limit: int) -> ValidationError:
    return ValidationError(
        _(
            "The file is %(size)d MB; at most %(mb)d MB are accepted. Scan the case again at "
            "200 dpi in grayscale, or split the file."
        )
        % {"size": size // (1024 * 1024), "mb": limit // (1024 * 1024)},
        code="too_large",
    )


def scan_prepare(*, content: bytes, original_name: str = "") -> scan_pdf.CleanScan:
    """Check an upload and rebuild it as a clean PDF within the per-page budget (see printing.scan_pdf)."""
    if len(content) > max_upload_bytes():
        raise _too_large(len(content), max_upload_bytes())
    return scan_pdf.scan_clean(
        content, max_pages=max_case_pages(), budget_kb=budget_kb(), name=safe_name(original_name)
    )


def safe_name(name: str) -> str:
    """The last path component of a name a browser sent, without control characters; for display only."""
    base = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base).strip()[-255:]


@transaction.atomic
def scan_store(
    *,
    record: CivilRecord,
    actor: Any,
    content: bytes,
    original_name: str = "",
    source: str = ScanSource.UPLOAD,
) -> ScanFile:
    """Check, clean and compress an upload and keep it as the record's current scan (older ones stay).

    Refuses what `scan_prepare` refuses, a record that is past entry or closed, an actor
    without the scan permission on the record's unit, and (code "same_file") the very
    file that is already this case's scan.
    """
    clean = scan_prepare(content=content, original_name=original_name)
    return scan_keep(
        record=record,
        actor=actor,
        clean=clean,
        original_sha256=hashlib.sha256(content).hexdigest(),
        original_name=original_name,
        source=source,
    )


@transaction.atomic
def scan_keep(
    *,
    record: CivilRecord | int,
    actor: Any,
    clean: scan_pdf.CleanScan,
    original_sha256: str,
    original_name: str = "",
    source: str = ScanSource.UPLOAD,
) -> ScanFile:
    """Keep an already cleaned scan for the record; refusals as in `scan_store`."""
    record = (
        CivilRecord.objects.select_for_update()
        .select_related("unit")
        .get(pk=record.pk if isinstance(record, CivilRecord) else record)
    )
    if actor is not None and not can(actor, "scan_record", record.unit_path):
        raise ValidationError(
            _("Your roles do not allow scanning records of %(unit)s.") % {"unit": record.unit.name},
            code="not_permitted",
        )
    if record.state not in STORABLE_STATES:
        raise ValidationError(
            _(
                "This case is “%(state)s”: its scan can no longer be replaced. If the scan is wrong, "
                "return the case to scanning first."
            )
            % {"state": record.get_state_display()},
            code="not_storable",
        )
    digest = hashlib.sha256(clean.content).hexdigest()
    same = record.scans.filter(Q(original_sha256=original_sha256) | Q(sha256=digest)).first()
    if same is not None:
        raise ValidationError(
            _("This file is already the scan of this case (stored %(when)s). Nothing was changed.")
            % {"when": timezone.localtime(same.uploaded_at).strftime("%d/%m/%Y %H:%M")},
            code="same_file",
        )
    scan = ScanFile(
        record=record,
        sha256=digest,
        original_sha256=original_sha256,
        size=len(clean.content),
        pages=clean.page_count,
        original_name=safe_name(original_name),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        processing=clean.summary(),
    )
    scan.file.save(f"{digest[:16]}.pdf", ContentFile(clean.content), save=False)
    scan.save()
    audit_change(
        action="scan_upload",
        actor=actor,
        unit_id=record.unit_id,
        obj=scan,
        record_id=record.pk,
        changes={
            "sha256": digest,
            "original_sha256": original_sha256,
            "pages": scan.pages,
            "size": scan.size,
            "source": source,
            "removed": clean.removed,
        },
    )
    return scan


def scans_same_file(scan: ScanFile, user: Any) -> QuerySet[CivilRecord]:
    """Other cases the user can see whose scans are the same file as `scan`."""
    return (
        records_visible_to(user)
        .filter(
            Q(scans__original_sha256=scan.original_sha256) | Q(scans__sha256=scan.sha256),
        )
        .exclude(pk=scan.record_id)
        .select_related("book")
        .distinct()
    )


def scan_outcome_message(scan: ScanFile, user: Any) -> list[str]:
    """What the user should be told after a scan was stored: size, what was removed, look-alikes."""
    info = scan.processing or {}
    pages = info.get("pages", [])
    lowest = min((p["dpi"] for p in pages), default=0)
    lines = [
        _("Scan stored: %(n)d page(s), %(kb)d KB (%(per)d KB a page), at least %(dpi)d dpi.")
        % {
            "n": scan.pages,
            "kb": scan.size // 1024 + 1,
            "per": scan.size // max(1, scan.pages) // 1024 + 1,
            "dpi": lowest,
        }
    ]
    if info.get("removed"):
        lines.append(
            _("Removed from the file (it could run code or hide data): %(what)s.")
            % {"what": ", ".join(info["removed"])}
        )
    lines.extend(info.get("notes", []))
    others = list(scans_same_file(scan, user)[:5])
    if others:
        lines.append(
            _(
                "The same file is also the scan of: %(cases)s. "
                "Check that this is intended (several cases on one page)."
            )
            % {"cases": "; ".join(f"{r.book} – {_('no.')} {r.entry_no}" for r in others)}
        )
    return lines


# --- the naming rule -------------------------------------------------------------------

EVENT_CODES: dict[str, str] = {
    EventType.BIRTH: "KS",
    EventType.MARRIAGE: "KH",
    EventType.DEATH: "KT",
    EventType.PARENTAGE: "CMC",
    EventType.GUARDIANSHIP: "GH",
    EventType.GUARDIANSHIP_END: "CDGH",
    EventType.AMENDMENT: "TDCC",
    EventType.DIVORCE_NOTE: "GCLH",
    EventType.MARITAL_STATUS: "XNHN",
    EventType.ADOPTION: "NCN",
}
CODE_EVENTS = {code: event for event, code in EVENT_CODES.items()}
SEX_CODES: dict[int, str] = {Sex.MALE: "Nam", Sex.FEMALE: "Nu", Sex.UNDETERMINED: "KXD"}
TWO_PERSON_EVENTS = (EventType.MARRIAGE, EventType.DIVORCE_NOTE)


def _ascii_word(text: str) -> str:
    """'Nguyễn Văn An' -> 'NguyenVanAn' (no diacritics, đ -> d, only letters)."""
    return "".join(part.capitalize() for part in re.split(r"[^a-z]+", name_key(text)) if part)


def _book_token(book_no: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name_key(book_no)).strip("-").upper() or "0"


def scan_canonical_name(record: CivilRecord) -> str:
    """The file name of a case's scan by the naming rule.

    ``<event code>.<book year>.<book number>.<entry number, 4 digits>.<name>.<sex>.pdf``,
    e.g. ``KS.2020.01.0005.NguyenVanAn.Nam.pdf``: codes KS birth, KH marriage, KT death,
    CMC parentage, GH guardianship, CDGH end of guardianship, TDCC amendment, GCLH
    divorce notation, XNHN marital status, NCN adoption; the name of the person
    registered (marriage and divorce: husband-wife) without diacritics; sex Nam / Nu /
    KXD. A part with no data is left out, so an unentered slot is
    ``KS.2020.01.0005.pdf``.
    """
    parts = [
        EVENT_CODES.get(record.event_type, "HT"),
        str(record.book.year),
        _book_token(record.book.book_no),
        f"{record.entry_no:04d}",
    ]
    parties = {p.role: p for p in record.parties.all()}
    if record.event_type in TWO_PERSON_EVENTS:
        names = [
            _ascii_word(parties[r].full_name) for r in (PartyRole.HUSBAND, PartyRole.WIFE) if r in parties
        ]
        if any(names):
            parts.append("-".join(n for n in names if n))
    else:
        roles = [r for r in EVENT_PARTY_ROLES.get(record.event_type, ()) if r in SUBJECT_ROLES] or list(
            EVENT_PARTY_ROLES.get(record.event_type, ())[:1]
        )
        person = next((parties[r] for r in roles if r in parties and parties[r].full_name), None)
        if person is not None:
            parts.append(_ascii_word(person.full_name))
            if person.sex in SEX_CODES:
                parts.append(SEX_CODES[person.sex])
    return ".".join(p for p in parts if p) + ".pdf"


def scan_name_on_attach(record: CivilRecord, event: str, actor: Any) -> None:
    """Transition hook: at attach, the current scan takes its canonical name (inside the transaction)."""
    if event != "attach":
        return
    scan = record.scans.first()
    if scan is None:
        return
    name = scan_canonical_name(record)
    if scan.canonical_name == name:
        return
    # No audit row of its own: the name follows from the data at attach, which the attach row records.
    scan.canonical_name = name
    scan.save(update_fields=["canonical_name"])


def scan_download_name(scan: ScanFile) -> str:
    """The name a download carries: the canonical one, or the rule applied to what is known now."""
    return scan.canonical_name or scan_canonical_name(scan.record)


_RULE_NAME = re.compile(
    r"^(?P<code>[A-Za-z]{2,4})\.(?P<year>\d{4})\.(?P<book>[A-Za-z0-9-]+)\.(?P<entry>\d{1,6})"
    r"(?:\.(?P<name>[A-Za-z-]+))?(?:\.(?P<sex>Nam|Nu|KXD))?\.(?:pdf|jpe?g|png|tiff?)$",
    re.IGNORECASE,
)
_LOOSE_NAME = re.compile(
    r"^(?:(?P<book>[A-Za-z0-9]+?)[ ._-]+)?(?P<entry>\d{1,6})\.(?:pdf|jpe?g|png|tiff?)$", re.IGNORECASE
)


@dataclass(frozen=True)
class ParsedName:
    entry_no: int
    book_no: str = ""
    event_type: str = ""
    year: int | None = None
    name: str = ""


def scan_name_parse(filename: str) -> ParsedName | None:
    """Read the case a file is named for: the full rule, or ``<book>_<entry>`` / ``<entry>`` loosely."""
    base = safe_name(filename)
    match = _RULE_NAME.match(base)
    if match and match["code"].upper() in CODE_EVENTS:
        return ParsedName(
            entry_no=int(match["entry"]),
            book_no=match["book"],
            event_type=CODE_EVENTS[match["code"].upper()],
            year=int(match["year"]),
            name=match["name"] or "",
        )
    match = _LOOSE_NAME.match(base)
    if match:
        return ParsedName(entry_no=int(match["entry"]), book_no=match["book"] or "")
    return None


def scan_match_candidates(
    parsed: ParsedName, *, user: Any, book: RegisterBook | None = None
) -> list[CivilRecord]:
    """Open cases the user may scan that a parsed name points to (several means ambiguous)."""
    records = (
        records_visible_to(user, "scan_record")
        .filter(entry_no=parsed.entry_no)
        .exclude(state__in=[RecordState.REJECTED, RecordState.DUPLICATE])
    )
    if book is not None:
        records = records.filter(book=book)
    elif not parsed.book_no:
        return []
    if parsed.event_type:
        records = records.filter(event_type=parsed.event_type)
    if parsed.year:
        records = records.filter(book__year=parsed.year)
    found = list(records.select_related("book", "unit").prefetch_related("parties")[:20])
    if parsed.book_no:
        token = _book_token(parsed.book_no)
        found = [r for r in found if _book_token(r.book.book_no) == token]
    return found


# --- whole-book scans --------------------------------------------------------------------


def _spool(upload: Any) -> tuple[Path, str, int, bool]:
    """A local path holding the upload, its SHA-256 and size (read in chunks, never all in memory)."""
    digest = hashlib.sha256()
    size = 0
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        local, owned = Path(upload.temporary_file_path()), False
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
        return local, digest.hexdigest(), size, owned
    handle = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)  # noqa: SIM115 - removed by caller
    with handle:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    return Path(handle.name), digest.hexdigest(), size, True


@transaction.atomic
def book_scan_upload(*, book: RegisterBook, actor: Any, upload: Any, original_name: str = "") -> BookScan:
    """Keep a whole book's PDF after the open checks (complete, not encrypted, page count and sizes).

    Active content is noted and never copied: the cases cut from it are rebuilt page by page.
    Refuses an actor without the scan permission on the book's unit, a file over the book
    upload limit, and (code "same_file") a file already uploaded for this book.
    """
    if not can(actor, "scan_record", book.custodian.path):
        raise ValidationError(
            _("Your roles do not allow scanning books of %(unit)s.") % {"unit": book.custodian.name},
            code="not_permitted",
        )
    local, digest, size, owned = _spool(upload)
    try:
        if size > max_book_upload_bytes():
            raise _too_large(size, max_book_upload_bytes())
        with open(local, "rb") as fh:
            if scan_pdf.sniff_kind(fh.read(2048)) != "pdf":
                raise ValidationError(
                    _("A whole-book scan must be one PDF file. Save it from the scanner program as PDF."),
                    code="not_pdf",
                )
        existing = book.scan_uploads.filter(sha256=digest).first()
        if existing is not None:
            raise ValidationError(
                _("This file was already uploaded for this book on %(when)s; use that upload.")
                % {"when": timezone.localtime(existing.uploaded_at).strftime("%d/%m/%Y %H:%M")},
                code="same_file",
            )
        pages, active = scan_pdf.pdf_summary(local, max_pages=max_book_pages())
        book_scan = BookScan(
            book=book,
            sha256=digest,
            size=size,
            pages=pages,
            active_content=active,
            original_name=safe_name(original_name),
            uploaded_by=actor,
        )
        with open(local, "rb") as fh:
            book_scan.file.save("book.pdf", File(fh), save=False)
        book_scan.save()
    finally:
        if owned:
            local.unlink(missing_ok=True)
    audit_change(
        action="book_scan_upload",
        actor=actor,
        unit_id=book.custodian_id,
        obj=book_scan,
        changes={"sha256": digest, "pages": pages, "size": size, "active_content": active},
    )
    return book_scan


def local_copy(field_file: Any, sha256: str, suffix: str = ".pdf") -> Path:
    """A local file path for a stored file (itself on disk storage; a cached copy from S3)."""
    try:
        return Path(field_file.path)
    except NotImplementedError:
        pass
    cache = Path(settings.DATA_DIR) / "cache" / "files"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{sha256}{suffix}"
    if not target.exists():
        partial = target.with_suffix(".part")
        with field_file.open("rb") as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        partial.replace(target)
    return target


@dataclass(frozen=True)
class SplitRange:
    record: CivilRecord
    first_page: int
    last_page: int


_RANGE_LINE = re.compile(r"^\s*(\d+)\s*[:;,\t ]\s*(\d+)\s*(?:[-–,;\t ]\s*(\d+))?\s*$")


def split_ranges_parse(text: str, *, book_scan: BookScan) -> list[SplitRange]:
    """Parse ranges, one case a line: ``entry: first-last`` or CSV ``entry_no,first_page,last_page``.

    A header line and blank lines are skipped. Every problem is reported at once with its
    line number. Pages may be shared by consecutive cases (a page often holds several).
    """
    rows: list[tuple[int, int, int, int]] = []
    errors: list[str] = []
    lines = list(csv.reader(io.StringIO(text))) if "," in text and ":" not in text else None
    raw_lines = [",".join(cells) for cells in lines] if lines is not None else text.splitlines()
    for number, line in enumerate(raw_lines, start=1):
        if not line.strip() or (number == 1 and re.search(r"[A-Za-z]", line)):
            continue
        match = _RANGE_LINE.match(line)
        if not match:
            errors.append(
                _(
                    "Line %(n)d (“%(line)s”): write the entry number, then the first and last page, "
                    "e.g. “12: 5-6”."
                )
                % {"n": number, "line": line.strip()[:60]}
            )
            continue
        entry, first = int(match[1]), int(match[2])
        last = int(match[3]) if match[3] else first
        if not 1 <= first <= last <= book_scan.pages:
            errors.append(
                _("Line %(n)d: pages %(a)d–%(b)d are not within the scan's %(pages)d pages.")
                % {"n": number, "a": first, "b": last, "pages": book_scan.pages}
            )
            continue
        if last - first + 1 > max_case_pages():
            errors.append(
                _("Line %(n)d: %(k)d pages for one case; at most %(max)d.")
                % {"n": number, "k": last - first + 1, "max": max_case_pages()}
            )
            continue
        rows.append((number, entry, first, last))
    records = {
        r.entry_no: r
        for r in book_scan.book.records.exclude(state__in=[RecordState.REJECTED, RecordState.DUPLICATE])
    }
    seen: dict[int, int] = {}
    ranges: list[SplitRange] = []
    for number, entry, first, last in rows:
        if entry in seen:
            errors.append(
                _("Line %(n)d: entry %(e)d is already given on line %(m)d.")
                % {"n": number, "e": entry, "m": seen[entry]}
            )
            continue
        seen[entry] = number
        if entry not in records:
            errors.append(
                _("Line %(n)d: the book has no open case with entry number %(e)d.")
                % {"n": number, "e": entry}
            )
            continue
        ranges.append(SplitRange(records[entry], first, last))
    if errors:
        raise ValidationError(errors, code="bad_ranges")
    if not ranges:
        raise ValidationError(_("Give at least one case and its pages."), code="no_ranges")
    return ranges


@transaction.atomic
def split_job_create(*, book_scan: BookScan, actor: Any, ranges: list[SplitRange]) -> ScanSplitJob:
    """Plan cutting the book scan into one PDF per case and enqueue it (the job commits with the plan)."""
    book = book_scan.book
    if not can(actor, "scan_record", book.custodian.path):
        raise ValidationError(_("Your roles do not allow scanning books of this unit."), code="not_permitted")
    job = ScanSplitJob.objects.create(book_scan=book_scan, created_by=actor)
    ScanSplitItem.objects.bulk_create(
        ScanSplitItem(job=job, record=r.record, first_page=r.first_page, last_page=r.last_page)
        for r in ranges
    )
    audit_change(
        action="book_split_start",
        actor=actor,
        unit_id=book.custodian_id,
        obj=job,
        changes={"book_scan": book_scan.pk, "cases": len(ranges)},
    )
    _enqueue_split(job.pk)
    return job


def _enqueue_split(job_id: int) -> None:
    from registry.tasks import book_split_task

    book_split_task.enqueue(job_id)


@transaction.atomic
def split_job_resume(*, job: ScanSplitJob, actor: Any) -> ScanSplitJob:
    """Restart a stopped split: cases already stored are kept, the waiting ones are done.

    Refused while the job is running or finished without waiting cases.
    """
    job = ScanSplitJob.objects.select_for_update().select_related("book_scan__book__custodian").get(pk=job.pk)
    if not can(actor, "scan_record", job.book_scan.book.custodian.path):
        raise ValidationError(_("Your roles do not allow scanning books of this unit."), code="not_permitted")
    # A worker killed mid-job leaves it "running": after a quiet spell it may be resumed.
    stale = job.started_at is not None and timezone.now() - job.started_at > SPLIT_STALE_AFTER
    if job.status == JobStatus.RUNNING and not stale:
        raise ValidationError(
            _("The split is running; wait for it to finish, or resume it after %(min)d minutes if it stalls.")
            % {"min": SPLIT_STALE_AFTER.seconds // 60},
            code="running",
        )
    if not job.items.filter(status=ItemStatus.PENDING).exists():
        raise ValidationError(_("Every case of this split is already processed."), code="nothing_left")
    job.status = JobStatus.PENDING
    job.error = ""
    job.save(update_fields=["status", "error"])
    audit_change(action="book_split_resume", actor=actor, unit_id=job.book_scan.book.custodian_id, obj=job)
    _enqueue_split(job.pk)
    return job


def split_job_run(job_id: int) -> dict[str, int]:
    """Cut each waiting case out of the book scan and store it; each case commits on its own.

    A case whose pages are refused (illegible at the limit, damaged) is marked refused with
    the reason and the job goes on; an unexpected error stops the job as failed, keeping
    every case stored so far, and `split_job_resume` continues from there.
    """
    with transaction.atomic():
        job = ScanSplitJob.objects.select_for_update().select_related("book_scan__book").get(pk=job_id)
        if job.status in (JobStatus.DONE, JobStatus.RUNNING):
            return {"skipped": 1}
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    book_scan = job.book_scan
    counts = {"done": 0, "refused": 0}
    try:
        source = local_copy(book_scan.file, book_scan.sha256)
        for item in job.items.filter(status=ItemStatus.PENDING).select_related("record").order_by("id"):
            _split_one(job, item, source)
            counts["done" if item.status == ItemStatus.DONE else "refused"] += 1
    except Exception as exc:
        ScanSplitJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ScanSplitJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now())
    return counts


def _split_one(job: ScanSplitJob, item: ScanSplitItem, source: Path) -> None:
    from workflows.machine import TransitionRefused
    from workflows.services import record_scan

    pages = list(range(item.first_page, item.last_page + 1))
    key = hashlib.sha256(
        f"{job.book_scan.sha256}:{item.first_page}-{item.last_page}:{item.record_id}".encode()
    ).hexdigest()
    try:
        clean = scan_pdf.pdf_extract_clean(source, pages, budget_kb=budget_kb(), max_pages=max_book_pages())
        with transaction.atomic():
            scan = scan_keep(
                record=item.record_id,
                actor=job.created_by,
                clean=clean,
                original_sha256=key,
                original_name=f"{job.book_scan.original_name} p. {item.first_page}-{item.last_page}",
                source=ScanSource.BOOK_SPLIT,
            )
            if CivilRecord.objects.get(pk=item.record_id).state == RecordState.COLLECTED:
                record_scan(record=item.record_id, actor=job.created_by)
    except ValidationError as exc:
        if exc.code == "same_file":
            item.status, item.message = ItemStatus.DONE, exc.messages[0]
            item.scan = ScanFile.objects.filter(record_id=item.record_id, original_sha256=key).first()
        else:
            item.status, item.message = ItemStatus.REFUSED, " ".join(exc.messages)
    except TransitionRefused as exc:
        item.status, item.message = ItemStatus.REFUSED, str(exc)
    else:
        item.status, item.scan, item.message = ItemStatus.DONE, scan, ""
    item.save(update_fields=["status", "scan", "message"])


def split_job_progress(job: ScanSplitJob) -> dict[str, Any]:
    counts = {s: 0 for s in ItemStatus.values}
    for status in job.items.values_list("status", flat=True):
        counts[status] += 1
    total = sum(counts.values())
    finished = total - counts[ItemStatus.PENDING]
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "total": total,
        "finished": finished,
        "done": counts[ItemStatus.DONE],
        "refused": counts[ItemStatus.REFUSED],
        "percent": round(100 * finished / total) if total else 100,
        "error": job.error,
    }


# --- named batches --------------------------------------------------------------------------


@transaction.atomic
def batch_create(
    *, actor: Any, files: list[tuple[str, bytes]], book: RegisterBook | None = None
) -> ScanBatch:
    """Stage a batch of named files and enqueue matching them to their cases.

    Refuses an actor who may scan nowhere, and files over the upload limit (listed by name).
    """
    from permissions.scoping import scopes_with

    scopes = scopes_with(actor, "scan_record")
    if book is not None:
        unit = book.custodian
        if not can(actor, "scan_record", unit.path):
            raise ValidationError(
                _("Your roles do not allow scanning books of this unit."), code="not_permitted"
            )
    elif scopes:
        from registry.models import AdministrativeUnit

        unit = AdministrativeUnit.objects.get(pk=min(scopes, key=lambda s: len(s.unit_path)).unit_id)
    else:
        raise ValidationError(_("Your roles do not allow scanning."), code="not_permitted")
    too_big = [name for name, content in files if len(content) > max_upload_bytes()]
    if too_big:
        raise ValidationError(
            _("These files are over %(mb)d MB: %(names)s. Scan them again at a lower resolution.")
            % {"mb": max_upload_bytes() // (1024 * 1024), "names": ", ".join(too_big)},
            code="too_large",
        )
    batch = ScanBatch.objects.create(unit=unit, book=book, created_by=actor)
    for name, content in files:
        item = ScanBatchItem(
            batch=batch, original_name=safe_name(name), sha256=hashlib.sha256(content).hexdigest()
        )
        item.file.save("staged.bin", ContentFile(content), save=False)
        item.save()
    audit_change(
        action="scan_batch_upload",
        actor=actor,
        unit_id=unit.pk,
        obj=batch,
        changes={"files": len(files), "book": book.pk if book else None},
    )
    from registry.tasks import scan_batch_task

    scan_batch_task.enqueue(batch.pk)
    return batch


def batch_run(batch_id: int) -> dict[str, int]:
    """Clean each staged file, match it by its name and store it on its case; list the rest.

    A file that matches one case is stored on it (and the case marked scanned); a file
    that matches none, or several, or whose name disagrees with the entered data, stays
    staged (cleaned) for a person to settle; a refused file keeps its reason.
    """
    batch = ScanBatch.objects.select_related("book", "created_by").get(pk=batch_id)
    ScanBatch.objects.filter(pk=batch_id).update(status=JobStatus.RUNNING)
    counts = {s: 0 for s in ItemStatus.values}
    try:
        for item in batch.items.filter(status=ItemStatus.PENDING).order_by("id"):
            _batch_one(batch, item)
            counts[item.status] += 1
    except Exception as exc:
        ScanBatch.objects.filter(pk=batch_id).update(status=JobStatus.FAILED)
        raise exc
    ScanBatch.objects.filter(pk=batch_id).update(status=JobStatus.DONE)
    return counts


def _batch_one(batch: ScanBatch, item: ScanBatchItem) -> None:
    actor = batch.created_by
    with item.file.open("rb") as fh:
        content = fh.read()
    try:
        clean = scan_prepare(content=content, original_name=item.original_name)
    except ValidationError as exc:
        item.status, item.message = ItemStatus.REFUSED, " ".join(exc.messages)
        item.file.delete(save=False)
        item.save(update_fields=["status", "message", "file"])
        return
    parsed = scan_name_parse(item.original_name)
    candidates = scan_match_candidates(parsed, user=actor, book=batch.book) if parsed else []
    if parsed and len(candidates) == 1 and parsed.name:
        entered = scan_canonical_name(candidates[0]).split(".")
        if len(entered) > 5 and entered[4].lower() != parsed.name.lower():
            item.status = ItemStatus.AMBIGUOUS
            item.message = _("The name in the file (%(file)s) differs from the entered data (%(data)s).") % {
                "file": parsed.name,
                "data": entered[4],
            }
            item.candidates = [candidates[0].pk]
            _restage(item, clean)
            return
    if len(candidates) == 1:
        _batch_attach(item, candidates[0], clean, actor)
        return
    item.candidates = [c.pk for c in candidates]
    if not parsed:
        item.status = ItemStatus.UNMATCHED
        item.message = _(
            "The name follows neither the naming rule (e.g. KS.2020.01.0005.NguyenVanAn.Nam.pdf) "
            "nor book_entry (e.g. 01_5.pdf)."
        )
    elif not candidates:
        item.status = ItemStatus.UNMATCHED
        item.message = _("No open case you may scan has this book and entry number.")
    else:
        item.status = ItemStatus.AMBIGUOUS
        item.message = _("%(n)d cases match this name; choose one.") % {"n": len(candidates)}
    _restage(item, clean)


def _restage(item: ScanBatchItem, clean: scan_pdf.CleanScan) -> None:
    item.file.delete(save=False)
    item.file.save("staged.bin", ContentFile(clean.content), save=False)
    item.save(update_fields=["status", "message", "candidates", "file"])


def _batch_attach(item: ScanBatchItem, record: CivilRecord, clean: scan_pdf.CleanScan, actor: Any) -> None:
    from workflows.machine import TransitionRefused
    from workflows.services import record_scan

    try:
        with transaction.atomic():
            scan = scan_keep(
                record=record,
                actor=actor,
                clean=clean,
                original_sha256=item.sha256,
                original_name=item.original_name,
                source=ScanSource.BATCH,
            )
            if CivilRecord.objects.get(pk=record.pk).state == RecordState.COLLECTED:
                record_scan(record=record.pk, actor=actor)
    except (ValidationError, TransitionRefused) as exc:
        item.status = ItemStatus.REFUSED
        item.message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        item.record = record
        _restage(item, clean)
        item.save(update_fields=["record"])
        return
    item.status, item.record, item.scan, item.message = ItemStatus.DONE, record, scan, ""
    item.file.delete(save=False)
    item.save(update_fields=["status", "record", "scan", "message", "file"])


def batch_item_settle(*, item: ScanBatchItem, record: CivilRecord, actor: Any) -> ScanBatchItem:
    """A person says which case a staged file belongs to: store it there (refusals as `scan_store`)."""
    if item.status not in (ItemStatus.UNMATCHED, ItemStatus.AMBIGUOUS, ItemStatus.REFUSED) or not item.file:
        raise ValidationError(_("This file is already settled."), code="settled")
    with item.file.open("rb") as fh:
        content = fh.read()
    clean = scan_pdf.CleanScan(
        content=content,
        pages=[],
        kind="pdf",
        notes=[_("matched by %(user)s") % {"user": actor.get_username()}],
    )
    clean.pages = _pages_of(content)
    with transaction.atomic():
        _batch_attach(item, record, clean, actor)
    if item.status != ItemStatus.DONE:
        raise ValidationError(item.message, code="refused")
    return item


def _pages_of(content: bytes) -> list[scan_pdf.PageResult]:
    """Page facts of a PDF the pipeline already built (for a staged, cleaned file)."""
    import pikepdf

    results = []
    with pikepdf.open(io.BytesIO(content)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            image = next(iter(page.obj.Resources.XObject.values()))
            width_in = float(page.mediabox[2]) / scan_pdf.PT_PER_INCH
            results.append(
                scan_pdf.PageResult(
                    number,
                    int(image.Width),
                    int(image.Height),
                    int(int(image.Width) / width_in),
                    None,
                    image.ColorSpace == pikepdf.Name.DeviceRGB,
                    len(image.read_raw_bytes()),
                )
            )
    return results


# --- page images -------------------------------------------------------------------------------


def page_image_cached(*, field_file: Any, sha256: str, number: int, width: int) -> bytes:
    """A page image from the cache folder, drawn on first request (`printing.scan_pdf.page_image`)."""
    width = 1600 if width > 1200 else 1200 if width > 800 else 800 if width > 300 else 200
    cache = Path(settings.DATA_DIR) / "cache" / "scan-pages" / sha256[:2] / sha256
    target = cache / f"{number}-{width}.jpg"
    if target.exists():
        return target.read_bytes()
    data = scan_pdf.page_image(local_copy(field_file, sha256), number, width=width)
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return data
