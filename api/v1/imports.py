"""Import jobs of legacy CSV/Excel files: upload, check (dry run), commit, progress; through the
imports app's upload form and services (the checks run in the background)."""

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from api.idempotency import idempotent
from api.problems import form_problem, problem
from api.v1.paging import page_of
from api.v1.schemas import PROBLEMS, Page
from audit.actors import AuthenticatedRequest
from imports import reading, services
from imports.models import ImportJob
from imports.selectors import get_import_job_for, import_jobs_visible_to
from imports.views import UploadForm
from permissions.scoping import can
from registry.models import AdministrativeUnit

router = Router(tags=["imports"])


def job_json(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "unit": job.unit_id,
        "event_type": job.event_type,
        "target_state": job.target_state,
        "file": job.original_name,
        "status": job.status,
        "message": job.message,
        "mapping": job.mapping,
        "rows": {
            "total": job.total_rows,
            "checked": job.checked_rows,
            "errors": job.error_rows,
            "duplicates": job.duplicate_rows,
            "committed": job.committed_rows,
            "skipped": job.skipped_rows,
        },
    }


@router.get("/imports", response={200: Page, **PROBLEMS}, summary="Import jobs of your units")
def import_list(request: AuthenticatedRequest, after: str = "", limit: int = 50) -> Any:
    return page_of(import_jobs_visible_to(request.user), after=after, limit=limit, row=job_json)


@router.post(
    "/imports",
    response={201: dict[str, Any], **PROBLEMS},
    summary="Upload a CSV or Excel file to import (then check, then commit)",
    description="Send an `Idempotency-Key` header to make a retry safe.",
)
@idempotent
def import_upload(
    request: AuthenticatedRequest,
    file: File[UploadedFile],
    unit: Form[int],
    event_type: Form[str],
    target_state: Form[str] = "entered",
    book_no: Form[str] = "",
    book_year: Form[int | None] = None,
) -> HttpResponse:
    target = AdministrativeUnit.objects.filter(pk=unit).only("path").first()
    if target is not None and not can(request.user, "enter_record", target.path):
        raise PermissionDenied(_("Your roles do not allow this."))
    form = UploadForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return form_problem(form)
    data = form.cleaned_data
    try:
        job = services.import_job_create(
            actor=request.user,
            unit=data["unit"],
            event_type=data["event_type"],
            upload=data["file"],
            original_name=data["file"].name,
            target_state=data["target_state"],
            profile=data["profile"],
            book_no=data["book_no"] or "",
            book_year=data["book_year"],
        )
    except reading.ImportFileError as exc:
        return problem(422, str(exc), errors={"file": [str(exc)]})
    except PermissionDenied as exc:
        return problem(403, str(exc))
    return HttpResponse(
        json.dumps(job_json(job), ensure_ascii=False), status=201, content_type="application/json"
    )


@router.get(
    "/imports/{int:job_id}", response={200: dict[str, Any], **PROBLEMS}, summary="An import job's progress"
)
def import_detail(request: AuthenticatedRequest, job_id: int) -> Any:
    return job_json(get_import_job_for(request.user, job_id))


class CheckIn(Schema):
    mapping: dict[str, str] | None = None
    text_encoding: str = ""


@router.post(
    "/imports/{int:job_id}/check",
    response={202: dict[str, Any], **PROBLEMS},
    summary="Check the file (dry run), with the column mapping when given",
)
def import_check(request: AuthenticatedRequest, job_id: int, payload: CheckIn) -> Any:
    job = get_import_job_for(request.user, job_id)
    if payload.mapping is not None or payload.text_encoding:
        services.import_job_configure(
            job=job,
            actor=request.user,
            text_encoding=payload.text_encoding,
            column_encodings=None,
            mapping=payload.mapping if payload.mapping is not None else job.mapping,
        )
    services.import_job_queue_check(job=job, actor=request.user)
    return 202, job_json(get_import_job_for(request.user, job_id))


class CommitIn(Schema):
    skip_invalid: bool = False


@router.post(
    "/imports/{int:job_id}/commit",
    response={202: dict[str, Any], **PROBLEMS},
    summary="Commit a checked import (the rows become records)",
)
def import_commit(request: AuthenticatedRequest, job_id: int, payload: CommitIn) -> Any:
    job = get_import_job_for(request.user, job_id)
    services.import_job_start_commit(job=job, actor=request.user, skip_invalid=payload.skip_invalid)
    return 202, job_json(get_import_job_for(request.user, job_id))
