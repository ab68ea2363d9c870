"""Transfer, export and reconciliation pages. Thin: selectors read, services decide, all scoped."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from jobs.models import JobKind
from jobs.selectors import latest_jobs
from jobs.services import may_cancel
from permissions.scoping import get_book_for, scope_q, scopes_with, units_visible_to
from transfer import selectors
from transfer.export_services import ExportRefused, export_request, ministry_file
from transfer.exports import ministry_records
from transfer.models import DiffKind, DiffStatus, ExportKind, ExportStatus, PopulationExtract
from transfer.police_list import police_list_export
from transfer.reconciliation import (
    reconciliation_fix_record,
    reconciliation_mark_population,
)
from transfer.reconciliation_runs import reconciliation_run
from transfer.services import transfer_retry_now
from workflows.machine import TransitionRefused

PAGE_SIZE = 50
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
FORMAT_KINDS = {"xlsx": ExportKind.MINISTRY_EXCEL, "zip": ExportKind.MINISTRY_ZIP}
FORMAT_ACTIONS = {"xlsx": AuditAction.EXPORT_MINISTRY_XLSX, "zip": AuditAction.EXPORT_MINISTRY_ZIP}


@login_required
def transfer_overview(request: AuthenticatedRequest) -> HttpResponse:
    """Waiting and overdue transfers (the 12-hour rule) with the last error, and recent refusals."""
    overdue = Paginator(selectors.overdue_transfers(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "transfer/overview.html",
        {
            "counts": selectors.transfer_counts(request.user),
            "overdue": overdue,
            "page": overdue,
            "refusals": selectors.recent_refusals(request.user),
            "deadline_hours": settings.TRANSFER_DEADLINE_HOURS,
            "can_retry": bool(scopes_with(request.user, "approve_record")) or request.user.is_superuser,
        },
    )


@login_required
@require_POST
def transfer_retry(request: AuthenticatedRequest) -> HttpResponse:
    paths = [s.unit_path for s in scopes_with(request.user, "approve_record")]
    if request.user.is_superuser:
        paths = [""]
    if not paths:
        raise PermissionDenied
    count = sum(transfer_retry_now(actor=request.user, unit_path=p) for p in paths)
    messages.success(request, _("%(n)d waiting record(s) will be sent again now.") % {"n": count})
    return redirect("transfer_overview")


class DataCentreForm(forms.Form):
    unit: forms.ModelChoiceField = forms.ModelChoiceField(label=_l("Unit"), queryset=None)
    kind = forms.ChoiceField(
        label=_l("Copy"),
        choices=[
            (ExportKind.DATACENTRE_FULL, _l("Full copy")),
            (ExportKind.DATACENTRE_INCREMENTAL, _l("Changes since the last copy")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = units_visible_to(user, "export_records").order_by("path")


@login_required
def export_list(request: AuthenticatedRequest) -> HttpResponse:
    """Books ready for the Ministry export, the data-centre copy form, and recent export jobs."""
    books = Paginator(selectors.exportable_books(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = list(selectors.exports_visible_to(request.user)[:20])
    runs = latest_jobs(kinds=[JobKind.EXPORT, JobKind.DATACENTRE_COPY], object_ids=[j.pk for j in jobs])
    for job in jobs:  # a live bar for the runs this user may follow (theirs, or of a unit they manage)
        run = runs.get(job.pk)
        job.run = run if run is not None and run.is_active and may_cancel(request.user, run) else None  # type: ignore[attr-defined]
    return render(
        request,
        "transfer/exports.html",
        {
            "page": books,
            "jobs": jobs,
            "form": DataCentreForm(user=request.user),
        },
    )


@login_required
def ministry_download(request: AuthenticatedRequest, pk: int, fmt: str) -> HttpResponse:
    """The Ministry Excel sheet or ZIP of a book; large books are produced in the background."""
    if fmt not in FORMAT_KINDS:
        raise Http404
    book = get_book_for(request.user, pk, "export_records", request=request)
    kind = FORMAT_KINDS[fmt]
    try:
        if ministry_records(book).count() > settings.EXPORT_INLINE_MAX_RECORDS:
            export_request(actor=request.user, kind=kind, book=book, request=request)
            messages.info(
                request,
                _("The book is large: the export is being prepared. Download it below when it is ready."),
            )
            return redirect("transfer_exports")
        filename, content, count = ministry_file(book=book, kind=kind)
    except ExportRefused as exc:
        messages.error(request, str(exc))
        return redirect("transfer_exports")
    audit_access(
        request=request,
        action=FORMAT_ACTIONS[fmt],
        unit_id=book.custodian_id,
        obj=book,
        changes={"records": count, "file": filename},
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def datacentre_request(request: AuthenticatedRequest) -> HttpResponse:
    form = DataCentreForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose a unit you may export and the kind of copy."))
        return redirect("transfer_exports")
    try:
        export_request(
            actor=request.user,
            kind=form.cleaned_data["kind"],
            unit=form.cleaned_data["unit"],
            request=request,
        )
    except ExportRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The copy is being prepared. Download it below when it is ready."))
    return redirect("transfer_exports")


@login_required
def export_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    job = selectors.exports_visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such export.")
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404("This export is not ready.")
    audit_access(
        request=request,
        action=AuditAction.DOWNLOAD_EXPORT,
        unit_id=job.unit_id,
        obj=job,
        changes={"kind": job.kind, "file": job.filename},
    )
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)


class ExtractForm(forms.Form):
    unit: forms.ModelChoiceField = forms.ModelChoiceField(label=_l("Unit"), queryset=None)
    file = forms.FileField(label=_l("Extract of residents (CSV, UTF-8)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = units_visible_to(user, "approve_record").order_by("path")


@login_required
def reconciliation(request: AuthenticatedRequest) -> HttpResponse:
    """Import population extracts and work through the differences they revealed."""
    form = ExtractForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            extract = reconciliation_run(
                actor=request.user,
                unit=form.cleaned_data["unit"],
                content=upload.read(),
                filename=upload.name,
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        except PermissionDenied as exc:
            form.add_error("unit", str(exc))
        else:
            if extract.matched_at is None:
                messages.info(
                    request,
                    _(
                        "Imported %(rows)d residents. The extract is large: it is being matched in the "
                        "background; the worklist fills as it runs."
                    )
                    % {"rows": extract.row_count},
                )
                return redirect("transfer_reconciliation")
            messages.success(
                request,
                _(
                    "Imported %(rows)d residents: %(pin)d matched by PIN, %(name)d by name and birth date, "
                    "%(none)d not found; %(diff)d differences to clean."
                )
                % {
                    "rows": extract.row_count,
                    "pin": extract.matched_by_pin,
                    "name": extract.matched_by_name,
                    "none": extract.unmatched,
                    "diff": extract.differences,
                },
            )
            if extract.skipped:
                messages.warning(
                    request,
                    _("%(n)d line(s) could not be read:") % {"n": extract.skipped} + " " + extract.problems,
                )
            return redirect("transfer_reconciliation")
    return _reconciliation_page(request, form)


class WorklistFilter(forms.Form):
    direction = forms.ChoiceField(
        label=_l("Who must act"),
        required=False,
        choices=[
            ("", _l("Both sides")),
            ("police", _l("Population database (commune police)")),
            ("civil", _l("Civil-status data (us)")),
        ],
    )
    kind = forms.ChoiceField(
        label=_l("Kind"), required=False, choices=[("", _l("All kinds")), *DiffKind.choices]
    )
    status = forms.ChoiceField(
        label=_l("Status"),
        required=False,
        choices=[("active", _l("Still followed")), ("", _l("All, with history")), *DiffStatus.choices],
    )


class PoliceListForm(forms.Form):
    unit: forms.ModelChoiceField = forms.ModelChoiceField(label=_l("Commune"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = units_visible_to(user, "approve_record").order_by("path")
        units = list(field.queryset[:2])
        if len(units) == 1:  # one commune: nothing to choose
            self.initial["unit"] = units[0].pk


def _reconciliation_page(
    request: AuthenticatedRequest,
    form: ExtractForm,
    *,
    failed: int | None = None,
    reason: str = "",
    error: str = "",
) -> HttpResponse:
    filters = WorklistFilter(request.GET or {"status": "active"})
    chosen = filters.cleaned_data if filters.is_valid() else {"status": "active"}
    items = Paginator(
        selectors.differences(
            request.user,
            direction=chosen.get("direction", ""),
            kind=chosen.get("kind", ""),
            status=chosen.get("status", ""),
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    extracts = PopulationExtract.objects.filter(scope_q(request.user, "view_records")).order_by(
        "-imported_at"
    )[:10]
    return render(
        request,
        "transfer/reconciliation.html",
        {
            "form": form,
            "filters": filters,
            "counts": selectors.difference_counts(request.user),
            "police_form": PoliceListForm(user=request.user),
            "page": items,
            "extracts": extracts,
            "failed": failed,
            "reason": reason,
            "error": error,
            "fixable": (DiffKind.DIFFERS,),
            "query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def police_list_download(request: AuthenticatedRequest) -> HttpResponse:
    """The Excel list for the commune police of the chosen unit; its rows are marked as sent."""
    form = PoliceListForm(request.POST, user=request.user)
    if not form.is_valid():
        raise Http404("No such unit among yours.")
    filename, content, _rows = police_list_export(
        actor=request.user,
        unit=form.cleaned_data["unit"],
        scan_url=lambda pk: request.build_absolute_uri(reverse("scan_view", args=[pk])),
        request=request,
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def reconciliation_resolve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = selectors.differences(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such open difference.")
    reason = request.POST.get("reason", "")
    decision = request.POST.get("decision")
    try:
        if decision == "fix":
            reconciliation_fix_record(item=item, actor=request.user, reason=reason)
            messages.success(
                request, _("Our record was corrected; it goes back to review if it was approved.")
            )
        elif decision == "population":
            reconciliation_mark_population(item=item, actor=request.user, reason=reason)
            messages.success(request, _("Marked: the population database must change."))
        else:
            raise ValidationError(_("Choose how to resolve the difference."))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except (TransitionRefused, PermissionDenied) as exc:
        error = str(exc)
    else:
        return redirect("transfer_reconciliation")
    # Show the worklist again with the reason the user typed, and what to do about the error.
    return _reconciliation_page(
        request, ExtractForm(user=request.user), failed=item.pk, reason=reason, error=error
    )
