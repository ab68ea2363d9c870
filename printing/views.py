"""The counter (search, preview, print, reprint, batch), the issue log, and public verification.

Every record, issue and batch is reached through permissions.scoping with the
"print_extract" permission; the public verification page needs no login and is
rate-limited per address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access, client_ip
from jobs.models import JobKind
from jobs.selectors import latest_job
from permissions.scoping import get_record_for
from printing import services
from printing.forms import BatchForm, CounterSearchForm, IssueForm, ReprintForm
from printing.layouts import KINDS
from printing.models import ExtractBatch
from printing.rendering import IssueFacts, issuing_authority, place_name, render_extract
from printing.selectors import (
    counter_name_capped,
    counter_search,
    get_issue_for,
    issues_visible_to,
    last_signer,
    print_refusal,
    verify_issue,
)
from printing.tokens import issue_id_from_token
from registry.models import CivilRecord
from registry.result_rows import choice_labels, url_with_pk
from registry.search import CappedPaginator

PAGE_SIZE = 50


def _pdf_response(fh, filename: str) -> FileResponse:
    return FileResponse(fh, content_type="application/pdf", filename=filename, as_attachment=False)


def _counter_page(request: HttpRequest, params, *, batch_form=None, selected=(), status: int = 200):
    form = CounterSearchForm(params or None)
    page = None
    if form.has_criteria():
        records = counter_search(request.user, **form.cleaned_data)
        capped = counter_name_capped(request.user, **form.cleaned_data)
        page = CappedPaginator(records, PAGE_SIZE, name_capped=capped).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    rows_html = counter_rows_html(page if page is not None else [], selected={str(i) for i in selected})
    return render(
        request,
        "printing/counter.html",
        {
            "form": form,
            "page": page,
            "rows_html": rows_html,
            "query": query.urlencode(),
            "batch_form": batch_form or BatchForm(prefix="b"),
        },
        status=status,
    )


def counter_rows_html(records: Iterable[CivilRecord], *, selected: set[str]) -> SafeString:
    """The <tr> of each record of a counter page (`printing/counter.html` holds the table's head,
    the empty row, the pager and the batch form): a box to tick it for a batch (ticked when its
    id is in `selected`), everyone in the record, and a link to print it. Written in Python for
    the reason `registry.result_rows` gives; tests/registry/test_result_rows.py compares it with
    the template it replaces."""
    record_url = url_with_pk("counter_record")
    events, states = choice_labels("event_type"), choice_labels("state")
    add = escape(_("Add to batch"))
    out = []
    for record in records:
        book = record.book
        # `default:"—"` on each name; "—" alone for a record without people.
        people = " · ".join(escape(p.full_name or "—") for p in record.parties.all()) or "—"
        checked = " checked" if str(record.pk) in selected else ""
        state = escape(str(record.state))
        out.append(
            "\n  <tr>\n"
            f'    <td><input type="checkbox" name="record" value="{record.pk}" aria-label="{add}"{checked}>'
            "</td>\n"
            f'    <td><a href="{escape(record_url(record.pk))}">{people}</a></td>\n'
            f"    <td>{events.get(record.event_type) or escape(str(record.event_type))}</td>\n"
            f"    <td>{escape(book.years_label)} / {escape(str(book.book_no))}</td>"
            f"<td>{escape(record.entry_label)}</td>\n"
            f"    <td>{escape(str(record.registration_date) or '—')}</td>"
            f"<td>{escape(str(record.unit.name))}</td>\n"
            f'    <td><span class="state s-{state}">{states.get(record.state) or state}</span></td>\n'
            "  </tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


@login_required
def counter(request: AuthenticatedRequest) -> HttpResponse:
    """Search the records the clerk may print; tick several for a batch."""
    return _counter_page(request, request.GET)


@login_required
def counter_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Preview a record's extract and issue it (N copies, or a signed electronic copy)."""
    record = get_record_for(request.user, pk, "print_extract", request=request)
    refusal = print_refusal(record)
    unit = services.issuing_unit_for(request.user, record)
    if request.method == "POST":
        form = IssueForm(request.POST)
        if form.is_valid() and not refusal:
            try:
                issue = services.extract_issue(
                    record=record, actor=request.user, ip=client_ip(request), **form.cleaned_data
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except services.PrintRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Extract %(serial)s issued and logged.") % {"serial": issue.serial}
                )
                return redirect("extract_issue_detail", pk=issue.pk)
    else:
        title, name = last_signer([unit.pk])
        form = IssueForm(initial={"copies": 1, "signer_title": title, "signer_name": name})
    history = record.extract_issues.select_related("clerk").order_by("-issued_at", "-id")[:20]
    return render(
        request,
        "printing/record.html",
        {
            "record": record,
            "refusal": refusal,
            "form": form,
            "history": history,
            "issuing_unit": unit,
            "parties": record.parties.all(),
        },
    )


