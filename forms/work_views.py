"""The work screen of each stage (scan, enter, attach, review, approve): the scan beside the data.

Reached from the inboxes (`workflows.inbox_views`); every task goes through
`workflows.inbox_views.task_for` (404 and an audited refusal outside one's scope).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from viewflow.workflow.status import STATUS

from audit.actors import Actor, AuthenticatedRequest
from forms.drafts import draft_discard, draft_save
from forms.entry import RecordForm
from forms.views import entry_candidates, entry_form_for
from registry.event_fields import field_label
from registry.models import (
    CivilRecord,
)
from registry.record_data import record_input_from
from scans.intake import scan_store, scan_store_late
from scans.models import LateCheck, ScanFile, current_scan
from workflows import claims, services
from workflows.claims import ClaimRefused
from workflows.flows import claim_is_live, late_scan_of
from workflows.history import changes_since_return
from workflows.inbox_views import remark_rows, task_for
from workflows.keying import arbitration_of, keying_arbitrate, keying_submit
from workflows.late_scan import late_scan_check
from workflows.machine import TransitionRefused
from workflows.models import RecordTask
from workflows.views import posted_version


def _record_rows(record: CivilRecord, remarks: dict[str, str]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The entered data as (section, rows) with the remark key of each field, for review; a field
    changed since the record was last returned carries its value at the return ("changed_from"), and
    a value the clerk confirmed "as written in the book" is flagged ("as_written")."""
    # rows are keyed as the form names fields, with dots ("mother.pin", "d.notice_no")
    changed = {
        RecordForm.field_name(k).replace("__", "."): old
        for k, (old, _new) in changes_since_return(record).items()
    }
    form = RecordForm(
        initial=RecordForm.initial_from(record_input_from(record)), event_type=record.event_type
    )
    # The same sections, in the same order, as the entry form (forms/_entry_fields.html).
    sections: list[tuple[str, list[Any]]] = [(_("Case"), form.opening_fields()), *form.party_blocks()]
    if form.event_fields():
        sections.append((record.get_event_type_display(), form.event_fields()))
    sections.append((_("Registration"), form.closing_fields()))
    as_written = {RecordForm.field_name(k).replace("__", ".") for k in record.as_written or ()}
    result = []
    for legend, fields in sections:
        rows = []
        for field in fields:
            key = field.name.replace("__", ".")
            value = form.initial.get(field.name, "")
            choices = dict(getattr(field.field, "choices", []) or [])
            shown = choices.get(value, value) if choices else value
            row = {
                "key": key,
                "label": field.label,
                "value": shown,
                "remark": remarks.get(key, ""),
                "as_written": key in as_written,
            }
            if key in changed:
                old = changed[key]
                row["changed_from"] = choices.get(str(old), choices.get(old, old)) if choices else old
            rows.append(row)
        result.append((legend, rows))
    return result


def _next_work(request: AuthenticatedRequest, record: CivilRecord, done: str) -> HttpResponse:
    """After a step, stay with the book: the case's own next step (claimed for the clerk when it is
    free and theirs to do), else the clerk's next case of the same book (claimed, or the next free one
    they may take), else that book's queue. Never an unrelated case; the message names the case."""
    case = _("Book %(book)s, no. %(no)s") % {"book": record.book, "no": record.entry_no}
    messages.success(request, f"{case}: {done}")
    user = request.user
    open_tasks = RecordTask.objects.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).exclude(stage="")
    mine = open_tasks.filter(owner=user, status=STATUS.ASSIGNED)
    free = open_tasks.filter(status=STATUS.NEW, owner__isnull=True)
    later = {"book_id": record.book_id, "entry_no__gt": record.entry_no}
    follow = (
        mine.filter(record=record).first()
        or _claim_first(free.filter(record=record), user)
        or mine.filter(**later).order_by("entry_no", "id").first()
        or _claim_first(free.filter(**later).order_by("entry_no", "id")[:20], user)
        or mine.filter(book_id=record.book_id).order_by("entry_no", "id").first()
    )
    if follow is not None:
        return redirect("task_work", pk=follow.pk)
    return redirect(f"{reverse('inbox_queue')}?book={record.book_id}")


def _claim_first(tasks: Any, user: Actor) -> RecordTask | None:
    """Claim the first of `tasks` the user may take (roles, four eyes); None if none can be had."""
    for task in tasks:
        if claims.may_take(user, task) is None:
            try:
                return claims.task_claim(task=task, actor=user)
            except ClaimRefused:
                continue
    return None


