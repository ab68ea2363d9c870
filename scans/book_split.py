"""Whole-book scans: upload, page ranges per case, and the split job that cuts one PDF per case."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from jobs import services as runs
from jobs.models import JobKind
from permissions.scoping import can
from registry.models import (
    CivilRecord,
    RecordState,
    RegisterBook,
)
from scans import pdf as scan_pdf
from scans.intake import (
    _too_large,
    budget_kb,
    limit_per,
    local_copy,
    max_book_pages,
    max_book_upload_bytes,
    max_case_pages,
    safe_name,
    scan_keep,
)
from scans.models import (
    BookScan,
    ItemStatus,
    JobStatus,
    ScanFile,
    ScanSource,
    ScanSplitItem,
    ScanSplitJob,
)

SPLIT_STALE_AFTER = dt.timedelta(minutes=30)


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
def book_scan_upload(*, book: RegisterBook, actor: Actor, upload: Any, original_name: str = "") -> BookScan:
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
        action=AuditAction.BOOK_SCAN_UPLOAD,
        actor=actor,
        unit_id=book.custodian_id,
        obj=book_scan,
        changes={"sha256": digest, "pages": pages, "size": size, "active_content": active},
    )
    return book_scan


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
    # Plain numbers only: a case squeezed in ("8a") is scanned on its own page, never mistaken for 8.
    records = {
        r.entry_no: r
        for r in book_scan.book.records.exclude(
            state__in=[RecordState.REJECTED, RecordState.DUPLICATE]
        ).filter(entry_suffix="")
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
def split_job_create(*, book_scan: BookScan, actor: Actor, ranges: list[SplitRange]) -> ScanSplitJob:
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
        action=AuditAction.BOOK_SPLIT_START,
        actor=actor,
        unit_id=book.custodian_id,
        obj=job,
        changes={"book_scan": book_scan.pk, "cases": len(ranges)},
    )
    _enqueue_split(job, actor)
    return job


def _run_fields(job: ScanSplitJob) -> dict[str, Any]:
    book = job.book_scan.book
    return {
        "kind": JobKind.BOOK_SPLIT,
        "object_id": job.pk,
        "unit": book.custodian,
        "title": str(book),
        "result_url": reverse("split_job_detail", args=[job.pk]),
        "cancellable": True,
    }


def _enqueue_split(job: ScanSplitJob, actor: Actor) -> None:
    from scans.tasks import book_split_task

    runs.job_queue(owner=actor, total=job.items.count(), **_run_fields(job))
    book_split_task.enqueue(job.pk)


@transaction.atomic
def split_job_resume(*, job: ScanSplitJob, actor: Actor) -> ScanSplitJob:
    """Restart a stopped split: cases already stored are kept, the waiting ones are done.

    Refused while the job is running or finished without waiting cases.
    """
    job = (
        ScanSplitJob.objects.select_for_update(no_key=True, of=("self",))
        .select_related("book_scan__book__custodian")
        .get(pk=job.pk)
    )
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
    audit_change(
        action=AuditAction.BOOK_SPLIT_RESUME, actor=actor, unit_id=job.book_scan.book.custodian_id, obj=job
    )
    _enqueue_split(job, actor)
    return job


def split_job_run(job_id: int) -> dict[str, int]:
    """Cut each waiting case out of the book scan and store it; each case commits on its own.

    A case whose pages are refused (illegible at the limit, damaged) is marked refused with
    the reason and the job goes on; an unexpected error stops the job as failed, keeping
    every case stored so far, and `split_job_resume` continues from there.
    """
    with transaction.atomic():
        job = (
            ScanSplitJob.objects.select_for_update(no_key=True, of=("self",))
            .select_related("book_scan__book")
            .get(pk=job_id)
        )
        if job.status in (JobStatus.DONE, JobStatus.RUNNING):
            return {"skipped": 1}
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    book_scan = job.book_scan
    counts = {"done": 0, "refused": 0}
    total = job.items.count()
    finished = total - job.items.filter(status=ItemStatus.PENDING).count()
    run = runs.job_begin(owner=job.created_by, total=total, **_run_fields(job))
    runs.job_progress(run, done=finished)
    try:
        source = local_copy(book_scan.file, book_scan.sha256)
        for item in job.items.filter(status=ItemStatus.PENDING).select_related("record").order_by("id"):
            if runs.job_cancel_requested(run):
                # Each case is stored in its own transaction: the split stops between two, resumable.
                ScanSplitJob.objects.filter(pk=job.pk).update(
                    status=JobStatus.PENDING, error=_("stopped on request")
                )
                runs.job_cancelled(run, message=_("Every case stored so far is kept; resume to do the rest."))
                return counts
            _split_one(job, item, source)
            counts["done" if item.status == ItemStatus.DONE else "refused"] += 1
            finished += 1
            runs.job_progress(run, done=finished)
    except Exception as exc:
        ScanSplitJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        runs.job_fail(run, message=str(exc))
        raise
    ScanSplitJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now())
    runs.job_finish(run)
    return counts


def _split_one(job: ScanSplitJob, item: ScanSplitItem, source: Path) -> None:
    from workflows.machine import TransitionRefused
    from workflows.services import record_scan

    pages = list(range(item.first_page, item.last_page + 1))
    key = hashlib.sha256(
        f"{job.book_scan.sha256}:{item.first_page}-{item.last_page}:{item.record_id}".encode()
    ).hexdigest()
    try:
        clean = scan_pdf.pdf_extract_clean(
            source, pages, budget_kb=budget_kb(), limit_per=limit_per(), max_pages=max_book_pages()
        )
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
