"""Issuing certified extracts: the issue log, serial numbers, reprints, batches, signed copies.

Every print goes through `extract_issue` or `extract_reprint`: they lock the
record, check the printer's scope and the record's printability, give the
serial, write the log row and the audit row, and store the PDF exactly as it
was handed out. Rendering itself is pure (printing.rendering).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_access, audit_change
from jobs import services as runs
from jobs.models import JobKind
from permissions.scoping import can, records_visible_to, scopes_with
from printing.esign import SigningUnavailable, sign_pdf
from printing.layouts import KINDS, extract_content
from printing.models import ExtractBatch, ExtractIssue, ExtractSerialCounter
from printing.rendering import (
    IssueFacts,
    Page,
    issuing_authority,
    merge_pdfs,
    place_name,
    qr_data_uri,
    render_pages,
    repeat_pdf,
)
from printing.selectors import amendment_notes, print_refusal, verify_issue
from printing.tokens import verification_url
from registry.models import AdministrativeUnit, CivilRecord

MAX_COPIES = 20
MAX_BATCH = 500
# Extracts per weasyprint document in a batch: large enough to keep the one-document
# speed, small enough to report progress.
BATCH_CHUNK = 50


class PrintRefused(Exception):
    """The record may not be printed now, or not by this person; the message says why and what to do."""


def issuing_unit_for(actor: Actor, record: CivilRecord) -> AdministrativeUnit:
    """The unit in whose name the actor issues: their deepest print scope covering the record."""
    scopes = [s for s in scopes_with(actor, "print_extract") if s.covers(record.unit_path)]
    if not scopes:
        return record.unit
    deepest = max(scopes, key=lambda s: len(s.unit_path))
    return AdministrativeUnit.objects.get(pk=deepest.unit_id)


def _get_record(record: CivilRecord | int) -> CivilRecord:
    if isinstance(record, CivilRecord):
        return record
    return CivilRecord.objects.select_related("unit").get(pk=record)


def _lock_record(record: CivilRecord | int) -> CivilRecord:
    pk = record.pk if isinstance(record, CivilRecord) else record
    return (
        CivilRecord.objects.select_for_update(no_key=True, of=("self",))
        .select_related("book", "unit")
        .get(pk=pk)
    )


def _require_print(actor: Actor, record: CivilRecord) -> None:
    if not can(actor, "print_extract", record.unit_path):
        audit_access(
            actor=actor,
            action=AuditAction.DENIED,
            unit_id=record.unit_id,
            obj=record,
            record_id=record.pk,
            changes={"permission": "print_extract"},
        )
        raise PrintRefused(
            _("Your roles do not allow printing extracts of records of %(unit)s.")
            % {"unit": record.unit.name}
        )


def _issue_create(*, record, unit: AdministrativeUnit, content, actor, now, **values) -> ExtractIssue:
    """The issue-log row of one printed extract, with the unit's next serial number of the year."""
    year = timezone.localdate(now).year
    number = _next_serial(unit, year)
    return ExtractIssue.objects.create(
        record=record,
        issuing_unit=unit,
        unit_path=record.unit_path,
        event_type=record.event_type,
        serial=f"{number}/{year}/{KINDS[record.event_type].code}-BS",
        serial_year=year,
        serial_no=number,
        subject_name=content.subject_name,
        key_date=content.key_date,
        clerk=actor,
        issued_at=now,
        issue_place=place_name(unit),
        record_version=record.version,
        content_sha256=content.fingerprint(),
        **values,
    )


def _next_serial(unit: AdministrativeUnit, year: int) -> int:
    counter, _created = ExtractSerialCounter.objects.get_or_create(unit=unit, year=year)
    counter = ExtractSerialCounter.objects.select_for_update(no_key=True).get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _serials_lock(units: Iterable[AdministrativeUnit], year: int) -> None:
    """Take the serial counters of `units` for `year`, in one order (unit id), before any is used:
    two batches over the same units, ticked in different orders, would otherwise each hold one
    counter and wait for the other's (a deadlock, and one clerk's batch refused)."""
    ordered = sorted(units, key=lambda unit: unit.pk)
    for unit in ordered:
        ExtractSerialCounter.objects.get_or_create(unit=unit, year=year)
    list(
        ExtractSerialCounter.objects.select_for_update(no_key=True)
        .filter(unit__in=ordered, year=year)
        .order_by("unit_id")
        .values_list("pk", flat=True)
    )