@login_required
@xframe_options_sameorigin  # shown in an iframe of the counter page
def counter_preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The extract as it would print, watermarked, with no serial and no QR: not a valid paper."""
    record = get_record_for(request.user, pk, "print_extract", request=request)
    refusal = print_refusal(record)
    if refusal:
        return HttpResponse(refusal, status=409, content_type="text/plain; charset=utf-8")
    unit = services.issuing_unit_for(request.user, record)
    parent, name = issuing_authority(unit)
    title, signer = last_signer([unit.pk])
    facts = IssueFacts(
        serial=f"……/{timezone.localdate().year}/{KINDS[record.event_type].code}-BS",
        issued_on=timezone.localdate(),
        authority_parent=parent,
        authority_name=name,
        place=place_name(unit),
        signer_title=title,
        signer_name=signer,
        marker="XEM TRƯỚC",
        preview=True,
    )
    pdf = render_extract(record=record, issue=facts)
    audit_access(
        request=request,
        action=AuditAction.PREVIEW_EXTRACT,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="xem-truoc-{record.pk}.pdf"'
    return response


@login_required
def issue_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    issue = get_issue_for(request.user, pk, request=request)
    return render(
        request,
        "printing/issue.html",
        {
            "issue": issue,
            "reprint_form": ReprintForm(initial={"copies": 1}),
            "check": verify_issue(issue.original_id),
        },
    )


@login_required
@xframe_options_sameorigin
def issue_pdf(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The PDF exactly as it was issued (each opening is logged)."""
    issue = get_issue_for(request.user, pk, request=request)
    if not issue.file:
        raise Http404("This extract has no stored PDF (part of a batch: download the batch).")
    audit_access(
        request=request,
        action=AuditAction.DOWNLOAD_EXTRACT,
        unit_id=issue.record.unit_id,
        obj=issue,
        record_id=issue.record_id,
    )
    kind = "dien-tu" if issue.electronic else "ban-sao"
    return _pdf_response(issue.file.open("rb"), f"trich-luc-{kind}-{issue.pk}.pdf")


