"""Search, the likely-duplicates queue (read, decide), extracts (issue, download, verify),
progress counters and transfer status: each through the selectors and services its pages use."""

import json
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from api.idempotency import idempotent
from api.problems import form_problem, problem
from api.v1.paging import page_of
from api.v1.records import record_row
from api.v1.schemas import PROBLEMS, Page
from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from duplicates.services import duplicate_confirm, duplicate_dismiss
from permissions.scoping import can, get_record_for, records_visible_to, scope_q, work_limited_only
from printing import services as printing
from printing.forms import IssueForm
from printing.selectors import get_issue_for, verify_issue
from printing.tokens import issue_id_from_token, issue_token, verification_url
from registry.models import DuplicatePair, DuplicateStatus
from registry.search import records_search
from registry.views import SearchForm
from reports.selectors import progress_unit_for, state_totals
from transfer.models import TransferItem
from transfer.selectors import transfer_counts
from workflows.services import ConflictError

router = Router(tags=["search, duplicates, extracts, progress, transfer"])


@router.get(
    "/search", response={200: Page, **PROBLEMS}, summary="Search records (the search page's criteria)"
)
def record_search(
    request: AuthenticatedRequest,
    name: str = "",
    pin: str = "",
    mother: str = "",
    father: str = "",
    book_no: str = "",
    book_year: str = "",
    entry_no: str = "",
    event_type: str = "",
    state: str = "",
    after: str = "",
    limit: int = 50,
) -> Any:
    if work_limited_only(request.user):
        raise Http404("No record search for this role.")
    criteria = {
        k: v
        for k, v in dict(
            name=name,
            pin=pin,
            mother=mother,
            father=father,
            book_no=book_no,
            book_year=book_year,
            entry_no=entry_no,
            event_type=event_type,
            state=state,
        ).items()
        if v
    }
    form = SearchForm(criteria)
    if not form.is_valid():
        return form_problem(form)
    query = form.query()
    if query.is_empty:
        return problem(
            422, _("Give at least one criterion."), errors={"__all__": [_("Give at least one criterion.")]}
        )
    audit_access(
        request=request,
        action=AuditAction.SEARCH,
        changes={k: str(v) for k, v in query.__dict__.items() if v},
    )
    results = records_search(request.user, query).select_related("book").prefetch_related("scans", "parties")
    return page_of(results, after=after, limit=limit, row=record_row)


def _pair_json(pair: DuplicatePair) -> dict[str, Any]:
    return {
        "id": pair.pk,
        "records": [pair.record_low_id, pair.record_high_id],
        "score": pair.score,
        "reasons": pair.reasons,
        "status": pair.status,
        "found_at": pair.found_at.isoformat(),
    }


@router.get("/duplicates", response={200: Page, **PROBLEMS}, summary="Open likely duplicates in your units")
def duplicate_queue(request: AuthenticatedRequest, after: str = "", limit: int = 50) -> Any:
    pairs = DuplicatePair.objects.filter(status=DuplicateStatus.OPEN).filter(
        scope_q(request.user, "resolve_duplicates", path_field="route_path")
    )
    return page_of(pairs, after=after, limit=limit, row=_pair_json)


class DecisionIn(Schema):
    decision: Literal["duplicate", "not_duplicate"]
    other: int
    reason: str
    version: int | None = None


@router.post(
    "/records/{int:record_id}/duplicate-decision",
    response={200: dict[str, Any], **PROBLEMS},
    summary="Decide a likely duplicate: duplicate of `other`, or not a duplicate",
)
def duplicate_decide(request: AuthenticatedRequest, record_id: int, payload: DecisionIn) -> Any:
    record = get_record_for(request.user, record_id, request=request)
    if not can(request.user, "resolve_duplicates", record.unit_path):
        raise PermissionDenied(_("Your roles do not allow this."))
    other = records_visible_to(request.user).filter(pk=payload.other).first()
    if other is None:
        raise ValidationError({"other": [_("Choose a record you can see as the other one of the pair.")]})
    try:
        if payload.decision == "duplicate":
            duplicate_confirm(
                record=record,
                original=other,
                actor=request.user,
                reason=payload.reason,
                expected_version=payload.version,
            )
        else:
            duplicate_dismiss(record=record, other=other, actor=request.user, reason=payload.reason)
    except ConflictError as exc:
        current = type(record).objects.filter(pk=record.pk).values_list("version", flat=True).first()
        return problem(409, str(exc), kind="stale-version", current_version=current)
    return record_row(type(record).objects.select_related("book").get(pk=record.pk))


