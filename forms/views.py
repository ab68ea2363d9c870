"""The record page and the entry screen (one form for every path), with autosave, drafts and
legacy-text conversion. Thin: services and selectors do the work. The work screen of each stage
is in `forms.work_views`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.actors import Actor, AuthenticatedRequest
from audit.models import AuditEvent
from audit.services import audit_access
from forms.drafts import draft_discard, draft_for, draft_save
from forms.entry import RecordForm
from forms.models import Draft
from forms.selectors import candidates_for_display, carried_forward, next_case_for
from permissions.scoping import (
    can,
    get_record_for,
    pin_shown,
)
from registry.event_fields import field_label
from registry.matching import THRESHOLD, likely_duplicates, open_candidates
from registry.models import CivilRecord
from registry.record_data import RecordInput, record_input_from
from scans.intake import limit_text
from scans.models import LateCheck, current_scan
from vietnamese.legacy_encodings import ENCODING_LABELS, fix_legacy, mixed_encoding
from workflows import services
from workflows.history import record_history
from workflows.inbox_views import remark_rows
from workflows.keying import keying_task_of
from workflows.machine import EVENT_LABELS, TransitionRefused, allowed_events
from workflows.views import posted_version

PAGE_SIZE = 50


def _probe_input(record_event_type: str, post: Any) -> RecordInput:
    """The people and registration date as typed so far (no validation), for the live check."""
    parties: dict[str, dict[str, Any]] = {}
    for key, value in post.items():
        if "__" in key and not key.startswith(("d__", "nib__", "ok__")):
            role, name = key.split("__", 1)
            parties.setdefault(role, {})[name] = value
    return RecordInput(registration_date=post.get("registration_date", ""), parties=parties)


AMENDABLE_STATES = ("approved", "transferred")


def record_for_entry(request: AuthenticatedRequest, pk: int) -> CivilRecord:
    """The record whose data the user may write on the entry page: before approval with the right
    to enter data (else 404, audited); after approval with the right to amend
    (`services.amend_permission_check`: else `NotPermitted`, audited)."""
    record = get_record_for(request.user, pk, request=request)
    if record.state in AMENDABLE_STATES:
        services.amend_permission_check(actor=request.user, record=record, request=request)
        return record
    return get_record_for(request.user, pk, "enter_record", request=request)


@login_required
@require_POST
def draft_autosave(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """Keep what the user typed (called by static/js/entry.js every few seconds and on blur);
    answer with the likely duplicates of what is typed so far."""
    try:
        record = record_for_entry(request, pk)
    except services.NotPermitted as exc:
        return JsonResponse({"saved": False, "error": str(exc)}, status=403)
    form = RecordForm(event_type=record.event_type)
    try:
        draft = draft_save(
            user=request.user, record=record, data=request.POST.dict(), allowed=set(form.fields)
        )
    except ValidationError as exc:
        return JsonResponse({"saved": False, "error": exc.messages[0]}, status=400)
    found = likely_duplicates(
        event_type=record.event_type,
        data=_probe_input(record.event_type, request.POST),
        exclude_record_id=record.pk,
    )
    return JsonResponse(
        {
            "saved": True,
            "saved_at": timezone.localtime(draft.saved_at).strftime("%H:%M:%S"),
            "threshold": THRESHOLD,
            "duplicates": candidates_for_display(request.user, found),
        }
    )


@login_required
@require_POST
def draft_forget(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    record = get_record_for(request.user, pk, request=request)
    draft_discard(user=request.user, record=record)
    messages.info(request, _("Your unsaved input was discarded; the form shows the record as saved."))
    return redirect("record_enter", pk=record.pk)


@login_required
@require_POST
def legacy_convert(request: AuthenticatedRequest) -> JsonResponse:
    """Convert pasted TCVN3/VNI text to Unicode (the paste handler of the entry form)."""
    text = request.POST.get("text", "")[:10000]
    if mixed_encoding(text):
        return JsonResponse(
            {
                "text": text,
                "encoding": None,
                "message": _(
                    "Part of the pasted text is in an old encoding and part in Unicode: retype it, "
                    "or paste it again from the original document."
                ),
            }
        )
    converted, encoding = fix_legacy(text)
    return JsonResponse(
        {
            "text": converted,
            "encoding": encoding,
            "message": _("Pasted text converted from %(encoding)s to Unicode.")
            % {"encoding": ENCODING_LABELS[encoding]}
            if encoding
            else "",
        }
    )


# --- likely duplicates ---------------------------------------------------------------------


# --- search ----------------------------------------------------------------------------------


@login_required
def record_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    record = get_record_for(request.user, pk, request=request)
    audit_access(
        request=request,
        action=AuditAction.VIEW_RECORD,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
    )
    events = [(e, EVENT_LABELS.get(e, e)) for e in allowed_events(record)]
    parties = list(record.parties.all())
    for party in parties:
        party.pin = pin_shown(request.user, party.pin)  # masked for contractor staff; never saved
    scans = list(record.scans.all()[:5])
    trail = (
        AuditEvent.objects.filter(record_id_value=record.pk, kind="change").order_by(
            *AuditEvent.CHRONOLOGICAL
        )
        if can(request.user, "view_records", record.unit_path)
        else AuditEvent.objects.none()
    )
    return render(
        request,
        "registry/record_detail.html",
        {
            "record": record,
            "parties": parties,
            "scans": scans,
            "current_scan": current_scan(scans),
            "scan_limit": limit_text(),
            "late_scan_waiting": any(s.late_check == LateCheck.PENDING for s in scans),
            "events": events,
            "event_ids": [e for e, _label in events],
            "history": record_history(record, trail),
            "returned_rows": remark_rows(record.event_type, record.return_remarks or {}),
            "as_written": [field_label(record.event_type, key) for key in record.as_written or ()],
            "can": {
                perm: can(request.user, perm, record.unit_path)
                for perm in (
                    "scan_record",
                    "enter_record",
                    "amend_record",
                    "attach_record",
                    "review_record",
                    "approve_record",
                    "reject_record",
                    "resolve_duplicates",
                )
            },
        },
    )


def entry_form_for(user: Actor, record: CivilRecord) -> tuple[RecordForm, Draft | None]:
    """The entry form as the clerk left it, the same on every path (record page, work screen,
    fix after a return): the record's data, the fields carried forward from the previous case,
    and the clerk's unsaved draft on top."""
    initial = RecordForm.initial_from(record_input_from(record))
    initial.update(carried_forward(record))
    draft = draft_for(user=user, record=record)
    if draft is not None:
        initial.update(draft.data)
    return RecordForm(initial=initial, event_type=record.event_type), draft


