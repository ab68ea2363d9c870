"""Reading the JSON the API receives into the arguments of the services, refusing by field with
the messages of the pages. Shared by /api/v1/ and the first, unversioned endpoints."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_access
from permissions.scoping import can, get_record_for, pin_shown
from registry.book_condition import FIELD_NAMES, checklist_from, checklist_values
from registry.models import AdministrativeUnit, CivilRecord, RegisterBook
from registry.services import book_register
from vietnamese.input_values import unsafe_message


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def unsafe_fields(payload: dict[str, Any]) -> dict[str, list[str]]:
    """Text values holding characters that are not text (NUL, lone surrogates…), by field."""
    return {
        key: [problem]
        for key, value in payload.items()
        if isinstance(value, str) and (problem := unsafe_message(value))
    }


def unit_by_code(payload: dict[str, Any], errors: dict[str, list[str]]) -> AdministrativeUnit | None:
    """The unit named by "unit_code" (with "unit_level" and "era" when a code names several)."""
    units = AdministrativeUnit.objects.filter(code=str(payload.get("unit_code", "")))
    if payload.get("unit_level"):
        units = units.filter(level=payload["unit_level"])
    if payload.get("era"):
        units = units.filter(era=payload["era"])
    matches = list(units[:2])
    if not matches:
        errors["unit_code"] = [
            _("There is no unit with code “%(code)s”. Use the official code of the unit.")
            % {"code": payload.get("unit_code", "")}
        ]
        return None
    if len(matches) > 1:
        errors["unit_code"] = [
            _("Code “%(code)s” names several units: add unit_level and era.")
            % {"code": payload.get("unit_code")}
        ]
        return None
    return matches[0]


def book_register_from(*, payload: dict[str, Any], actor: Actor) -> RegisterBook:
    """Register a book from {"unit_code", "unit_level", "era", "event_type", "year", "year_to",
    "book_no", "declared_cases", "declared_pages", "condition", "note"} through `book_register`
    (its rules and messages); ValidationError by field. The condition checklist when the book was
    assessed: "torn", "faded", "water_damaged", "missing_pages", "needs_restoration" (true/false),
    "missing_page_count" (a whole number), "missing_page_numbers" ("12, 15-18"), "condition_note"."""
    errors = unsafe_fields(payload)
    if errors:
        raise ValidationError(errors)
    unit = unit_by_code(payload, errors)
    if unit is not None and not can(actor, "collect_books", unit.path):
        errors["unit_code"] = [_("You may not register books for this unit.")]
    year = payload.get("year")
    if not _whole(year):
        errors["year"] = [_("The year is a whole number, e.g. 1998.")]
    year_to = payload.get("year_to")
    if year_to is not None and not _whole(year_to):
        errors["year_to"] = [_("The year is a whole number, e.g. 1998.")]
    for name in ("declared_cases", "declared_pages"):
        value = payload.get(name)
        if value is not None and not _whole(value):
            errors[name] = [_("The declared total is a whole number.")]
    for name in ("torn", "faded", "water_damaged", "missing_pages", "needs_restoration"):
        if name in payload and not isinstance(payload[name], bool):
            errors[name] = [_("Send true or false.")]
    count = payload.get("missing_page_count")
    if count is not None and not _whole(count):
        errors["missing_page_count"] = [_("The number of missing pages is a whole number.")]
    for name in ("missing_page_numbers", "condition_note"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            errors[name] = [_("Send a text.")]
    assessed = any(name in payload for name in FIELD_NAMES.values())
    if assessed and errors:  # all problems at once: the checklist's values too, where their type was right
        well_typed = {key: value for key, value in payload.items() if key not in errors}
        _values, problems = checklist_values(checklist_from(well_typed))
        errors.update({key: [message] for key, message in problems.items() if key not in errors})
    if errors or unit is None or not isinstance(year, int):
        raise ValidationError(errors)
    with transaction.atomic():
        return book_register(
            custodian=unit,
            actor=actor,
            event_type=str(payload.get("event_type", "")),
            year=year,
            year_to=year_to if isinstance(year_to, int) else None,
            book_no=str(payload.get("book_no", "")),
            declared_cases=payload.get("declared_cases"),
            declared_pages=payload.get("declared_pages"),
            condition=str(payload.get("condition") or "good"),
            note=str(payload.get("note") or ""),
            checklist=checklist_from(payload) if assessed else None,
        )


def book_json(book: RegisterBook) -> dict[str, Any]:
    return {
        "id": book.pk,
        "unit": {"id": book.custodian_id, "code": book.custodian.code, "name": book.custodian.name},
        "event_type": book.event_type,
        "year": book.year,
        "year_to": book.year_to or book.year,
        "book_no": book.book_no,
        "phase": book.phase,
        "declared_cases": book.declared_cases,
        "declared_pages": book.declared_pages,
        "condition": book.condition,
        "note": book.note,
    }


def record_json(record: CivilRecord, user: Actor | None = None) -> dict[str, Any]:
    return {
        "id": record.pk,
        "book": {
            "id": record.book_id,
            "event_type": record.book.event_type,
            "year": record.book.year,
            "year_to": record.book.year_to or record.book.year,
            "book_no": record.book.book_no,
        },
        "unit": {"code": record.unit.code, "name": record.unit.name},
        "entry_no": record.entry_no,
        "entry_label": record.entry_label,
        "state": record.state,
        "reregistration_of": record.reregistration_of_id,
        "version": record.version,
        "registration_date": str(record.registration_date),
        # Fields whose implausible value the clerk confirmed as written in the book, named as the
        # validation names them ("party.mother.birth_date"): the names a client sends back to confirm.
        "as_written": list(record.as_written or ()),
        "parties": [
            {
                "role": p.role,
                "full_name": p.full_name,
                "sex": p.sex,
                "birth_date": str(p.birth_date),
                "pin": pin_shown(user, p.pin) if user is not None else p.pin,
            }
            for p in record.parties.all()
        ],
    }


def record_read(request: Any, pk: int) -> dict[str, Any]:
    """A record the caller may see, as JSON, written to the access log (via the API)."""
    record = get_record_for(request.user, pk, request=request)
    audit_access(
        request=request,
        action=AuditAction.VIEW_RECORD,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"via": "api"},
    )
    return record_json(record, request.user)