class ExtractIn(Schema):
    requester_name: str
    requester_document: str
    relationship: str = ""
    signer_name: str
    signer_title: str
    copies: int = 1
    electronic: bool = False


def _issue_json(issue: Any) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "record": issue.record_id,
        "serial": issue.serial,
        "copies": issue.copies,
        "electronic": issue.electronic,
        "issued_at": issue.issued_at.isoformat(),
        "verification_code": issue_token(issue.pk),
        "verification_url": verification_url(issue.pk),
    }


@router.post(
    "/records/{int:record_id}/extracts",
    response={201: dict[str, Any], **PROBLEMS},
    summary="Issue a certified extract (logged, with a serial and a QR code)",
    description="Send an `Idempotency-Key` header so that a retry never issues a second serial.",
)
@idempotent
def extract_issue(request: AuthenticatedRequest, record_id: int, payload: ExtractIn) -> HttpResponse:
    record = get_record_for(request.user, record_id, "print_extract", request=request)
    form = IssueForm({k: "" if v is None else v for k, v in payload.dict().items() if v is not False})
    if not form.is_valid():
        return form_problem(form)
    try:
        issue = printing.extract_issue(record=record, actor=request.user, ip="", **form.cleaned_data)
    except printing.PrintRefused as exc:
        return problem(409, str(exc), kind="print-refused")
    return HttpResponse(
        json.dumps(_issue_json(issue), ensure_ascii=False), status=201, content_type="application/json"
    )


@router.get(
    "/extracts/{int:issue_id}", response={200: dict[str, Any], **PROBLEMS}, summary="An issued extract"
)
def extract_detail(request: AuthenticatedRequest, issue_id: int) -> Any:
    return _issue_json(get_issue_for(request.user, issue_id, request=request))


@router.get(
    "/extracts/{int:issue_id}/pdf",
    response={200: bytes, **PROBLEMS},
    summary="The extract's PDF exactly as issued",
    openapi_extra={"responses": {200: {"description": "The PDF", "content": {"application/pdf": {}}}}},
)
def extract_pdf(request: AuthenticatedRequest, issue_id: int) -> Any:
    issue = get_issue_for(request.user, issue_id, request=request)
    if not issue.file:
        raise Http404("Part of a batch.")
    audit_access(
        request=request,
        action=AuditAction.DOWNLOAD_EXTRACT,
        unit_id=issue.record.unit_id,
        obj=issue,
        record_id=issue.record_id,
        changes={"via": "api"},
    )
    return FileResponse(
        issue.file.open("rb"), content_type="application/pdf", filename=f"trich-luc-{issue.pk}.pdf"
    )


@router.get(
    "/extracts/verify/{code}",
    response={200: dict[str, Any], **PROBLEMS},
    summary="Verify an extract by the code of its QR (genuine, still current)",
)
def extract_verify(request: AuthenticatedRequest, code: str) -> Any:
    issue_id = issue_id_from_token(code)
    result = verify_issue(issue_id) if issue_id is not None else None
    if result is None or not result.genuine or result.issue is None:
        raise Http404("Not genuine.")
    issue = result.issue
    audit_access(
        request=request,
        action=AuditAction.VERIFY_EXTRACT,
        unit_id=issue.record.unit_id,
        obj=issue,
        record_id=issue.record_id,
        changes={"superseded": result.superseded, "via": "api"},
    )
    return {
        "genuine": True,
        "superseded": result.superseded,
        "serial": issue.serial,
        "issued_on": issue.issued_at.date().isoformat(),
    }


@router.get("/progress", response={200: dict[str, Any], **PROBLEMS}, summary="Progress counters of a unit")
def progress(request: AuthenticatedRequest, unit: int | None = None) -> Any:
    scope = progress_unit_for(request.user, unit)
    return {"unit": {"id": scope.pk, "code": scope.code, "name": scope.name}, "counts": state_totals(scope)}


@router.get(
    "/transfer", response={200: dict[str, Any], **PROBLEMS}, summary="Transfer to the national database"
)
def transfer_status(request: AuthenticatedRequest) -> Any:
    return transfer_counts(request.user)


@router.get(
    "/records/{int:record_id}/transfer",
    response={200: dict[str, Any], **PROBLEMS},
    summary="A record's transfer attempts and their outcome",
)
def record_transfer(request: AuthenticatedRequest, record_id: int) -> Any:
    record = get_record_for(request.user, record_id, request=request)
    items = TransferItem.objects.filter(record=record).order_by("pk")
    return {
        "record": record.pk,
        "state": record.state,
        "items": [
            {"id": i.pk, "kind": i.kind, "version": i.version, "status": i.status, "attempts": i.attempts}
            for i in items
        ],
    }