def entry_candidates(user: Actor, record: CivilRecord) -> list[Any]:
    """The likely duplicates shown beside the form (none before the data is first entered)."""
    if record.state in ("collected", "scanned"):
        return []
    return candidates_for_display(user, open_candidates(record))


@login_required
def record_enter(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Enter or correct the data of a scanned case, with the scan beside the form.

    Enter (the first button) saves and opens the next case of the book; what the user
    types is autosaved as a server-side draft (forms.views.draft_autosave) and restored
    here; registration place, signer and title carry forward from the previous case.
    After approval the same page edits with a warning and a required reason.
    """
    try:
        record = record_for_entry(request, pk)
    except services.NotPermitted as exc:
        messages.error(request, str(exc))
        return redirect("record_detail", pk=pk)
    amending = record.state in AMENDABLE_STATES
    if not amending and services.keying_applies(record):
        # Keyed twice: each keying is made on its work item, where only one's own input is shown.
        messages.info(
            request,
            _(
                "This book is keyed twice: key the case from its work item, "
                "where only your own input is shown."
            ),
        )
        task = keying_task_of(request.user, record)
        return redirect("task_work", pk=task.pk) if task else redirect("record_detail", pk=record.pk)
    draft = None
    if request.method == "POST":
        form = RecordForm(request.POST, event_type=record.event_type)
        reason = request.POST.get("reason", "")
        if form.is_valid():
            try:
                data = form.to_input()
                version = posted_version(request)
                if amending:
                    services.record_amend(
                        record=record,
                        actor=request.user,
                        data=data,
                        reason=reason,
                        expected_version=version,
                        request=request,
                    )
                elif record.state == "scanned" and ("submit" in request.POST or "next" in request.POST):
                    services.record_enter(
                        record=record, actor=request.user, data=data, expected_version=version
                    )
                else:
                    services.record_data_save(
                        record=record, actor=request.user, data=data, expected_version=version
                    )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    form.add_service_errors(exc)
                else:
                    form.add_error(None, exc.messages[0])
            except (TransitionRefused, services.ConflictError) as exc:
                form.add_error(None, str(exc))
            else:
                draft_discard(user=request.user, record=record)
                for note in form.conversions:
                    messages.info(request, note)
                messages.success(
                    request,
                    _("Saved %(book)s, entry no. %(no)d.") % {"book": record.book, "no": record.entry_no},
                )
                if "next" in request.POST and not amending:
                    following = next_case_for(request.user, record)
                    if following is not None:
                        return redirect("record_enter", pk=following.pk)
                    messages.info(request, _("That was the last case of this book waiting for data entry."))
                    return redirect("book_detail", pk=record.book_id)
                return redirect("record_detail", pk=record.pk)
    else:
        form, draft = entry_form_for(request.user, record)
    return render(
        request,
        "workflows/record_enter.html",
        {
            "record": record,
            "form": form,
            "amending": amending,
            "draft": draft,
            "candidates": entry_candidates(request.user, record),
            "remarks": record.return_remarks if record.state == "scanned" else {},
            "returned_rows": remark_rows(record.event_type, record.return_remarks or {}),
            "scan": record.scans.first(),
            "version": request.POST.get("version", record.version),
        },
    )
