"""A small JSON API for other systems and scripts. Session-authenticated; scoped like the pages."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from permissions.scoping import can, get_record_for, pin_shown
from registry.book_condition import FIELD_NAMES, checklist_from, checklist_values
from registry.models import AdministrativeUnit
from registry.services import book_register
from vietnamese.input_values import unsafe_message


def _errors(errors: dict[str, list[str]], status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def record_json(record, user=None) -> dict:
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


@login_required
@require_GET
def record_detail(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    record = get_record_for(request.user, pk, request=request)
    from audit.services import audit_access

    audit_access(
        request=request,
        action=AuditAction.VIEW_RECORD,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"via": "api"},
    )
    return JsonResponse(record_json(record, request.user))


@login_required
@require_POST
def book_create(request: AuthenticatedRequest) -> JsonResponse:
    """Register a book by unit code: {"unit_code", "unit_level", "era", "event_type", "year", "year_to",
    "book_no", "declared_cases", "declared_pages", "condition", "note"} ("year_to" for a book that runs
    across years; absent: the one year), and the condition checklist when the book was assessed:
    "torn", "faded", "water_damaged", "missing_pages", "needs_restoration" (true/false),
    "missing_page_count" (a whole number), "missing_page_numbers" ("12, 15-18"), "condition_note"."""
    try:
        payload = json.loads(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return _errors({"__all__": [_("Send a JSON object.")]})
    errors: dict[str, list[str]] = {
        key: [problem]
        for key, value in payload.items()
        if isinstance(value, str) and (problem := unsafe_message(value))
    }
    if errors:
        return _errors(errors)
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
    elif len(matches) > 1:
        errors["unit_code"] = [
            _("Code “%(code)s” names several units: add unit_level and era.")
            % {"code": payload.get("unit_code")}
        ]
    elif not can(request.user, "collect_books", matches[0].path):
        errors["unit_code"] = [_("You may not register books for this unit.")]
    year = payload.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        errors["year"] = [_("The year is a whole number, e.g. 1998.")]
    year_to = payload.get("year_to")
    if year_to is not None and (not isinstance(year_to, int) or isinstance(year_to, bool)):
        errors["year_to"] = [_("The year is a whole number, e.g. 1998.")]
    cases = payload.get("declared_cases")
    if cases is not None and (not isinstance(cases, int) or isinstance(cases, bool)):
        errors["declared_cases"] = [_("The declared total is a whole number.")]
    pages = payload.get("declared_pages")
    if pages is not None and (not isinstance(pages, int) or isinstance(pages, bool)):
        errors["declared_pages"] = [_("The declared total is a whole number.")]
    for name in ("torn", "faded", "water_damaged", "missing_pages", "needs_restoration"):
        if name in payload and not isinstance(payload[name], bool):
            errors[name] = [_("Send true or false.")]
    count = payload.get("missing_page_count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        errors["missing_page_count"] = [_("The number of missing pages is a whole number.")]
    for name in ("missing_page_numbers", "condition_note"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            errors[name] = [_("Send a text.")]
    assessed = any(name in payload for name in FIELD_NAMES.values())
    if assessed and errors:  # all problems at once: the checklist's values too, where their type was right
        well_typed = {key: value for key, value in payload.items() if key not in errors}
        _values, problems = checklist_values(checklist_from(well_typed))
        errors.update({key: [message] for key, message in problems.items() if key not in errors})
    if errors or not isinstance(year, int):
        return _errors(errors)
    try:
        with transaction.atomic():
            book = book_register(
                custodian=matches[0],
                actor=request.user,
                event_type=str(payload.get("event_type", "")),
                year=year,
                year_to=year_to if isinstance(year_to, int) else None,
                book_no=str(payload.get("book_no", "")),
                declared_cases=cases,
                declared_pages=pages,
                condition=str(payload.get("condition") or "good"),
                note=str(payload.get("note") or ""),
                checklist=checklist_from(payload) if assessed else None,
            )
    except ValidationError as exc:
        return _errors(exc.message_dict)
    return JsonResponse({"id": book.pk, "slots": book.records.count(), "phase": book.phase}, status=201)
