"""Scans of cases: storing them clean and small, naming them, splitting books, matching batches.

The PDF machinery itself (checks, rebuilding, compression under the legibility rule,
page images) is pure and lives in `scans.pdf`; this module decides what is kept,
for which case, by whom, and writes the audit rows.

Rules kept here:
- A case's scan is stored only while the case is collected, scanned or entered; after
  attach it changes only through a return to scanning, and once the case is approved or
  transferred through a late scan (`scan_store_late`), which waits for a scan check by a
  reviewer who did not upload it and counts as the case's scan only once the check passed.
- A case over the size limit (it cannot fit and stay legible) is stored flagged (`over_limit`).
- The bytes as uploaded are hashed (`original_sha256`): the same file uploaded again
  for the same case is recognized and not stored twice; the same file on another case
  is stored (one page of a book can hold several cases) and the user is told.
- Files live in the default storage (the project's data folder, or S3-compatible
  storage when configured) under names made of ids and hashes, never of user input.
- At attach the scan gets its canonical name (`scan_canonical_name`).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.scoping import can, records_visible_to
from registry.models import (
    CivilRecord,
    RecordState,
)
from scans import pdf as scan_pdf
from scans.models import (
    LateCheck,
    ScanFile,
    ScanSource,
)

STORABLE_STATES = (RecordState.COLLECTED, RecordState.SCANNED, RecordState.ENTERED)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_upload_bytes() -> int:
    return _setting("SCAN_UPLOAD_MAX_MB", 50) * 1024 * 1024


def max_book_upload_bytes() -> int:
    return _setting("SCAN_BOOK_UPLOAD_MAX_MB", 2048) * 1024 * 1024


def max_batch_upload_bytes() -> int:
    return _setting("SCAN_BATCH_UPLOAD_MAX_MB", 1000) * 1024 * 1024


def max_case_pages() -> int:
    return _setting("SCAN_MAX_PAGES_PER_CASE", 20)


def max_book_pages() -> int:
    return _setting("SCAN_BOOK_MAX_PAGES", 3000)


def budget_kb() -> int:
    """The size limit in KB, for the whole case file or for each page (`limit_per`)."""
    return _setting("SCAN_MAX_KB", 100)


def limit_per() -> str:
    """ "case" (the default: the whole file within `budget_kb`) or "page" (each page within it)."""
    return str(getattr(settings, "SCAN_SIZE_LIMIT_PER", scan_pdf.PER_CASE))


def limit_text() -> str:
    """The size rule as people read it: "100 KB per case file" or "100 KB a page"."""
    if limit_per() == scan_pdf.PER_PAGE:
        return _("%(kb)d KB a page") % {"kb": budget_kb()}
    return _("%(kb)d KB per case file") % {"kb": budget_kb()}


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
    """Check an upload and rebuild it as a clean PDF within the size limit (see scans.pdf)."""
    if len(content) > max_upload_bytes():
        raise _too_large(len(content), max_upload_bytes())
    return scan_pdf.scan_clean(
        content,
        max_pages=max_case_pages(),
        budget_kb=budget_kb(),
        limit_per=limit_per(),
        name=safe_name(original_name),
    )


def safe_name(name: str) -> str:
    """The last path component of a name a browser sent, without control characters; for display only."""
    base = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base).strip()[-255:]


@transaction.atomic
def scan_store(
    *,
    record: CivilRecord,
    actor: Actor,
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
def case_scan_receive(
    *, record: CivilRecord, actor: Actor, content: bytes, original_name: str = ""
) -> ScanFile:
    """The scan of one case as the upload page and the API receive it: kept as the case's scan
    (a collected case is then marked scanned), or for an approved or transferred case kept as a
    late scan waiting for its check. Refusals as in `scan_store` and `scan_store_late`."""
    from workflows.late_scan import LATE_SCAN_STATES
    from workflows.services import record_scan

    if record.state in LATE_SCAN_STATES:  # the short path: a scan check, the data untouched
        return scan_store_late(record=record, actor=actor, content=content, original_name=original_name)
    scan = scan_store(record=record, actor=actor, content=content, original_name=original_name)
    if record.state == "collected":
        record_scan(record=record, actor=actor)
    return scan


@transaction.atomic
def scan_store_late(
    *, record: CivilRecord | int, actor: Actor, content: bytes, original_name: str = ""
) -> ScanFile:
    """A late scan: add (or replace) the scan of an approved or transferred case, for a check.

    The scan is cleaned and compressed as any upload, kept as waiting for its check (it is not the
    case's scan until the check passes), and its check is opened in the workflow
    (`workflows.late_scan`): the record's data and state do not change. Refuses what `scan_store`
    refuses, a case that is not approved or transferred, and one whose late scan already waits for
    its check.
    """
    from workflows.late_scan import LATE_SCAN_STATES, late_scan_refusal, late_scan_start
    from workflows.machine import TransitionRefused

    pk = record.pk if isinstance(record, CivilRecord) else record
    current = CivilRecord.objects.select_related("unit").get(pk=pk)
    _require_scan_role(current, actor)
    if current.state not in LATE_SCAN_STATES:  # said before the slow part; all is checked under the lock
        raise ValidationError(str(late_scan_refusal(current)), code="not_storable")
    clean = scan_prepare(content=content, original_name=original_name)
    locked = (
        CivilRecord.objects.select_for_update(no_key=True, of=("self",))
        .select_related("unit", "book")
        .get(pk=pk)
    )
    problem = late_scan_refusal(locked)
    if problem:
        raise ValidationError(problem, code="not_storable")
    scan = scan_keep(
        record=locked,
        actor=actor,
        clean=clean,
        original_sha256=hashlib.sha256(content).hexdigest(),
        original_name=original_name,
        late=True,
    )
    try:
        late_scan_start(record=locked, scan_id=scan.pk, actor=actor)
    except TransitionRefused as exc:
        raise ValidationError(str(exc), code="not_storable") from exc
    return scan


def scan_late_outcome(
    record: CivilRecord, scan_id: int, outcome: str, actor: Actor | None, reason: str
) -> None:
    """LATE_SCAN_HOOKS entry: the check of a late scan ended; the scan says so (a passed scan is now
    the case's scan, `models.current_scan`)."""
    status = {"passed": LateCheck.PASSED, "returned": LateCheck.RETURNED, "cancelled": LateCheck.CANCELLED}
    from scans.naming import scan_canonical_name

    scan = ScanFile.objects.select_for_update(no_key=True).get(pk=scan_id, record_id=record.pk)
    scan.late_check = status[outcome]
    scan.checked_at = timezone.now()
    scan.checked_by = actor if getattr(actor, "is_authenticated", False) else None
    scan.check_reason = reason
    if outcome == "passed":  # the name an attached scan gets (the data is final)
        scan.canonical_name = scan_canonical_name(record)
    scan.save(update_fields=["late_check", "checked_at", "checked_by", "check_reason", "canonical_name"])


def _require_scan_role(record: CivilRecord, actor: Actor | None) -> None:
    if actor is not None and not can(actor, "scan_record", record.unit_path):
        raise ValidationError(
            _("Your roles do not allow scanning records of %(unit)s.") % {"unit": record.unit.name},
            code="not_permitted",
        )


@transaction.atomic
def scan_keep(
    *,
    record: CivilRecord | int,
    actor: Actor | None,
    clean: scan_pdf.CleanScan,
    original_sha256: str,
    original_name: str = "",
    source: str = ScanSource.UPLOAD,
    late: bool = False,
) -> ScanFile:
    """Keep an already cleaned scan for the record; refusals as in `scan_store` (`late`: as
    `scan_store_late` keeps it, waiting for its check)."""
    record = (
        CivilRecord.objects.select_for_update(no_key=True, of=("self",))
        .select_related("unit")
        .get(pk=record.pk if isinstance(record, CivilRecord) else record)
    )
    _require_scan_role(record, actor)
    if not late and record.state not in STORABLE_STATES:
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
        over_limit=clean.over_limit,
        unit_path=record.unit_path,
        late_check=LateCheck.PENDING if late else "",
    )
    scan.file.save(f"{digest[:16]}.pdf", ContentFile(clean.content), save=False)
    scan.save()
    audit_change(
        action=AuditAction.SCAN_UPLOAD,
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
            **({"over_limit": True} if clean.over_limit else {}),
            **({"late": True} if late else {}),
        },
    )
    return scan


def scans_same_file(scan: ScanFile, user: Actor) -> QuerySet[CivilRecord]:
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


def scan_outcome_message(scan: ScanFile, user: Actor) -> list[str]:
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
    if scan.over_limit:
        lines.append(_("Flagged: %(reason)s.") % {"reason": scan.over_limit_reason()})
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


def page_image_cached(*, field_file: Any, sha256: str, number: int, width: int) -> bytes:
    """A page image from the cache folder, drawn on first request (`scans.pdf.page_image`)."""
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
