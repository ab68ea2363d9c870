"""Inbox pages, claims and the book approval. Thin: selectors read, services decide.

The work screen of each stage is `forms.work_views.task_work`.

Every task is reached through `task_for`, which goes through
`permissions.scoping.get_record_for` (404 and an audited refusal outside one's scope).
On any refusal the page is shown again with the user's input and a message that
says what to do.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from html import escape
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_change
from permissions.scoping import can, get_book_for, get_record_for, records_visible_to
from registry.event_fields import field_label
from registry.models import CivilRecord, EventType, PartyRole
from registry.result_rows import url_with_pk
from vietnamese.input_values import id_param
from workflows import claims, inbox, services
from workflows.claims import ClaimRefused
from workflows.inbox_forms import InboxFilterForm
from workflows.machine import TransitionRefused
from workflows.models import RecordTask, Stage

LISTS = {
    "queue": inbox.queue_for,
    "mine": inbox.mine_for,
    "returned": inbox.returned_for,
    "done": inbox.done_for,
}
# How often a queue page sweeps expired claims back into the queue (`manage.py expire_claims` does it too).
EXPIRE_SWEEP_SECONDS = 60


_last_sweep_try = 0.0


def _sweep_expired_claims() -> None:
    """At most one sweep a minute across processes (the shared cache decides), and each process asks
    the cache at most once a minute rather than on every Queue page."""
    global _last_sweep_try
    now = time.monotonic()
    if now - _last_sweep_try < EXPIRE_SWEEP_SECONDS:
        return
    _last_sweep_try = now
    if cache.add("workflows:claims-expire", 1, EXPIRE_SWEEP_SECONDS):
        claims.claims_expire()


@login_required
def inbox_list(request: AuthenticatedRequest, which: str) -> HttpResponse:
    """Queue, My work, Returned to me, Done: one page, filtered, by age or deadline."""
    if which not in LISTS:
        raise Http404
    if which == "queue":
        _sweep_expired_claims()
    form = InboxFilterForm(request.GET or None, user=request.user)
    tasks = LISTS[which](request.user, form.filters())
    page = inbox.page_of(
        tasks, sort="done" if which == "done" else form.sort_order, after=request.GET.get("after", "")
    )
    now = timezone.now()
    query = request.GET.copy()
    query.pop("after", None)
    here = request.get_full_path()
    rows = _rows(page.items, which, now)
    context = {
        "which": which,
        "form": form,
        "page": page,
        "rows": rows,
        "rows_html": rows_html(rows, which, here=here, csrf=csrf_input(request)),
        "query": query.urlencode(),
        "here": here,
        "claim_next_max": claims.MAX_CLAIM_NEXT,
    }
    if request.headers.get("HX-Request"):
        return render(request, "workflows/inbox/_list.html", context)
    return render(request, "workflows/inbox/list.html", context)


def _rows(items: list[RecordTask], which: str, now: dt.datetime) -> list[dict[str, Any]]:
    """What each row of the page shows, worked out once here rather than by template tags in every
    row: labels (get_*_display() translates every choice on each call), links, local dates. Plain
    dicts, because the template engine looks a name up in a dict before trying an attribute."""
    event_labels = {value: str(label) for value, label in EventType.choices}
    stage_labels = {value: str(label) for value, label in Stage.choices}
    book_word, no_word = _("book"), _("no.")
    zone = timezone.get_current_timezone()

    def local(value: dt.datetime | None) -> str:  # `flows.local_text`, the time zone looked up once
        return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else ""

    work_url, claim_url, release_url = (
        url_with_pk(name) for name in ("task_work", "task_claim", "task_release")
    )
    rows = []
    for task in items:
        event = event_labels.get(task.event_type, task.event_type)
        returned = task.data.get("return", {}) if which == "returned" else {}
        rows.append(
            {
                "pk": task.pk,
                "case": f"{event} {task.book_year} · {book_word} {task.book_no} · {no_word} {task.entry_no}",
                "is_return": task.is_return,
                "unit": task.unit_name,
                "stage": stage_labels.get(task.stage, task.stage),
                "created": local(task.created),
                "due": local(task.due_at),
                "overdue": inbox.overdue(task, now),
                "finished": local(task.finished),
                "outcome_returned": task.data.get("outcome") == "returned",
                "return_reason": returned.get("reason", ""),
                "return_by": returned.get("by", ""),
                "remark_rows": remark_rows(task.event_type, returned.get("remarks", {})) if returned else [],
                "work_url": work_url(task.pk),
                "claim_url": claim_url(task.pk),
                "release_url": release_url(task.pk),
            }
        )
    return rows


def rows_html(rows: list[dict[str, Any]], which: str, *, here: str, csrf: str) -> SafeString:
    """The <tr> of each row of a list (`_list.html` holds the table's head, the empty row and the
    pager). Written here rather than in the template: the engine's few microseconds per
    variable, twenty variables a row, fifty rows, were the largest part of the page's CPU.
    Every value is escaped as the template would (`html.escape`, what Django's `escape` calls
    without its lazy-text check)."""
    words = {
        word: escape(_(word))
        for word in (
            "returned", "passed", "Claim", "Open", "Release", "by", "Case", "Unit", "Stage",
            "Finished", "Outcome", "Waiting since", "Deadline", "Reason and remarks",
        )
    }  # fmt: skip
    next_input = f'{csrf}<input type="hidden" name="next" value="{escape(here)}">'
    badge = f'<span class="badge returned">{words["returned"]}</span>'
    out = []
    for row in rows:
        case = escape(row["case"])
        work_url = escape(row["work_url"])
        if which == "done":
            outcome = words["returned"] if row["outcome_returned"] else words["passed"]
            dates = (
                f'<td data-label="{words["Finished"]}">{escape(row["finished"])}</td>'
                f'<td data-label="{words["Outcome"]}">{outcome}</td>\n    '
            )
        else:
            overdue = ' class="overdue"' if row["overdue"] else ""
            dates = (
                f'<td data-label="{words["Waiting since"]}">{escape(row["created"])}</td>'
                f'<td data-label="{words["Deadline"]}"{overdue}>{escape(row["due"])}</td>'
            )
        reason = ""
        if which == "returned":
            remarks = "".join(
                f"<li><strong>{escape(label)}</strong>: {escape(text)}</li>"
                for label, text in row["remark_rows"]
            )
            reason = (
                f'<td data-label="{words["Reason and remarks"]}">{escape(row["return_reason"])}'
                f'{f"""<ul class="remarks">{remarks}</ul>""" if remarks else ""}'
                f'<div class="muted">{words["by"]} {escape(row["return_by"])}</div></td>'
            )
        if which == "queue":
            actions = (
                f'\n      <form method="post" action="{escape(row["claim_url"])}" class="inline">{next_input}'
                f'<button type="submit" class="primary" aria-label="{words["Claim"]}: {case}">'
                f"{words['Claim']}</button></form>\n      "
            )
        elif which in ("mine", "returned"):
            actions = (
                f'\n      <a class="button primary" href="{work_url}" aria-label="{words["Open"]}: {case}">'
                f"{words['Open']}</a>\n"
                f'      <form method="post" action="{escape(row["release_url"])}" class="inline">{next_input}'
                f'<button type="submit" aria-label="{words["Release"]}: {case}">{words["Release"]}</button>'
                "</form>\n      "
            )
        else:
            actions = ""
        out.append(
            f'\n  <tr data-task="{row["pk"]}">\n'
            f'    <td data-label="{words["Case"]}"><a href="{work_url}">{case}</a>\n'
            f"      {badge if row['is_return'] else ''}</td>\n"
            f'    <td data-label="{words["Unit"]}">{escape(row["unit"])}</td>\n'
            f'    <td data-label="{words["Stage"]}">{escape(row["stage"])}</td>\n'
            f"    {dates}\n"
            f"    {reason}\n"
            f'    <td class="row-actions">\n      {actions}\n    </td>\n'
            "  </tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


@login_required
def inbox_counts(request: AuthenticatedRequest) -> JsonResponse:
    """The menu counters, for the page script (refreshed on live events)."""
    return JsonResponse(inbox.counts_for(request.user))


def task_for(request: HttpRequest, pk: int) -> RecordTask:
    task = RecordTask.objects.filter(pk=pk).exclude(stage="").select_related("owner").first()
    if task is None:
        raise Http404("No such work item.")
    task.record = get_record_for(request.user, task.record_id, request=request)
    return task


def _back(request: HttpRequest, default: str = "inbox_queue") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


@login_required
@require_POST
def task_claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = task_for(request, pk)
    try:
        claims.task_claim(task=task, actor=request.user)
    except ClaimRefused as exc:
        messages.error(request, str(exc))
        return redirect(_back(request))
    messages.success(request, _("Claimed: %(record)s.") % {"record": task.record})
    return redirect("task_work", pk=task.pk)


@login_required
@require_POST
def tasks_claim_next(request: AuthenticatedRequest) -> HttpResponse:
    form = InboxFilterForm(request.POST, user=request.user)
    try:
        count = int(request.POST.get("count") or 20)
    except ValueError:
        count = 20
    claimed = claims.tasks_claim_next(
        actor=request.user, queue=inbox.queue_for(request.user, form.filters()), count=count
    )
    if not claimed:
        messages.warning(request, _("Nothing left to claim with these filters. Change the filters or wait."))
        return redirect(_back(request))
    messages.success(request, _("Claimed %(n)d cases. They are in My work.") % {"n": len(claimed)})
    return redirect(reverse("inbox_mine") + "?" + _filter_query(request.POST))


def _filter_query(data: Any) -> str:
    query = data.copy()
    for key in ("csrfmiddlewaretoken", "count", "next", "after"):
        query.pop(key, None)
    return query.urlencode()


@login_required
@require_POST
def task_release(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = task_for(request, pk)
    try:
        claims.task_release(task=task, actor=request.user)
    except ClaimRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Released: it is back in the queue."))
    return redirect(_back(request, "inbox_mine"))


@login_required
@require_POST
def task_reassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = task_for(request, pk)
    to_user = (
        get_user_model().objects.filter(pk=id_param(request.POST.get("user"), field=_("user")) or 0).first()
    )
    try:
        if to_user is None:
            raise ClaimRefused(_("Choose the person to give this work to."))
        claims.task_reassign(task=task, actor=request.user, to_user=to_user)
    except ClaimRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Given to %(name)s.") % {"name": to_user.get_full_name() or to_user.get_username()}
        )
    return redirect("task_work", pk=task.pk)


# --- remarks and book approval -----------------------------------------------------------------


def remark_rows(event_type: str, remarks: dict[str, str]) -> list[tuple[str, str]]:
    """Remarks keyed by field ("subject.birth_date") as ("Person registered › Date of birth", remark).

    Labels come from the one field vocabulary (`registry.event_fields.field_label`).
    """
    rows = []
    for key, text in remarks.items():
        head, _dot, rest = key.partition(".")
        if head in PartyRole.values and rest:
            role_label, _colon, label = field_label(event_type, f"party.{key}").partition(": ")
            rows.append((f"{role_label} › {label}", text))
        elif head == "d" and rest:
            rows.append((field_label(event_type, f"details.{rest}"), text))
        else:
            rows.append((field_label(event_type, key), text))
    return rows


# --- approving a book page by page ---------------------------------------------------------


@login_required
def book_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An approver approves a reviewed book page by page: one action per page of the paper book."""
    book = get_book_for(request.user, pk, "approve_record", request=request)
    reviewed = (
        records_visible_to(request.user, "approve_record")
        .filter(book=book, state="reviewed")
        .prefetch_related("parties")
        .order_by("page_no", "entry_no")
    )
    if request.method == "POST":
        page_no = request.POST.get("page", "")
        seen = {}
        for item in request.POST.getlist("record"):
            rid, _sep, version = item.partition(":")
            if rid.isdigit() and version.isdigit():
                seen[int(rid)] = int(version)
        approved, refused = [], []
        for record in reviewed.filter(pk__in=list(seen)):
            try:
                services.record_approve(
                    record=record.pk, actor=request.user, expected_version=seen[record.pk]
                )
            except (TransitionRefused, services.ConflictError) as exc:
                refused.append(f"{_('no.')} {record.entry_no}: {exc}")
            else:
                approved.append(record.entry_no)
        audit_change(
            action=AuditAction.APPROVE_PAGE,
            actor=request.user,
            unit_id=book.custodian_id,
            obj=book,
            changes={"page": page_no, "approved": approved, "refused": refused},
        )
        if approved:
            messages.success(
                request,
                _("Page %(page)s: %(n)d cases approved.") % {"page": page_no or "—", "n": len(approved)},
            )
        for problem in refused:
            messages.error(request, problem)
        if not approved and not refused:
            messages.warning(
                request, _("Nothing to approve on this page any more: someone else acted on it.")
            )
        return redirect("book_approve", pk=book.pk)
    pages: OrderedDict[Any, list[CivilRecord]] = OrderedDict()
    for record in reviewed:
        pages.setdefault(record.page_no, []).append(record)
    return render(
        request,
        "workflows/book_approve.html",
        {
            "book": book,
            "pages": list(pages.items()),
            "may_approve": can(request.user, "approve_record", book.custodian.path),
        },
    )