def _clean_request(
    *,
    requester_name: str,
    requester_document: str,
    relationship: str,
    copies: int,
    signer_name: str,
    signer_title: str,
) -> dict[str, Any]:
    values = {
        "requester_name": " ".join((requester_name or "").split()),
        "requester_document": " ".join((requester_document or "").split()),
        "relationship": " ".join((relationship or "").split()),
        "signer_name": " ".join((signer_name or "").split()),
        "signer_title": " ".join((signer_title or "").split()),
    }
    errors: dict[str, str] = {}
    messages = {
        "requester_name": _("Give the requester's full name as on their identity document."),
        "requester_document": _("Give the type and number of the requester's identity document."),
        "relationship": _(
            "Say how the requester is related to the person registered (e.g. “self”, “mother”)."
        ),
        "signer_name": _("Give the name of the official who signs the extract."),
        "signer_title": _("Give the signer's title (e.g. “Chủ tịch”)."),
    }
    for key, value in values.items():
        if not value:
            errors[key] = messages[key]
        elif len(value) > 120:
            errors[key] = _("At most 120 characters.")
    if not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
        errors["copies"] = _("Print between 1 and %(max)d copies.") % {"max": MAX_COPIES}
    if errors:
        raise ValidationError(errors)
    return values | {"copies": copies}


def _facts(issue: ExtractIssue, *, issued_on: dt.date, marker: str = "") -> IssueFacts:
    parent, name = issuing_authority(issue.issuing_unit)
    return IssueFacts(
        serial=issue.serial,
        issued_on=issued_on,
        authority_parent=parent,
        authority_name=name,
        place=issue.issue_place,
        signer_title=issue.signer_title,
        signer_name=issue.signer_name,
        verify_url=verification_url(issue.original_id),
        marker=marker,
        electronic=issue.electronic,
    )


def _issue_store_pdf(issue: ExtractIssue, record: CivilRecord, facts: IssueFacts, notes: list[str]) -> None:
    """Render the paper exactly as handed out and keep it with its issue-log row."""
    pdf = _render_issue(issue, record, facts, notes)
    issue.file.save(f"{issue.pk}.pdf", ContentFile(pdf), save=False)
    issue.save(update_fields=["file"])


def _render_issue(issue: ExtractIssue, record: CivilRecord, facts: IssueFacts, notes: list[str]) -> bytes:
    qr = qr_data_uri(facts.verify_url) if facts.verify_url else ""
    page = Page(content=extract_content(record, notes=notes), issue=facts, qr=qr)
    pdf = render_pages([page], title=page.content.kind.title)
    if issue.electronic:
        try:
            return sign_pdf(pdf, unit=issue.issuing_unit)
        except SigningUnavailable as exc:
            raise PrintRefused(str(exc)) from exc
    return repeat_pdf(pdf, issue.copies) if issue.copies > 1 else pdf


def extract_issue(
    *,
    record: CivilRecord | int,
    actor: Actor,
    requester_name: str,
    requester_document: str,
    relationship: str,
    signer_name: str,
    signer_title: str,
    copies: int = 1,
    electronic: bool = False,
    ip: str = "",
) -> ExtractIssue:
    """Issue a certified extract of the record: a log row, a serial, the stored PDF (N copies or signed).

    Refused (PrintRefused) outside the actor's print scope (the refusal is audited),
    for a record that is not approved or transferred, has a correction under
    review, or fails an approval check (e.g. an unresolved likely duplicate);
    refused (ValidationError by field) when the requester or signer is missing
    or the copies are not 1–20.
    """
    # The scope check and its audit row come before the transaction, so that a refusal stays logged.
    _require_print(actor, _get_record(record))
    with transaction.atomic():
        return _extract_issue(
            record=record,
            actor=actor,
            requester_name=requester_name,
            requester_document=requester_document,
            relationship=relationship,
            signer_name=signer_name,
            signer_title=signer_title,
            copies=copies,
            electronic=electronic,
            ip=ip,
        )


