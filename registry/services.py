"""Writes to units, books and record slots."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.services import audit_change
from registry.models import (
    AdministrativeUnit,
    BookCondition,
    CivilRecord,
    Competence,
    DigitizationPhase,
    EventType,
    RegisterBook,
    UnitEra,
    UnitLevel,
)
from vietnamese.input_values import unsafe_message, whole_number


class SlotsCreatedHook(Protocol):
    """Runs inside the transaction that created empty case slots of a book (work items, counters)."""

    def __call__(self, book: RegisterBook, slots: list[CivilRecord], /) -> None: ...


# Filled by `config.wiring`.
SLOTS_CREATED_HOOKS: list[SlotsCreatedHook] = []


def unit_create(
    *,
    code: str,
    name: str,
    level: str,
    parent: AdministrativeUnit | None = None,
    era: str = UnitEra.CURRENT,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> AdministrativeUnit:
    """Create a unit under `parent` (or a root) with its materialized path."""
    if level not in UnitLevel.values:
        raise ValidationError({"level": _("Unknown unit level “%(level)s”.") % {"level": level}})
    unit = AdministrativeUnit.objects.create(
        code=code,
        name=name,
        level=level,
        era=era,
        parent=parent,
        valid_from=valid_from,
        valid_to=valid_to,
        path="",
        depth=(parent.depth + 1) if parent else 0,
    )
    unit.path = f"{parent.path if parent else ''}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def units_rebuild_paths() -> int:
    """Recompute every unit's path and depth from `parent` in one statement (after bulk loads)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE tree(id, path, depth) AS (
                SELECT id, id::text || '/', 0 FROM registry_administrativeunit WHERE parent_id IS NULL
                UNION ALL
                SELECT u.id, t.path || u.id::text || '/', t.depth + 1
                FROM registry_administrativeunit u JOIN tree t ON u.parent_id = t.id
            )
            UPDATE registry_administrativeunit u SET path = tree.path, depth = tree.depth
            FROM tree WHERE u.id = tree.id AND (u.path <> tree.path OR u.depth <> tree.depth)
            """
        )
        return cursor.rowcount


def phase_for_year(year: int) -> int | None:
    for phase in DigitizationPhase.objects.all():
        if (phase.year_from is None or year >= phase.year_from) and (
            phase.year_to is None or year <= phase.year_to
        ):
            return phase.number
    return None


def competence_for(unit: AdministrativeUnit, event_type: str) -> str:
    """Which level approves a case: the level of the unit that registered the book."""
    if unit.level == UnitLevel.DISTRICT:
        return Competence.DISTRICT
    if unit.level == UnitLevel.PROVINCE:
        return Competence.PROVINCE
    return Competence.COMMUNE


@transaction.atomic
def book_register(
    *,
    custodian: AdministrativeUnit,
    event_type: str,
    year: int,
    book_no: str,
    actor,
    authority_as_written: str = "",
    authority_unit: AdministrativeUnit | None = None,
    declared_cases: int | None = None,
    declared_pages: int | None = None,
    condition: str = "good",
    note: str = "",
) -> RegisterBook:
    """Register a paper book and create one record slot per declared case (state collected).

    Refuses, each by field: an unknown event type, a year outside 1800..this year, totals that are
    not whole numbers in range, texts too long for their columns or holding characters that are
    not text (NUL, invalid bytes), an unknown condition, and a book the unit already has."""
    errors: dict[str, str] = {}
    texts = {
        "book_no": (book_no, 32),
        "authority_as_written": (authority_as_written, 255),
        "note": (note, 10_000),
    }
    for name, (value, limit) in texts.items():
        text = str(value if value is not None else "")
        problem = unsafe_message(text)
        if problem:
            errors[name] = problem
        elif len(text.strip()) > limit:
            errors[name] = _("Too long: %(length)d characters, at most %(max)d.") % {
                "length": len(text.strip()),
                "max": limit,
            }
    if condition not in BookCondition.values:
        errors["condition"] = _("Choose the condition from the list: %(choices)s.") % {
            "choices": ", ".join(BookCondition.values)
        }
    if declared_cases is not None and whole_number(declared_cases, maximum=100_000) is None:
        errors["declared_cases"] = _("A book holds between 0 and 100,000 cases.")
    if declared_pages is not None and whole_number(declared_pages, maximum=100_000) is None:
        errors["declared_pages"] = _("The declared total of pages is a whole number from 0 to 100,000.")
    if whole_number(year, minimum=1800, maximum=dt.date.today().year) is None:
        errors["year"] = _("The year must be between 1800 and this year.")
    if event_type not in EventType.values:
        errors["event_type"] = _("“%(value)s” is not an event type. Choose one of: %(choices)s.") % {
            "value": event_type,
            "choices": ", ".join(EventType.values),
        }
    if "book_no" not in errors and not str(book_no).strip():
        errors["book_no"] = _("Give the book number as written on its cover.")
    if (
        not errors
        and RegisterBook.objects.filter(
            custodian=custodian, event_type=event_type, year=year, book_no=str(book_no).strip()
        ).exists()
    ):
        errors["book_no"] = _("This unit already has this book (same type, year and number).")
    if errors:
        raise ValidationError(errors)
    year = int(year)
    declared_cases = None if declared_cases is None else whole_number(declared_cases)
    declared_pages = None if declared_pages is None else whole_number(declared_pages)
    book = RegisterBook.objects.create(
        custodian=custodian,
        event_type=event_type,
        year=year,
        book_no=str(book_no).strip(),
        authority_as_written=authority_as_written or custodian.name,
        authority_unit=authority_unit or custodian,
        declared_cases=declared_cases,
        declared_pages=declared_pages,
        condition=condition,
        note=note,
        phase=phase_for_year(int(year)),
        created_by=actor,
    )
    if declared_cases:
        record_slots_create(book=book, entry_numbers=range(1, declared_cases + 1))
    audit_change(
        action=AuditAction.BOOK_REGISTER,
        actor=actor,
        unit_id=custodian.pk,
        obj=book,
        changes={
            "event_type": event_type,
            "year": year,
            "book_no": book.book_no,
            "declared_cases": declared_cases,
        },
    )
    return book


def record_slots_create(*, book: RegisterBook, entry_numbers) -> list[CivilRecord]:
    """Create empty slots (state collected) for entry numbers of a book."""
    unit = book.custodian
    competence = competence_for(book.authority_unit or unit, book.event_type)
    slots = [
        CivilRecord(
            book=book,
            unit=unit,
            unit_path=unit.path,
            event_type=book.event_type,
            entry_no=n,
            competence=competence,
            reg_year=book.year,
        )
        for n in entry_numbers
    ]
    created = CivilRecord.objects.bulk_create(slots, batch_size=2000)
    for hook in SLOTS_CREATED_HOOKS:
        hook(book, created)
    return created
