"""Pages that move a record through its lifecycle. Thin: forms validate, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forms.drafts import draft_discard, draft_for
from forms.entry import RecordForm
from forms.selectors import candidates_for_display, carried_forward, next_case_for
from permissions.scoping import get_record_for, records_visible_to
from registry import scans
from registry.duplicates import open_candidates
from registry.record_data import record_input_from
from registry.scan_views import file_too_large, guarded_upload
from workflows import services
from workflows.machine import TransitionRefused


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@login_required
def record_enter(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter or correct the data of a scanned case, with the scan beside the form.

    Enter (the first button) saves and opens the next case of the book; what the user
    types is autosaved as a server-side draft (forms.views.draft_autosave) and restored
    here; registration place, signer and title carry forward from the previous case.
    After approval the same page edits with a warning and a required reason.
    """
    record = get_record_for(request.user, pk, "enter_record", request=request)
    amending = record.state in ("approved", "transferred")
    draft = None
    if request.method == "POST":
        form = RecordForm(request.POST, event_type=record.event_type)
        reason = request.POST.get("reason", "")
        if form.is_valid():
            try:
                data = form.to_input()
                version = _version(request)
                if amending:
                    services.record_amend(
                        record=record, actor=request.user, data=data, reason=reason, expected_version=version
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
                    form.add_service_errors(exc.message_dict)
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
        initial = RecordForm.initial_from(record_input_from(record))
        initial.update(carried_forward(record))
        draft = draft_for(user=request.user, record=record)
        if draft is not None:
            initial.update(draft.data)
        form = RecordForm(initial=initial, event_type=record.event_type)
    candidates = (
        candidates_for_display(request.user, open_candidates(record))
        if record.state not in ("collected", "scanned")
        else []
    )
    return render(
        request,
        "workflows/record_enter.html",
        {
            "record": record,
            "form": form,
            "amending": amending,
            "draft": draft,
            "candidates": candidates,
            "scan": record.scans.first(),
            "version": request.POST.get("version", record.version),
        },
    )


@guarded_upload(scans.max_upload_bytes)
def scan_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload the scan of one case (PDF, JPEG, PNG or TIFF): cleaned, compressed, then marked scanned."""
    if request.method != "POST":
        return redirect("record_detail", pk=pk)
    record = get_record_for(request.user, pk, "scan_record", request=request)
    upload = request.FILES.get("file")
    problem = file_too_large(request, scans.max_upload_bytes())
    if problem:
        messages.error(request, problem)
        return redirect("record_detail", pk=pk)
    if upload is None:
        messages.error(request, _("Choose the file of the scan (PDF, JPEG, PNG or TIFF)."))
        return redirect("record_detail", pk=pk)
    try:
        with transaction.atomic():
            scan = scans.scan_store(
                record=record, actor=request.user, content=upload.read(), original_name=upload.name or ""
            )
            if record.state == "collected":
                services.record_scan(record=record, actor=request.user)
    except ValidationError as exc:
        if exc.code == "same_file":
            messages.info(request, exc.messages[0])
        else:
            messages.error(request, " ".join(exc.messages))
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        for line in scans.scan_outcome_message(scan, request.user):
            messages.success(request, line)
    return redirect("record_detail", pk=pk)


ACTIONS = {
    "attach": lambda r, u, v, p: services.record_attach(record=r, actor=u, expected_version=v),
    "review": lambda r, u, v, p: services.record_review(record=r, actor=u, expected_version=v),
    "approve": lambda r, u, v, p: services.record_approve(record=r, actor=u, expected_version=v),
    "return": lambda r, u, v, p: services.record_return(
        record=r,
        actor=u,
        expected_version=v,
        reason=p.get("reason", ""),
        stage=p.get("stage", "entry"),
        remarks={k[7:]: p[k] for k in p if k.startswith("remark_")},
    ),
    "reject": lambda r, u, v, p: services.record_reject(
        record=r, actor=u, expected_version=v, reason=p.get("reason", "")
    ),
}


@login_required
@require_POST
def record_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    record = get_record_for(request.user, pk, request=request)
    try:
        if action == "mark_duplicate":
            original = records_visible_to(request.user).filter(pk=request.POST.get("original") or 0).first()
            if original is None:
                raise TransitionRefused(
                    _("Give the number of an existing record you can see as the original.")
                )
            services.record_mark_duplicate(
                record=record,
                actor=request.user,
                original=original,
                reason=request.POST.get("reason", ""),
                expected_version=_version(request),
            )
        elif action in ACTIONS:
            ACTIONS[action](record, request.user, _version(request), request.POST)
        else:
            raise TransitionRefused(_("Unknown action."))
    except (TransitionRefused, services.ConflictError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("record_detail", pk=pk)