def _extract_issue(
    *,
    record: CivilRecord | int,
    actor: Actor,
    requester_name: str,
    requester_document: str,
    relationship: str,
    signer_name: str,
    signer_title: str,
    copies: int,
    electronic: bool,
    ip: str,
) -> ExtractIssue:
    record = _lock_record(record)
    _require_print(actor, record)
    refusal = print_refusal(record)
    if refusal:
        raise PrintRefused(refusal)
    values = _clean_request(
        requester_name=requester_name,
        requester_document=requester_document,
        relationship=relationship,
        copies=copies,
        signer_name=signer_name,
        signer_title=signer_title,
    )
    if electronic:
        values["copies"] = 1
    notes = amendment_notes(record)
    content = extract_content(record, notes=notes)
    unit = issuing_unit_for(actor, record)
    now = timezone.now()
    today = timezone.localdate(now)
    issue = _issue_create(
        record=record, unit=unit, content=content, actor=actor, now=now, electronic=electronic, **values
    )
    _issue_store_pdf(issue, record, _facts(issue, issued_on=today), notes)
    _audit_issue(
        issue,
        record,
        actor,
        ip=ip,
        electronic=electronic,
        requester_document=issue.requester_document,
        relationship=issue.relationship,
        issuing_unit=unit.code,
    )
    return issue


def _audit_issue(
    issue: ExtractIssue, record: CivilRecord, actor: Actor, *, ip: str = "", **more: Any
) -> None:
    """The log row of an issued extract: serial, copies, requester, and what else the issue says."""
    audit_change(
        action=AuditAction.EXTRACT_ISSUE,
        actor=actor,
        unit_id=record.unit_id,
        obj=issue,
        record_id=record.pk,
        changes={"serial": issue.serial, "copies": issue.copies, "requester": issue.requester_name, **more},
        ip=ip,
    )


def extract_reprint(
    *, issue: ExtractIssue | int, actor: Actor, copies: int = 1, ip: str = ""
) -> ExtractIssue:
    """Print an issued extract again (same serial, same date of issue), marked “BẢN IN LẠI” on the paper.

    Refused outside the actor's print scope (audited), when the record is no longer
    printable, and when the record changed after the original issue (then issue a new extract).
    """
    pk = issue.pk if isinstance(issue, ExtractIssue) else issue
    _require_print(actor, _get_record(ExtractIssue.objects.values_list("record_id", flat=True).get(pk=pk)))
    with transaction.atomic():
        return _extract_reprint(pk=pk, actor=actor, copies=copies, ip=ip)


def _extract_reprint(*, pk: int, actor: Actor, copies: int, ip: str) -> ExtractIssue:
    original = ExtractIssue.objects.select_related("issuing_unit").get(pk=pk)
    if original.reprint_of_id:
        original = ExtractIssue.objects.select_related("issuing_unit").get(pk=original.reprint_of_id)
    original = (
        ExtractIssue.objects.select_for_update(no_key=True, of=("self",))
        .select_related("issuing_unit")
        .get(pk=original.pk)
    )
    record = _lock_record(original.record_id)
    _require_print(actor, record)
    refusal = print_refusal(record)
    if refusal:
        raise PrintRefused(refusal)
    if verify_issue(original.pk).superseded:
        raise PrintRefused(
            _(
                "The record changed after extract %(serial)s was issued, so that paper is superseded. "
                "Issue a new extract instead of a reprint."
            )
            % {"serial": original.serial}
        )
    if original.electronic:
        raise PrintRefused(_("An electronic extract is downloaded again, not reprinted."))
    if not 1 <= copies <= MAX_COPIES:
        raise ValidationError({"copies": _("Print between 1 and %(max)d copies.") % {"max": MAX_COPIES}})
    number = (original.reprints.aggregate(n=Max("reprint_no"))["n"] or 0) + 1
    now = timezone.now()
    reprint = ExtractIssue.objects.create(
        record=record,
        issuing_unit=original.issuing_unit,
        unit_path=original.unit_path,
        event_type=original.event_type,
        serial=original.serial,
        serial_year=original.serial_year,
        serial_no=original.serial_no,
        subject_name=original.subject_name,
        key_date=original.key_date,
        requester_name=original.requester_name,
        requester_document=original.requester_document,
        relationship=original.relationship,
        copies=copies,
        clerk=actor,
        issued_at=now,
        issue_place=original.issue_place,
        signer_name=original.signer_name,
        signer_title=original.signer_title,
        reprint_of=original,
        reprint_no=number,
        record_version=record.version,
        content_sha256=original.content_sha256,
    )
    marker = f"BẢN IN LẠI LẦN {number} – {timezone.localdate(now):%d/%m/%Y}"
    facts = _facts(reprint, issued_on=timezone.localdate(original.issued_at), marker=marker)
    _issue_store_pdf(reprint, record, facts, amendment_notes(record))
    audit_change(
        action=AuditAction.EXTRACT_REPRINT,
        actor=actor,
        unit_id=record.unit_id,
        obj=reprint,
        record_id=record.pk,
        changes={"serial": reprint.serial, "copies": copies, "reprint_no": number, "reprint_of": original.pk},
        ip=ip,
    )
    return reprint


