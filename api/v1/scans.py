"""Scans: upload one case's scan, download it, upload a whole book's PDF with the ranges that cut
it into cases, and follow the split. The scans app's services do the checks, the rebuilding,
the size rule and the naming rule."""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from api.idempotency import idempotent
from api.problems import problem
from api.v1.records import record_row
from api.v1.schemas import PROBLEMS
from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from permissions.scoping import get_book_for, get_record_for
from scans import book_split, intake
from scans.models import ScanSplitJob, current_scan
from scans.naming import scan_download_name

router = Router(tags=["scans"])


def _json(data: dict[str, Any], status: int) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


@router.post(
    "/records/{int:record_id}/scan",
    response={201: dict[str, Any], **PROBLEMS},
    summary="Upload one case's scan (PDF, JPEG, PNG or TIFF)",
    description=(
        "Checked, rebuilt and compressed like an upload on the page; a collected case becomes "
        "scanned. An approved case's new scan goes to a scan check. Send `Idempotency-Key` to "
        "make a retry safe."
    ),
)
@idempotent
def scan_upload(request: AuthenticatedRequest, record_id: int, file: File[UploadedFile]) -> HttpResponse:
    record = get_record_for(request.user, record_id, "scan_record", request=request)
    try:
        scan = intake.case_scan_receive(
            record=record, actor=request.user, content=file.read(), original_name=file.name or ""
        )
    except ValidationError as exc:
        if exc.code == "same_file":
            return problem(409, exc.messages[0], kind="same-file")
        raise ValidationError({"file": exc.messages}) from exc
    record.refresh_from_db()
    row = record_row(record)
    return _json(
        {
            **row,
            "late_check": scan.late_check or None,
            "messages": intake.scan_outcome_message(scan, request.user),
        },
        201,
    )


@router.get(
    "/records/{int:record_id}/scan",
    response={200: bytes, **PROBLEMS},
    summary="Download a case's scan (PDF, named by the naming rule)",
    openapi_extra={"responses": {200: {"description": "The PDF", "content": {"application/pdf": {}}}}},
)
def scan_download(request: AuthenticatedRequest, record_id: int) -> Any:
    record = get_record_for(request.user, record_id, request=request)
    scan = current_scan(record.scans.all())
    if scan is None:
        raise Http404("No scan.")
    audit_access(
        request=request,
        action=AuditAction.DOWNLOAD_SCAN,
        unit_id=record.unit_id,
        obj=scan,
        record_id=record.pk,
        changes={"via": "api"},
    )
    scan.record = record
    return FileResponse(
        scan.file.open("rb"),
        content_type="application/pdf",
        filename=scan_download_name(scan),
        as_attachment=True,
    )


@router.post(
    "/books/{int:book_id}/scan",
    response={202: dict[str, Any], **PROBLEMS},
    summary="Upload a whole book's PDF and the ranges that cut it into cases",
    description=(
        "`ranges`: one case a line, `entry: first-last` (e.g. `1: 1-2`), or CSV "
        "`entry_no,first_page,last_page`. The split runs in the background: follow it at "
        "`/split-jobs/{id}`. Send `Idempotency-Key` to make a retry safe."
    ),
)
@idempotent
def book_scan_upload(
    request: AuthenticatedRequest, book_id: int, file: File[UploadedFile], ranges: Form[str]
) -> HttpResponse:
    book = get_book_for(request.user, book_id, "scan_record", request=request)
    try:
        with transaction.atomic():
            book_scan = book_split.book_scan_upload(
                book=book, actor=request.user, upload=file, original_name=file.name or ""
            )
            cut = book_split.split_ranges_parse(ranges, book_scan=book_scan)
            job = book_split.split_job_create(book_scan=book_scan, actor=request.user, ranges=cut)
    except ValidationError as exc:
        field = "ranges" if exc.code in ("bad_ranges", "no_ranges") else "file"
        if exc.code == "same_file":
            return problem(409, exc.messages[0], kind="same-file")
        raise ValidationError({field: exc.messages}) from exc
    return _json({"job": job.pk, **book_split.split_job_progress(job)}, 202)


@router.get(
    "/split-jobs/{int:job_id}", response={200: dict[str, Any], **PROBLEMS}, summary="A book split's progress"
)
def split_job_detail(request: AuthenticatedRequest, job_id: int) -> Any:
    job = ScanSplitJob.objects.filter(pk=job_id).select_related("book_scan").first()
    if job is None:
        raise Http404("No such job.")
    get_book_for(request.user, job.book_scan.book_id, request=request)
    return {"job": job.pk, "book": job.book_scan.book_id, **book_split.split_job_progress(job)}
