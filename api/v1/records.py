"""Cases/records: list (filters, cursor paging), detail, data save through the entry form's
validation, and transitions through the workflow services with the version check (409 on a
stale version, with the current one)."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from api.payloads import record_read
from api.problems import form_problem, problem
from api.v1.paging import page_of
from api.v1.schemas import PROBLEMS, Page
from audit.actors import AuthenticatedRequest
from forms.entry import RecordForm
from permissions.scoping import get_record_for, records_visible_to
from registry.models import CivilRecord
from scans.models import current_scan
from scans.naming import scan_canonical_name
from workflows import services
from workflows.machine import TransitionRefused

router = Router(tags=["records"])

AMENDABLE_STATES = ("approved", "transferred")


def record_row(record: CivilRecord) -> dict[str, Any]:
    scan = current_scan(record.scans.all())
    return {
        "id": record.pk,
        "book": record.book_id,
        "entry_no": record.entry_no,
        "entry_label": record.entry_label,
        "state": record.state,
        "version": record.version,
        "scan": None
        if scan is None
        else {"id": scan.pk, "name": scan.canonical_name or scan_canonical_name(record), "pages": scan.pages},
    }


@router.get("/records", response={200: Page, **PROBLEMS}, summary="Cases of your units, filtered, by cursor")
def record_list(
    request: AuthenticatedRequest,
    after: str = "",
    limit: int = 100,
    book: int | None = None,
    state: str = "",
    event_type: str = "",
    unit: int | None = None,
) -> Any:
    records = (
        records_visible_to(request.user).select_related("book", "unit").prefetch_related("scans", "parties")
    )
    if book is not None:
        records = records.filter(book_id=book)
    if state:
        records = records.filter(state=state)
    if event_type:
        records = records.filter(event_type=event_type)
    if unit is not None:
        records = records.filter(unit_id=unit)
    return page_of(records, after=after, limit=limit, row=record_row)


@router.get("/records/{int:record_id}", response={200: dict[str, Any], **PROBLEMS}, summary="A record")
def record_detail(request: AuthenticatedRequest, record_id: int) -> Any:
    data = record_read(request, record_id)
    return {**data, "scan": record_row(CivilRecord.objects.select_related("book").get(pk=record_id))["scan"]}


class DataIn(Schema):
    version: int
    fields: dict[str, Any]
    enter: bool = False
    reason: str = ""


def _stale(record_id: int, exc: services.ConflictError) -> HttpResponse:
    current = CivilRecord.objects.filter(pk=record_id).values_list("version", "state").first()
    version, state = current or (None, None)
    return problem(409, str(exc), kind="stale-version", current_version=version, state=state)


@router.post(
    "/records/{int:record_id}/data",
    response={200: dict[str, Any], **PROBLEMS},
    summary="Save a case's data (the entry form's fields and checks)",
    description=(
        "`fields` uses the entry form's field names (e.g. `subject__full_name`). `enter: true` "
        "moves a scanned case to entered; after approval a `reason` is required (an edit after "
        "approval). A stale `version` answers 409 with `current_version`."
    ),
)
def record_data_save(request: AuthenticatedRequest, record_id: int, payload: DataIn) -> Any:
    record = get_record_for(request.user, record_id, request=request)
    amending = record.state in AMENDABLE_STATES
    if amending:
        services.amend_permission_check(actor=request.user, record=record, request=request)
    else:
        record = get_record_for(request.user, record_id, "enter_record", request=request)
    data = {k: "" if v is None else (v if isinstance(v, list) else str(v)) for k, v in payload.fields.items()}
    form = RecordForm(data, event_type=record.event_type)
    if not form.is_valid():
        return form_problem(form)
    try:
        if amending:
            services.record_amend(
                record=record,
                actor=request.user,
                data=form.to_input(),
                reason=payload.reason,
                expected_version=payload.version,
                request=request,
            )
        elif record.state == "scanned" and payload.enter:
            services.record_enter(
                record=record, actor=request.user, data=form.to_input(), expected_version=payload.version
            )
        else:
            services.record_data_save(
                record=record, actor=request.user, data=form.to_input(), expected_version=payload.version
            )
    except services.ConflictError as exc:
        return _stale(record_id, exc)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        form.add_service_errors(exc)
        return form_problem(form)
    return record_detail(request, record_id)


class TransitionIn(Schema):
    event: Literal["attach", "review", "approve", "return", "reject", "mark_duplicate"]
    version: int
    reason: str = ""
    stage: Literal["entry", "scan"] = "entry"
    remarks: dict[str, str] = {}
    original: int | None = None


@router.post(
    "/records/{int:record_id}/transitions",
    response={200: dict[str, Any], **PROBLEMS},
    summary="Move a case on (attach, review, approve, return, reject, mark_duplicate)",
    description="The workflow services decide; a stale `version` answers 409 with `current_version`.",
)
def record_transition(request: AuthenticatedRequest, record_id: int, payload: TransitionIn) -> Any:
    record = get_record_for(request.user, record_id, request=request)
    user, version = request.user, payload.version
    try:
        if payload.event == "attach":
            services.record_attach(record=record, actor=user, expected_version=version)
        elif payload.event == "review":
            services.record_review(record=record, actor=user, expected_version=version)
        elif payload.event == "approve":
            services.record_approve(record=record, actor=user, expected_version=version)
        elif payload.event == "return":
            services.record_return(
                record=record,
                actor=user,
                reason=payload.reason,
                stage=payload.stage,
                remarks=payload.remarks,
                expected_version=version,
            )
        elif payload.event == "reject":
            services.record_reject(record=record, actor=user, reason=payload.reason, expected_version=version)
        else:
            original = records_visible_to(user).filter(pk=payload.original or 0).first()
            if original is None:
                raise TransitionRefused(
                    _("Give the number of an existing record you can see as the original.")
                )
            services.record_mark_duplicate(
                record=record, actor=user, original=original, reason=payload.reason, expected_version=version
            )
    except services.ConflictError as exc:
        return _stale(record_id, exc)
    return record_row(CivilRecord.objects.select_related("book").get(pk=record_id))