def extract_batch_create(
    *,
    actor: Actor,
    record_ids: list[int],
    requester_name: str,
    requester_document: str,
    relationship: str,
    signer_name: str,
    signer_title: str,
) -> ExtractBatch:
    """Log one issue per record and queue the job that renders them all into one PDF.

    All or nothing: refused (PrintRefused, listing each problem) when a record is
    outside the actor's print scope (audited as denied) or not printable; refused
    for an empty list or more than 500 records.
    """
    ids = list(dict.fromkeys(int(i) for i in record_ids))
    # Records outside the scope are refused before the transaction, so that each refusal stays logged.
    visible_ids = set(
        records_visible_to(actor, "print_extract").filter(pk__in=ids).values_list("pk", flat=True)
    )
    outside = [i for i in ids if i not in visible_ids]
    for other in CivilRecord.objects.filter(pk__in=outside).only("pk", "unit_id"):
        audit_access(
            actor=actor,
            action=AuditAction.DENIED,
            unit_id=other.unit_id,
            obj=other,
            record_id=other.pk,
            changes={"permission": "print_extract", "batch": True},
        )
    if outside:
        raise PrintRefused(
            _("Nothing was printed: records %(ids)s are not among the records you may print. Untick them.")
            % {"ids": ", ".join(str(i) for i in outside)}
        )
    with transaction.atomic():
        return _extract_batch_create(
            actor=actor,
            ids=ids,
            requester_name=requester_name,
            requester_document=requester_document,
            relationship=relationship,
            signer_name=signer_name,
            signer_title=signer_title,
        )


def _extract_batch_create(
    *,
    actor: Actor,
    ids: list[int],
    requester_name: str,
    requester_document: str,
    relationship: str,
    signer_name: str,
    signer_title: str,
) -> ExtractBatch:
    if not ids:
        raise PrintRefused(_("Tick at least one record to print."))
    if len(ids) > MAX_BATCH:
        raise PrintRefused(_("A batch holds at most %(max)d records; split it.") % {"max": MAX_BATCH})
    values = _clean_request(
        requester_name=requester_name,
        requester_document=requester_document,
        relationship=relationship,
        copies=1,
        signer_name=signer_name,
        signer_title=signer_title,
    )
    visible = {
        r.pk: r
        for r in records_visible_to(actor, "print_extract")
        .filter(pk__in=ids)
        .select_for_update(no_key=True, of=("self",))
        .select_related("book", "unit")
        .order_by("pk")  # locked in one order: two batches sharing records never hold one each
    }
    problems = [
        _("record %(id)d: not found among the records you may print") % {"id": i}
        for i in ids
        if i not in visible
    ]
    for pk in ids:
        if pk in visible:
            refusal = print_refusal(visible[pk])
            if refusal:
                problems.append(f"{visible[pk]}: {refusal}")
    if problems:
        raise PrintRefused(_("Nothing was printed. Remove or fix these records: ") + "; ".join(problems))

    batch = ExtractBatch.objects.create(created_by=actor, total=len(ids))
    now = timezone.now()
    issuing = {pk: issuing_unit_for(actor, visible[pk]) for pk in ids}
    units = {unit.pk: unit for unit in issuing.values()}
    _serials_lock(units.values(), timezone.localdate(now).year)
    for pk in ids:
        record = visible[pk]
        content = extract_content(record, notes=amendment_notes(record))
        issue = _issue_create(
            record=record, unit=issuing[pk], content=content, actor=actor, now=now, batch=batch, **values
        )
        _audit_issue(issue, record, actor, batch=batch.pk)
    first_unit = next(iter(units.values()), None)
    runs.job_queue(
        kind=JobKind.BATCH_PRINT, owner=actor, unit=first_unit, total=len(ids), **_batch_run_fields(batch)
    )
    from printing.tasks import extract_batch_render

    # Enqueued in this transaction: with the database backend the job commits with the log rows.
    extract_batch_render.enqueue(batch.pk)
    return batch


