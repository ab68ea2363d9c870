"""Units (read) and books (list, detail, create, correct), scoped like the pages."""

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from api.idempotency import idempotent
from api.payloads import book_json, book_register_from, unit_by_code, unsafe_fields
from api.problems import form_problem, problem
from api.v1.paging import page_of
from api.v1.schemas import PROBLEMS, Page
from audit.actors import AuthenticatedRequest
from permissions.scoping import books_visible_to, can, get_book_for, units_visible_to
from registry.book_condition import FIELD_NAMES, assessment_of
from registry.models import AdministrativeUnit, RegisterBook
from registry.services import book_edit, book_slot_remove, book_slots_add
from registry.views import BookEditForm, SlotsAddForm, book_edit_initial

router = Router(tags=["units and books"])


def unit_json(unit: AdministrativeUnit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "era": unit.era,
        "parent": unit.parent_id,
    }


@router.get("/units", response={200: Page, **PROBLEMS}, summary="Units of your roles (and below)")
def unit_list(request: AuthenticatedRequest, after: str = "", limit: int = 100, code: str = "") -> Any:
    units = units_visible_to(request.user)
    if code:
        units = units.filter(code=code)
    return page_of(units, after=after, limit=limit, row=unit_json)


class BookIn(Schema):
    unit_code: str
    unit_level: str | None = None
    era: str | None = None
    event_type: str
    year: int
    year_to: int | None = None
    book_no: str
    declared_cases: int | None = None
    declared_pages: int | None = None
    condition: str = "good"
    note: str = ""


class BookEditIn(Schema):
    reason: str
    event_type: str | None = None
    year: int | None = None
    year_to: int | None = None
    book_no: str | None = None
    authority_as_written: str | None = None
    declared_cases: int | None = None
    declared_pages: int | None = None
    condition: str | None = None
    note: str | None = None
    # The condition checklist (a re-assessment; the first one needs `assessed` or a defect or note).
    assessed: bool | None = None
    torn: bool | None = None
    faded: bool | None = None
    water_damaged: bool | None = None
    missing_pages: bool | None = None
    missing_page_count: int | None = None
    missing_page_numbers: str | None = None
    needs_restoration: bool | None = None
    condition_note: str | None = None


def _books(request: AuthenticatedRequest):
    return books_visible_to(request.user).select_related("custodian")


@router.get("/books", response={200: Page, **PROBLEMS}, summary="Books of your units")
def book_list(
    request: AuthenticatedRequest,
    after: str = "",
    limit: int = 100,
    unit: int | None = None,
    event_type: str = "",
    year: int | None = None,
) -> Any:
    books = _books(request)
    if unit is not None:
        books = books.filter(custodian_id=unit)
    if event_type:
        books = books.filter(event_type=event_type)
    if year is not None:
        books = books.filter(year=year)
    return page_of(books, after=after, limit=limit, row=book_json)


def _book_with_counts(book: RegisterBook) -> dict[str, Any]:
    counts = dict(
        book.records.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return {**book_json(book), "slots": sum(counts.values()), "states": counts}


@router.get(
    "/books/{int:book_id}", response={200: dict[str, Any], **PROBLEMS}, summary="A book and its counts"
)
def book_detail(request: AuthenticatedRequest, book_id: int) -> Any:
    return _book_with_counts(get_book_for(request.user, book_id, request=request))


@router.post(
    "/books",
    response={201: dict[str, Any], **PROBLEMS},
    summary="Register a book (one slot per declared case)",
    description="Send an `Idempotency-Key` header to make a retry safe.",
)
@idempotent
def book_create(request: AuthenticatedRequest, payload: BookIn) -> HttpResponse:
    data = payload.dict(exclude_none=True)
    unit = unit_by_code(data, {})
    if unit is not None and not can(request.user, "collect_books", unit.path):
        raise PermissionDenied(_("You may not register books for this unit."))
    book = book_register_from(payload=data, actor=request.user)
    return HttpResponse(
        json.dumps(_book_with_counts(book), ensure_ascii=False), status=201, content_type="application/json"
    )


@router.patch(
    "/books/{int:book_id}",
    response={200: dict[str, Any], **PROBLEMS},
    summary="Correct a book (with a reason)",
)
def book_update(request: AuthenticatedRequest, book_id: int, payload: BookEditIn) -> Any:
    book = get_book_for(request.user, book_id, "collect_books", request=request)
    changes = payload.dict(exclude_unset=True)
    errors = unsafe_fields(changes)
    if errors:
        return problem(422, " ".join(m for ms in errors.values() for m in ms), errors=errors)
    data = book_edit_initial(book)
    assessment = assessment_of(book)
    if assessment is not None:
        data.update({name: getattr(assessment, attr) for attr, name in FIELD_NAMES.items()})
    data.update(changes)
    form = BookEditForm(
        {k: "" if v is None else v for k, v in data.items()},
        user=request.user,
        assessed=assessment is not None,
    )
    if not form.is_valid():
        return form_problem(form)
    cleaned = dict(form.cleaned_data)
    assess = assessment is not None or bool(cleaned.get("assessed"))
    checklist = form.checklist(cleaned)
    book_edit(
        book=book,
        actor=request.user,
        checklist=checklist if assess or checklist.has_defect or checklist.note else None,
        **cleaned,
    )
    book.refresh_from_db()
    return _book_with_counts(book)


class SlotsIn(Schema):
    entry_numbers: str
    reason: str


@router.post(
    "/books/{int:book_id}/slots",
    response={201: dict[str, Any], **PROBLEMS},
    summary="Add empty case slots the book really has (e.g. `101-105, 15a`), with a reason",
    description="Send an `Idempotency-Key` header to make a retry safe.",
)
@idempotent
def book_slots_create(request: AuthenticatedRequest, book_id: int, payload: SlotsIn) -> HttpResponse:
    book = get_book_for(request.user, book_id, "collect_books", request=request)
    form = SlotsAddForm(payload.dict())
    if not form.is_valid():
        return form_problem(form)
    try:
        created = book_slots_add(
            book=book,
            actor=request.user,
            entry_numbers=[form.cleaned_data["entry_numbers"]],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        raise ValidationError({"entry_numbers": exc.messages}) from exc
    body = {"created": [{"id": r.pk, "entry_no": r.entry_no, "entry_label": r.entry_label} for r in created]}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=201, content_type="application/json")


class SlotRemoveIn(Schema):
    reason: str


@router.post(
    "/books/{int:book_id}/slots/{int:record_id}/remove",
    response={200: dict[str, Any], **PROBLEMS},
    summary="Remove an empty case slot the book does not have, with a reason",
)
def book_slot_delete(
    request: AuthenticatedRequest, book_id: int, record_id: int, payload: SlotRemoveIn
) -> Any:
    book = get_book_for(request.user, book_id, "collect_books", request=request)
    book_slot_remove(book=book, actor=request.user, record=record_id, reason=payload.reason)
    book.refresh_from_db()
    return _book_with_counts(book)
