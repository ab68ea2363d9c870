"""Named batches: files named by the rule (or book + entry number) matched to their cases."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.scoping import can
from registry.models import (
    CivilRecord,
    RecordState,
    RegisterBook,
)
from scans import pdf as scan_pdf
from scans.intake import max_case_pages, max_upload_bytes, safe_name, scan_keep, scan_prepare
from scans.models import (
    ItemStatus,
    JobStatus,
    ScanBatch,
    ScanBatchItem,
    ScanSource,
)
from scans.naming import scan_canonical_name, scan_match_candidates, scan_name_parse


def _content_size(content: bytes | File) -> int:
    return len(content) if isinstance(content, bytes) else int(content.size or 0)


def _content_bytes(content: bytes | File) -> bytes:
    if isinstance(content, bytes):
        return content
    content.seek(0)
    return content.read()


@transaction.atomic
def batch_create(
    *, actor: Actor, files: Sequence[tuple[str, bytes | File]], book: RegisterBook | None = None
) -> ScanBatch:
    """Stage a batch of named files and enqueue matching them to their cases.

    Files are read one at a time (uploads wait on disk). Refuses an actor who may scan nowhere, and
    files over the upload limit (listed by name). A file that is a decompression bomb, or a PDF that
    does not open, is refused here, at upload, and never kept: its item says why.
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
    too_big = [name for name, content in files if _content_size(content) > max_upload_bytes()]
    if too_big:
        raise ValidationError(
            _("These files are over %(mb)d MB: %(names)s. Scan them again at a lower resolution.")
            % {"mb": max_upload_bytes() // (1024 * 1024), "names": ", ".join(too_big)},
            code="too_large",
        )
    batch = ScanBatch.objects.create(unit=unit, book=book, created_by=actor)
    for name, upload in files:
        content = _content_bytes(upload)
        item = ScanBatchItem(
            batch=batch, original_name=safe_name(name), sha256=hashlib.sha256(content).hexdigest()
        )
        try:
            scan_pdf.upload_check(content, max_pages=max_case_pages())
        except ValidationError as exc:
            item.status, item.message = ItemStatus.REFUSED, " ".join(exc.messages)
        else:
            item.file.save("staged.bin", ContentFile(content), save=False)
        item.save()
        del content
    audit_change(
        action=AuditAction.SCAN_BATCH_UPLOAD,
        actor=actor,
        unit_id=unit.pk,
        obj=batch,
        changes={"files": len(files), "book": book.pk if book else None},
    )
    from scans.tasks import scan_batch_task

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


def _batch_attach(
    item: ScanBatchItem, record: CivilRecord, clean: scan_pdf.CleanScan, actor: Actor | None
) -> None:
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


def batch_item_settle(*, item: ScanBatchItem, record: CivilRecord, actor: Actor) -> ScanBatchItem:
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