def _batch_run_fields(batch: ExtractBatch) -> dict[str, Any]:
    return {
        "object_id": batch.pk,
        "title": _("Batch print #%(n)d (%(total)d extracts)") % {"n": batch.pk, "total": batch.total},
        "result_url": reverse("extract_batch_detail", args=[batch.pk]),
        "cancellable": True,
    }


def extract_batch_run(*, batch_id: int) -> ExtractBatch:
    """Render a batch's extracts into one merged PDF, reporting progress as chunks finish (the job's body).

    Stopped on request between chunks: no PDF is kept, the batch says "stopped"; its issues stay
    in the issue log (their serial numbers were given when the batch was queued), shown as
    belonging to a stopped batch that printed nothing.
    """
    batch = ExtractBatch.objects.get(pk=batch_id)
    if batch.status == ExtractBatch.Status.DONE:
        return batch
    batch.status, batch.done, batch.error = ExtractBatch.Status.RUNNING, 0, ""
    batch.save(update_fields=["status", "done", "error"])
    first = batch.issues.select_related("issuing_unit").order_by("id").first()
    unit = first.issuing_unit if first else None
    run = runs.job_begin(
        kind=JobKind.BATCH_PRINT,
        owner=batch.created_by,
        unit=unit,
        total=batch.total,
        **_batch_run_fields(batch),
    )
    issues = list(
        batch.issues.select_related("issuing_unit", "record__book", "record__unit")
        .prefetch_related("record__parties")
        .order_by("id")
    )
    try:
        parts = []
        for start in range(0, len(issues), BATCH_CHUNK):
            if runs.job_cancel_requested(run):
                batch.status, batch.finished_at = ExtractBatch.Status.CANCELLED, timezone.now()
                batch.error = _(
                    "Stopped on request: no PDF was made; the serial numbers above were not printed."
                )
                batch.save(update_fields=["status", "finished_at", "error"])
                runs.job_cancelled(run, message=batch.error)
                return batch
            chunk = issues[start : start + BATCH_CHUNK]
            pages = []
            for issue in chunk:
                facts = _facts(issue, issued_on=timezone.localdate(issue.issued_at))
                notes = amendment_notes(issue.record)
                pages.append(
                    Page(
                        content=extract_content(issue.record, notes=notes),
                        issue=facts,
                        qr=qr_data_uri(facts.verify_url) if facts.verify_url else "",
                    )
                )
            parts.append(render_pages(pages, title="Trích lục"))
            batch.done = start + len(chunk)
            batch.save(update_fields=["done"])
            runs.job_progress(run, done=batch.done)
        pdf = parts[0] if len(parts) == 1 else merge_pdfs(parts)
        batch.file.save(f"batch-{batch.pk}.pdf", ContentFile(pdf), save=False)
        batch.status = ExtractBatch.Status.DONE
        batch.finished_at = timezone.now()
        batch.save(update_fields=["file", "status", "finished_at"])
    except Exception as exc:
        batch.status = ExtractBatch.Status.FAILED
        batch.error = f"{type(exc).__name__}: {exc}"
        batch.save(update_fields=["status", "error"])
        runs.job_fail(run, message=batch.error)
        raise
    runs.job_finish(run)
    return batch
