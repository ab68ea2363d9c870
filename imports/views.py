"""Pages of the legacy import: upload, the job page (encodings, mapping, check, import, progress),
the row-by-row report, and the clean-up worklist. Every read goes through the selectors (scoped)."""

from __future__ import annotations

import itertools
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.actors import Actor, AuthenticatedRequest
from audit.services import audit_access
from imports import reading, services
from imports.models import ImportProfile, ImportStatus, TargetState
from imports.report import import_report_xlsx
from imports.selectors import (
    cleanup_missing,
    cleanup_worklist,
    get_import_job_for,
    import_jobs_visible_to,
    import_profiles,
)
from jobs.models import JobKind
from jobs.selectors import latest_job
from permissions.scoping import scopes_with, units_visible_to
from registry.ministry_format import columns_for
from registry.models import AdministrativeUnit, EventType

PAGE_SIZE = 50
PREVIEW_ROWS = 10
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=_l("File (CSV or Excel .xlsx)"))
    unit: forms.ModelChoiceField[AdministrativeUnit] = forms.ModelChoiceField(
        label=_l("Unit"), queryset=AdministrativeUnit.objects.none()
    )
    event_type = forms.ChoiceField(label=_l("Event type"), choices=EventType.choices)
    book_no = forms.CharField(
        label=_l("Book number (when the file has no quyenSo)"), required=False, max_length=32
    )
    book_year = forms.IntegerField(
        label=_l("Book year (when the file has no quyenSo)"), required=False, min_value=1800, max_value=2100
    )
    target_state = forms.ChoiceField(label=_l("Imported records are"), choices=TargetState.choices)
    profile = forms.ModelChoiceField(
        label=_l("Saved column mapping"), queryset=ImportProfile.objects.all(), required=False
    )

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = units_visible_to(user, "enter_record").order_by("path")
        if not scopes_with(user, "manage_unit") and not user.is_superuser:
            state_field = self.fields["target_state"]
            assert isinstance(state_field, forms.ChoiceField)
            state_field.choices = [(TargetState.ENTERED.value, TargetState.ENTERED.label)]


def _may_import(user: Actor) -> bool:
    return bool(user.is_superuser or scopes_with(user, "enter_record"))


@login_required
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    if not _may_import(request.user):
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = services.import_job_create(
                actor=request.user, unit=data["unit"], event_type=data["event_type"], upload=upload,
                original_name=upload.name, target_state=data["target_state"], profile=data["profile"],
                book_no=data["book_no"] or "", book_year=data["book_year"],
            )  # fmt: skip
        except (reading.ImportFileError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("import_job", job.pk)
    page = Paginator(import_jobs_visible_to(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "imports/job_list.html", {"form": form, "page": page})


def _preview(job: Any) -> dict[str, Any]:
    """The columns with their encodings, Ministry column and first converted values; or the file's problem."""
    try:
        source = services.import_job_source(job)
        rows = list(itertools.islice(reading.iter_rows(source), PREVIEW_ROWS))
    except reading.ImportFileError as exc:
        return {"preview_error": str(exc), "columns": []}
    ministry = columns_for(job.event_type)
    columns = []
    for name in source.header:
        if not name:
            continue
        target = job.mapping.get(name, "") if job.mapping else (name if name in ministry else "")
        values = [str(r.values.get(name, "")) for r in rows if r.values.get(name, "") not in ("", None)]
        columns.append(
            {
                "name": name,
                "encoding": source.column_encodings.get(name, ""),
                "target": target,
                "values": values,
            }
        )
    return {"columns": columns, "ministry_columns": ministry}


@login_required
def import_job(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_import_job_for(request.user, pk)
    running = job.status in (ImportStatus.CHECKING, ImportStatus.COMMITTING)
    context: dict[str, Any] = {"job": job, "running": running, "text_encodings": reading.TEXT_ENCODINGS,
                               "column_encodings": reading.COLUMN_ENCODINGS}  # fmt: skip
    context["run"] = latest_job(kinds=[JobKind.IMPORT_CHECK, JobKind.IMPORT_COMMIT], object_id=job.pk)
    if job.status not in (ImportStatus.COMMITTING, ImportStatus.DONE) and not running:
        context.update(_preview(job))
    context["profiles"] = import_profiles(job.event_type)
    context["may_import"] = job.status in (ImportStatus.CHECKED,) or (
        job.status == ImportStatus.FAILED and job.rows.exists()
    )
    return render(request, "imports/job_detail.html", context)


@login_required
@require_POST
def import_job_configure(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_import_job_for(request.user, pk)
    header = [key[len("map:") :] for key in request.POST if key.startswith("map:")]
    try:
        services.import_job_configure(
            job=job, actor=request.user, text_encoding=request.POST.get("text_encoding", ""),
            column_encodings={c: request.POST.get(f"enc:{c}", "") for c in header} if header else None,
            mapping={c: request.POST.get(f"map:{c}", "") for c in header} if header else job.mapping,
            save_profile_as=request.POST.get("save_profile_as", ""),
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The settings are saved. Run the check (dry run) next."))
    return redirect("import_job", job.pk)


@login_required
@require_POST
def import_job_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_import_job_for(request.user, pk)
    try:
        services.import_job_queue_check(job=job, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("import_job", job.pk)


@login_required
@require_POST
def import_job_commit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_import_job_for(request.user, pk)
    try:
        services.import_job_start_commit(
            job=job, actor=request.user, skip_invalid=bool(request.POST.get("skip_invalid"))
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("import_job", job.pk)


@login_required
def import_job_report(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_import_job_for(request.user, pk)
    body = import_report_xlsx(job)
    audit_access(request=request, action=AuditAction.IMPORT_REPORT, unit_id=job.unit_id, obj=job,
                 changes={"file": job.original_name})  # fmt: skip
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.xlsx"'
    return response


@login_required
def cleanup(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(cleanup_worklist(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "imports/worklist.html", {"page": page, "entries": cleanup_missing(page.object_list)}
    )