@login_required
def task_work(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The screen of one work item: the scan beside the data, and the stage's actions."""
    task = task_for(request, pk)
    record = task.record
    if record is None:  # _task_for always sets it (or answers 404)
        raise Http404("No such record.")
    user = request.user
    if request.method == "GET":
        claims.task_touch(task=task, actor=user)
    remarks = (task.data or {}).get("return", {}).get("remarks", {}) if task.is_return else {}
    context: dict[str, Any] = {
        "task": task,
        "record": record,
        "scan": current_scan(record.scans.all()),
        "mine": task.owner_id == user.pk and claim_is_live(task),
        "expired_mine": task.owner_id == user.pk
        and task.status == STATUS.ASSIGNED
        and not claim_is_live(task),
        "held_by_other": task.owner_id not in (None, user.pk) and claim_is_live(task),
        "open": task.status in (STATUS.NEW, STATUS.ASSIGNED),
        "why_not": claims.may_take(user, task) if task.status in (STATUS.NEW, STATUS.ASSIGNED) else None,
        "supervisor": claims.may_supervise(user, task),
        "returned": (task.data or {}).get("return") if task.is_return else None,
        "returned_rows": remark_rows(record.event_type, remarks),
        "version": request.POST.get("version", record.version),
        "reclaim_checked": bool(request.POST.get("reclaim")),
    }
    if context["supervisor"] and context["open"]:
        context["eligible"] = claims.eligible_users(task)[:200]
    handler = {
        "scan": _work_scan,
        "enter": _work_enter,
        "attach": _work_attach,
        "review": _work_check,
        "approve": _work_check,
        "scan_check": _work_scan_check,
        "late_scan": _work_late_scan,
        "key_second": _work_enter,
        "arbitrate": _work_arbitrate,
    }[task.stage]
    return handler(request, task, record, context, remarks)


def _act(request: AuthenticatedRequest, task: RecordTask, action) -> str | None:
    """Check the claim, then run the service. Returns the error message to show, or None on success."""
    try:
        claims.claim_for_action(task=task, actor=request.user, reclaim=bool(request.POST.get("reclaim")))
        action()
    except (ClaimRefused, TransitionRefused, services.ConflictError) as exc:
        return str(exc)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise  # data errors go onto the form's fields
        return " ".join(exc.messages)
    return None


def _work_scan(request, task, record, context, remarks) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")

        def action() -> None:
            if upload is None:
                raise ValidationError(_("Choose the PDF file of the scan."))
            scan_store(record=record, actor=request.user, content=upload.read(), original_name=upload.name)
            services.record_scan(record=record, actor=request.user, expected_version=posted_version(request))

        error = _act(request, task, action)
        if error is None:
            return _next_work(request, record, _("Scan stored: the case goes on to data entry."))
        context["error"] = error
    return render(request, "workflows/work/scan.html", context)


KEYING_DONE = {
    "first": _l("Keyed. Someone else keys the case on their own; the data is saved when the two agree."),
    "agreed": _l(
        "The two keyings agree: the case is entered. Check the scan against the data and attach it."
    ),
    "arbitrate": _l("The two keyings differ: the case goes to arbitration."),
}


def _work_keying(request, task, record, context) -> HttpResponse:
    """One keying of a double-keyed case: the keyer sees only their own input (their draft, never
    the other keying); submitting keeps it as their keying, a draft only as their draft."""
    context["keying"] = True
    if request.method == "POST":
        form = RecordForm(request.POST, event_type=record.event_type)
        if "submit" not in request.POST:
            try:
                draft_save(
                    user=request.user, record=record, data=request.POST.dict(), allowed=set(form.fields)
                )
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            else:
                claims.task_touch(task=task, actor=request.user)
                messages.success(request, _("Draft saved."))
                return redirect("task_work", pk=task.pk)
        elif form.is_valid():
            data = form.to_input()
            outcome: list[str] = []
            try:
                error = _act(
                    request,
                    task,
                    lambda: outcome.append(keying_submit(record=record, actor=request.user, data=data)),
                )
            except ValidationError as exc:  # field by field, on the fields they name
                form.add_service_errors(exc)
                error = ""
            if error is None:
                draft_discard(user=request.user, record=record)
                return _next_work(request, record, str(KEYING_DONE[outcome[0]]))
            if error:
                form.add_error(None, error)
    else:
        form, context["draft"] = entry_form_for(request.user, record)
    context["form"] = form
    context["remarks"] = {}
    context["candidates"] = []
    return render(request, "workflows/work/enter.html", context)


def _work_enter(request, task, record, context, remarks) -> HttpResponse:
    if task.stage == "key_second" or (record.state == "scanned" and services.keying_applies(record)):
        return _work_keying(request, task, record, context)
    if request.method == "POST":
        form = RecordForm(request.POST, event_type=record.event_type)
        if form.is_valid():
            data = form.to_input()
            submit = "submit" in request.POST

            def action() -> None:
                if submit:
                    services.record_enter(
                        record=record, actor=request.user, data=data, expected_version=posted_version(request)
                    )
                else:
                    services.record_data_save(
                        record=record, actor=request.user, data=data, expected_version=posted_version(request)
                    )
                    claims.task_touch(task=task, actor=request.user)

            try:
                error = _act(request, task, action)
            except ValidationError as exc:  # field by field, on the fields they name
                form.add_service_errors(exc)
                error = ""
            if error is None:
                draft_discard(user=request.user, record=record)
                if submit:
                    return _next_work(
                        request, record, _("Entered. Check the scan against the data and attach it.")
                    )
                messages.success(request, _("Draft saved."))
                return redirect("task_work", pk=task.pk)
            if error:
                form.add_error(None, error)
    else:
        form, context["draft"] = entry_form_for(request.user, record)
    context["form"] = form
    context["remarks"] = remarks
    context["candidates"] = entry_candidates(request.user, record)
    return render(request, "workflows/work/enter.html", context)


def _work_attach(request, task, record, context, remarks) -> HttpResponse:
    if request.method == "POST":
        error = _act(
            request,
            task,
            lambda: services.record_attach(
                record=record, actor=request.user, expected_version=posted_version(request)
            ),
        )
        if error is None:
            return _next_work(request, record, _("Attached: the case goes to review."))
        context["error"] = error
    context["rows"] = _record_rows(record, {})
    return render(request, "workflows/work/attach.html", context)


def _work_check(request, task, record, context, remarks) -> HttpResponse:
    """Review or approval: pass (approve), or return with a reason and remarks per field."""
    posted_remarks = {k[len("remark:") :]: v for k, v in request.POST.items() if k.startswith("remark:")}
    if request.method == "POST":
        action_name = request.POST.get("action", "")
        version = posted_version(request)
        actions = {
            "pass": lambda: services.record_review(
                record=record, actor=request.user, expected_version=version
            ),
            "approve": lambda: services.record_approve(
                record=record, actor=request.user, expected_version=version
            ),
            "return": lambda: services.record_return(
                record=record,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                stage=request.POST.get("back_to", "entry"),
                remarks=posted_remarks,
                expected_version=version,
            ),
            "reject": lambda: services.record_reject(
                record=record,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                expected_version=version,
            ),
        }
        allowed = {"review": ("pass", "return"), "approve": ("approve", "return", "reject")}[task.stage]
        if action_name not in allowed:
            context["error"] = _("Choose an action: the buttons at the bottom of the form.")
        else:
            error = _act(request, task, actions[action_name])
            if error is None:
                done = {
                    "pass": _("Review passed: the case goes to approval."),
                    "approve": _("Approved: the case is on the ready-to-transfer list."),
                    "return": _("Returned with your reason and remarks."),
                    "reject": _("Rejected: the case is closed."),
                }[action_name]
                return _next_work(request, record, done)
            context["error"] = error
    context["rows"] = _record_rows(record, posted_remarks)
    context["reason"] = request.POST.get("reason", "")
    context["back_to"] = request.POST.get("back_to", "entry")
    return render(request, "workflows/work/check.html", context)


def _work_scan_check(request, task, record, context, remarks) -> HttpResponse:
    """A late scan's check: the scan waiting for it beside the record's data; pass, or return it
    with a reason to whoever uploaded it. The data is not checked again."""
    late = late_scan_of(task.process)
    context["scan"] = ScanFile.objects.filter(pk=late.get("scan") or 0, record=record).first()
    context["uploaded_by"] = late.get("by_name", "")
    context["previous_scan"] = (
        record.scans.exclude(pk=late.get("scan"))
        .exclude(late_check__in=[LateCheck.PENDING, LateCheck.RETURNED, LateCheck.CANCELLED])
        .first()
    )
    if request.method == "POST":
        action_name = request.POST.get("action", "")
        if action_name not in ("pass", "return"):
            context["error"] = _("Choose an action: the buttons at the bottom of the form.")
        else:
            error = _act(
                request,
                task,
                lambda: late_scan_check(
                    record=record,
                    actor=request.user,
                    passed=action_name == "pass",
                    reason=request.POST.get("reason", ""),
                ),
            )
            if error is None:
                done = (
                    _("Scan accepted: it is the case's scan and goes to the national database.")
                    if action_name == "pass"
                    else _("Returned with your reason to whoever uploaded the scan.")
                )
                return _next_work(request, record, done)
            context["error"] = error
    context["rows"] = _record_rows(record, {})
    context["reason"] = request.POST.get("reason", "")
    return render(request, "workflows/work/scan_check.html", context)


def _work_late_scan(request, task, record, context, remarks) -> HttpResponse:
    """A late scan returned by its check: upload it again (it goes to a new check)."""
    late = late_scan_of(task.process)
    context["scan"] = ScanFile.objects.filter(pk=late.get("scan") or 0, record=record).first()
    if request.method == "POST":
        upload = request.FILES.get("file")

        def action() -> None:
            if upload is None:
                raise ValidationError(_("Choose the PDF file of the scan."))
            scan_store_late(
                record=record, actor=request.user, content=upload.read(), original_name=upload.name
            )

        error = _act(request, task, action)
        if error is None:
            return _next_work(request, record, _("Scan stored: it goes to a scan check by a reviewer."))
        context["error"] = error
    return render(request, "workflows/work/late_scan.html", context)


def _shown(form: RecordForm, key: str, value: str) -> str:
    """A keyed value as the form shows it (the label of a choice)."""
    field = form.fields.get(RecordForm.field_name(key))
    choices = {str(k): v for k, v in (getattr(field, "choices", None) or [])}
    return str(choices.get(value, value))


def _work_arbitrate(request, task, record, context, remarks) -> HttpResponse:
    """The arbitration of a double-keyed case: the scan beside both values of each field where the
    keyings differ (the agreeing fields shown as settled); pick one value or type what the scan shows."""
    disagreements, settled = arbitration_of(task)
    form = RecordForm(event_type=record.event_type)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        resolutions: dict[str, str] = {}
        for row in disagreements:
            pick = request.POST.get(f"pick:{row.field}", "")
            typed = request.POST.get(f"value:{row.field}", "")
            if pick == "a":
                resolutions[row.field] = row.value_a
            elif pick == "b":
                resolutions[row.field] = row.value_b
            elif pick == "typed":
                resolutions[row.field] = typed
        confirmed = request.POST.getlist("as_written")
        try:
            error = _act(
                request,
                task,
                lambda: keying_arbitrate(
                    record=record, actor=request.user, resolutions=resolutions, as_written=confirmed
                ),
            )
        except ValidationError as exc:
            error = ""
            fields = {row.field for row in disagreements}
            for key, items in exc.error_dict.items():
                for item in items:
                    message = " ".join(item.messages)
                    if key in fields:
                        errors.setdefault(key, []).append(message)
                        if item.code == "as_written":
                            errors.setdefault("as_written:" + key, [])
                    else:
                        general.append(f"{field_label(record.event_type, key)}: {message}")
        if error is None:
            return _next_work(request, record, _("Arbitrated: the case is entered and goes on to attach."))
        if error:
            context["error"] = error
    context["rows"] = [
        {
            "key": row.field,
            "label": field_label(record.event_type, row.field),
            "a": _shown(form, row.field, row.value_a),
            "b": _shown(form, row.field, row.value_b),
            "pick": request.POST.get(f"pick:{row.field}", ""),
            "typed": request.POST.get(f"value:{row.field}", ""),
            "errors": errors.get(row.field, []),
            "offer_as_written": "as_written:" + row.field in errors,
        }
        for row in disagreements
    ]
    context["settled"] = [
        (field_label(record.event_type, key), _shown(form, key, value)) for key, value in settled.items()
    ]
    context["general_errors"] = general
    return render(request, "workflows/work/arbitrate.html", context)