@login_required
@require_POST
def issue_reprint(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    issue = get_issue_for(request.user, pk, request=request)
    form = ReprintForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Print between 1 and %(max)d copies.") % {"max": services.MAX_COPIES})
        return redirect("extract_issue_detail", pk=issue.pk)
    try:
        reprint = services.extract_reprint(
            issue=issue, actor=request.user, copies=form.cleaned_data["copies"], ip=client_ip(request)
        )
    except (services.PrintRefused, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        return redirect("extract_issue_detail", pk=issue.pk)
    messages.success(
        request,
        _("Reprint no. %(n)d of %(serial)s logged.") % {"n": reprint.reprint_no, "serial": reprint.serial},
    )
    return redirect("extract_issue_detail", pk=reprint.pk)


@login_required
def issue_log(request: AuthenticatedRequest) -> HttpResponse:
    """The issue log of every extract printed from records the user may print."""
    issues = issues_visible_to(request.user).order_by("-issued_at", "-id")
    day = request.GET.get("day", "")
    if day:
        try:
            date = dt.datetime.strptime(day, "%d/%m/%Y").date()
        except ValueError:
            messages.error(request, _("“%(value)s” is not a date: type dd/mm/yyyy.") % {"value": day})
        else:
            issues = issues.filter(issued_at__date=date)
    page = Paginator(issues, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "printing/log.html", {"page": page, "day": day})


@login_required
@require_POST
def batch_create(request: AuthenticatedRequest) -> HttpResponse:
    """Queue a batch of the ticked records; on a refusal the search, the ticks and the input stay."""
    form = BatchForm(request.POST, prefix="b")
    ids = [i for i in request.POST.getlist("record") if i.isdigit()]
    if form.is_valid():
        try:
            batch = services.extract_batch_create(
                actor=request.user, record_ids=[int(i) for i in ids], **form.cleaned_data
            )
        except services.PrintRefused as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Batch of %(n)d extracts queued.") % {"n": batch.total})
            return redirect("extract_batch_detail", pk=batch.pk)
    params = QueryDict(request.POST.get("query", ""))
    return _counter_page(request, params, batch_form=form, selected=ids, status=400)


def _get_batch_for(request: HttpRequest, pk: int) -> ExtractBatch:
    batch = ExtractBatch.objects.filter(pk=pk).first()
    if batch is None or not (request.user.is_superuser or batch.created_by_id == request.user.pk):
        if batch is not None:
            audit_access(
                request=request, action=AuditAction.DENIED, obj=batch, changes={"permission": "batch_owner"}
            )
        raise Http404("No such batch.")
    return batch


@login_required
def batch_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = _get_batch_for(request, pk)
    issues = batch.issues.select_related("record__book").order_by("id")[:500]
    run = latest_job(kinds=[JobKind.BATCH_PRINT], object_id=batch.pk)
    return render(request, "printing/batch.html", {"batch": batch, "issues": issues, "run": run})


@login_required
def batch_pdf(request: AuthenticatedRequest, pk: int) -> FileResponse:
    batch = _get_batch_for(request, pk)
    if batch.status != ExtractBatch.Status.DONE or not batch.file:
        raise Http404("The batch is not ready yet.")
    audit_access(
        request=request,
        action=AuditAction.DOWNLOAD_EXTRACT_BATCH,
        obj=batch,
        changes={"extracts": batch.total},
    )
    return _pdf_response(batch.file.open("rb"), f"trich-luc-lo-{batch.pk}.pdf")


def _over_rate(request: HttpRequest) -> bool:
    key = f"extract-verify:{client_ip(request)}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)
        count = 1
    return count > settings.EXTRACT_VERIFY_PER_MINUTE


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: is this printed extract genuine, and is it still current? Shows no more than the paper."""
    if _over_rate(request):
        response = render(request, "printing/verify.html", {"rate_limited": True}, status=429)
        response["Retry-After"] = "60"
        return response
    issue_id = issue_id_from_token(token)
    result = verify_issue(issue_id) if issue_id is not None else None
    if result is None or not result.genuine or result.issue is None:  # a genuine result has its issue
        return render(request, "printing/verify.html", {"forged": True}, status=404)
    issue = result.issue
    audit_access(
        action=AuditAction.VERIFY_EXTRACT,
        ip=client_ip(request),
        unit_id=issue.record.unit_id,
        obj=issue,
        record_id=issue.record_id,
        changes={"superseded": result.superseded},
    )
    parent, name = issuing_authority(issue.issuing_unit)
    return render(
        request,
        "printing/verify.html",
        {
            "result": result,
            "issue": issue,
            "kind": KINDS[issue.event_type],
            "authority": f"{parent} {name}",
            "reprints": issue.reprints.count(),
        },
    )
