"""Writes to units, books and record slots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.services import audit_change
from permissions.scoping import can
from registry.book_condition import ConditionChecklist, book_assess, checklist_values, condition_errors
from registry.entry_numbers import EntryNumber, parse_entry_numbers
from registry.models import (
    ACTIVE_Q,
    ENTRY_ORDER,
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


class SlotsRemovedHook(Protocol):
    """Runs inside the transaction that is about to delete empty slots of a book (their work items,
    counters), before the rows go."""

    def __call__(self, book: RegisterBook, slots: list[CivilRecord], /) -> None: ...


class BookChangedHook(Protocol):
    """Runs inside the transaction that corrected a book, with the book as it was (`old`, unsaved copy)
    and as it is now: copies of the book's year, phase, type or competence held elsewhere follow."""

    def __call__(self, old: RegisterBook, book: RegisterBook, /) -> None: ...


# Filled by `config.wiring`.
SLOTS_CREATED_HOOKS: list[SlotsCreatedHook] = []
SLOTS_REMOVED_HOOKS: list[SlotsRemovedHook] = []
BOOK_CHANGED_HOOKS: list[BookChangedHook] = []


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


def _book_errors(
    *,
    custodian: AdministrativeUnit,
    event_type: str,
    year: Any,
    year_to: Any,
    book_no: str,
    authority_as_written: str,
    declared_cases: Any,
    declared_pages: Any,
    condition: str,
    note: str,
    book: RegisterBook | None = None,
) -> dict[str, str]:
    """Every problem of a book's fields, by field (registering and correcting share them)."""
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
    this_year = dt.date.today().year
    if whole_number(year, minimum=1800, maximum=this_year) is None:
        errors["year"] = _("The year must be between 1800 and this year.")
    elif year_to is not None and whole_number(year_to, minimum=int(year), maximum=this_year) is None:
        errors["year_to"] = _(
            "The last year the book covers is between its first year (%(year)s) and this year; "
            "leave it empty for a book of one year."
        ) % {"year": year}
    if event_type not in EventType.values:
        errors["event_type"] = _("“%(value)s” is not an event type. Choose one of: %(choices)s.") % {
            "value": event_type,
            "choices": ", ".join(EventType.values),
        }
    if "book_no" not in errors and not str(book_no).strip():
        errors["book_no"] = _("Give the book number as written on its cover.")
    if not errors:
        same = RegisterBook.objects.filter(
            custodian=custodian, event_type=event_type, year=year, book_no=str(book_no).strip()
        )
        if book is not None:
            same = same.exclude(pk=book.pk)
        if same.exists():
            errors["book_no"] = _("This unit already has this book (same type, year and number).")
    return errors


@transaction.atomic
def book_register(
    *,
    custodian: AdministrativeUnit,
    event_type: str,
    year: int,
    book_no: str,
    actor,
    year_to: int | None = None,
    authority_as_written: str = "",
    authority_unit: AdministrativeUnit | None = None,
    declared_cases: int | None = None,
    declared_pages: int | None = None,
    condition: str = "good",
    note: str = "",
    checklist: ConditionChecklist | None = None,
) -> RegisterBook:
    """Register a paper book and create one record slot per declared case (state collected).

    Refuses, each by field: an unknown event type, a year outside 1800..this year, a last year
    (`year_to`, for a book that runs across years) before the first, totals that are
    not whole numbers in range, texts too long for their columns or holding characters that are
    not text (NUL, invalid bytes), an unknown condition, and a book the unit already has.
    The registering unit (`authority_unit`, the unit that wrote the book) decides the level that
    approves its cases; it defaults to the custodian. With a `checklist` (the condition assessed
    at collection), the book is assessed too (`book_assess`); its problems are refused with the
    book's, and a book with a defect ticked cannot be "good"."""
    errors = _book_errors(
        custodian=custodian,
        event_type=event_type,
        year=year,
        year_to=year_to,
        book_no=book_no,
        authority_as_written=authority_as_written,
        declared_cases=declared_cases,
        declared_pages=declared_pages,
        condition=condition,
        note=note,
    )
    assessed = _checklist_checked(checklist, condition, declared_pages, errors)
    if errors:
        raise ValidationError(errors)
    year = int(year)
    declared_cases = None if declared_cases is None else whole_number(declared_cases)
    declared_pages = None if declared_pages is None else whole_number(declared_pages)
    book = RegisterBook.objects.create(
        custodian=custodian,
        event_type=event_type,
        year=year,
        year_to=int(year_to) if year_to is not None else year,
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
    if checklist is not None:
        book_assess(book=book, actor=actor, checklist=checklist, values=assessed)
    audit_change(
        action=AuditAction.BOOK_REGISTER,
        actor=actor,
        unit_id=custodian.pk,
        obj=book,
        changes={
            "event_type": event_type,
            "year": year,
            "year_to": book.year_to,
            "book_no": book.book_no,
            "declared_cases": declared_cases,
            "authority_unit": book.authority_unit_id,
        },
    )
    return book


def _checklist_checked(
    checklist: ConditionChecklist | None, condition: str, declared_pages: Any, errors: dict[str, str]
) -> dict[str, Any] | None:
    """The checklist's columns, its problems and the grade's added to `errors` (None: no checklist)."""
    if checklist is None:
        return None
    pages = whole_number(declared_pages, maximum=100_000) if declared_pages is not None else None
    values, problems = checklist_values(checklist, declared_pages=pages or None)
    errors.update(problems)
    for key, message in condition_errors(condition, checklist).items():
        errors.setdefault(key, message)
    return values


# States in which a case holds nothing but its slot: no data keyed yet.
_NO_DATA_STATES = ("collected", "scanned")
# States after which a case's competence is settled (it was approved at that level).
_APPROVED_STATES = ("approved", "transferred")


@transaction.atomic
def book_edit(
    *,
    book: RegisterBook,
    actor,
    reason: str,
    book_no: str,
    year: int,
    year_to: int | None,
    event_type: str,
    authority_as_written: str,
    authority_unit: AdministrativeUnit | None,
    declared_cases: int | None,
    declared_pages: int | None,
    condition: str,
    note: str,
    checklist: ConditionChecklist | None = None,
) -> RegisterBook:
    """Correct a registered book's metadata as the book really is; audited old → new with the reason.

    What follows the book: the phase follows the first year; slots with no data keyed yet take a new
    first year as their registration year and a new event type; cases not yet approved take the
    competence of a new registering unit; `BOOK_CHANGED_HOOKS` update the copies held by work items
    and counters. Refused, by field, like `book_register`, and when the change would orphan cases
    already entered: another event type once any case has data, or a year range that leaves out
    the registration year of an entered case. Empty slots are added or removed separately
    (`book_slots_add`, `book_slot_remove`): the closing total is what the book declares.
    With a `checklist`, the book is (re-)assessed when the checklist differs from its current
    assessment (`book_assess`, audited apart from the correction).
    """
    book = (
        RegisterBook.objects.select_for_update(no_key=True, of=("self",))
        .select_related("custodian")
        .get(pk=book.pk)
    )
    _require_collect(actor, book)
    errors = _book_errors(
        custodian=book.custodian,
        event_type=event_type,
        year=year,
        year_to=year_to,
        book_no=book_no,
        authority_as_written=authority_as_written,
        declared_cases=declared_cases,
        declared_pages=declared_pages,
        condition=condition,
        note=note,
        book=book,
    )
    assessed = _checklist_checked(checklist, condition, declared_pages, errors)
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the correction (what the book really says): it is audited.")
    elif unsafe_message(reason):
        errors["reason"] = unsafe_message(reason) or ""
    entered = book.records.exclude(state__in=_NO_DATA_STATES).exclude(state__in=["rejected", "duplicate"])
    if "event_type" not in errors and event_type != book.event_type and entered.exists():
        errors["event_type"] = _(
            "%(n)d cases of this book already hold data of a %(type)s: the event type can change only "
            "while no case is entered. Reject or return those cases first if the book was misfiled."
        ) % {"n": entered.count(), "type": book.get_event_type_display().lower()}
    if "year" not in errors and "year_to" not in errors:
        first, last = int(year), int(year_to) if year_to is not None else int(year)
        # A date confirmed "as written in the book" outside its years is what the book says: not orphaned.
        outside = (
            entered.filter(reg_year__isnull=False)
            .exclude(reg_year__gte=first, reg_year__lte=last)
            .exclude(as_written__contains=["registration_date"])
        )
        if outside.exists():
            example = outside.order_by(*ENTRY_ORDER).first()
            assert example is not None
            errors["year_to" if year_to is not None else "year"] = _(
                "%(n)d entered cases were registered outside %(first)d–%(last)d (e.g. entry no. %(no)s, "
                "%(date)s): widen the years, or correct those cases first."
            ) % {
                "n": outside.count(),
                "first": first,
                "last": last,
                "no": example.entry_label,
                "date": example.registration_date,
            }
    if errors:
        raise ValidationError(errors)
    old = RegisterBook.objects.get(pk=book.pk)
    new_values: dict[str, Any] = {
        "book_no": str(book_no).strip(),
        "year": int(year),
        "year_to": int(year_to) if year_to is not None else int(year),
        "event_type": event_type,
        "authority_as_written": authority_as_written.strip() or book.authority_as_written,
        "authority_unit_id": (authority_unit or book.custodian).pk,
        "declared_cases": None if declared_cases is None else whole_number(declared_cases),
        "declared_pages": None if declared_pages is None else whole_number(declared_pages),
        "condition": condition,
        "note": note,
    }
    new_values["phase"] = phase_for_year(new_values["year"]) if new_values["year"] != old.year else old.phase
    changes = {
        key.removesuffix("_id"): [getattr(old, key), value]
        for key, value in new_values.items()
        if getattr(old, key) != value
    }
    if checklist is not None:
        book_assess(book=book, actor=actor, checklist=checklist, values=assessed)
    if not changes:
        return book
    for key, value in new_values.items():
        setattr(book, key, value)
    book.save(update_fields=[key.removesuffix("_id") for key in new_values])
    slots = book.records.filter(state__in=_NO_DATA_STATES)
    if "year" in changes:
        slots.filter(reg_year=old.year).update(reg_year=book.year)
    if "event_type" in changes:
        book.records.update(event_type=book.event_type)
    if "authority_unit" in changes:
        competence = competence_for(book.authority_unit or book.custodian, book.event_type)
        book.records.exclude(state__in=_APPROVED_STATES).update(competence=competence)
    for hook in BOOK_CHANGED_HOOKS:
        hook(old, book)
    audit_change(
        action=AuditAction.BOOK_EDIT,
        actor=actor,
        unit_id=book.custodian_id,
        obj=book,
        changes=changes,
        reason=reason.strip(),
    )
    return book


def _require_collect(actor, book: RegisterBook) -> None:
    if actor is not None and not can(actor, "collect_books", book.custodian.path):
        raise PermissionDenied(
            _("Your roles do not allow changing the books of %(unit)s.") % {"unit": book.custodian.name}
        )


def _slot_is_empty(record: CivilRecord) -> bool:
    """Nothing keyed and nothing scanned: the slot can go without losing anything."""
    return (
        record.state == "collected"
        and not record.scans.exists()
        and not record.parties.exists()
        and not record.reregistrations.exists()
    )


@transaction.atomic
def book_slots_add(*, book: RegisterBook, actor, entry_numbers: list[str], reason: str) -> list[CivilRecord]:
    """Add empty case slots to a book: the closing total is missing or wrong, or cases were squeezed
    in ("15a", "15 bis"). Each number is typed as the book writes it. Refused without a reason, for a
    number that is not an entry number, and for a number the book already has (an active case)."""
    book = (
        RegisterBook.objects.select_for_update(no_key=True, of=("self",))
        .select_related("custodian", "authority_unit")
        .get(pk=book.pk)
    )
    _require_collect(actor, book)
    errors: dict[str, list[str]] = {}
    numbers = []
    for typed in entry_numbers:
        try:
            numbers.extend(parse_entry_numbers(typed))
        except ValidationError as exc:
            errors.setdefault("entry_numbers", []).append(f"“{typed}”: {exc.messages[0]}")
    if not numbers and "entry_numbers" not in errors:
        errors["entry_numbers"] = [_("Give the entry numbers of the slots to add, e.g. 101-105 or 15a.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason (e.g. the closing total is missing or wrong): it is audited.")]
    if len(set(numbers)) != len(numbers):
        errors.setdefault("entry_numbers", []).append(_("A number is given twice."))
    taken = {
        (no, suffix)
        for no, suffix in book.records.filter(ACTIVE_Q, entry_no__in=[n.number for n in numbers]).values_list(
            "entry_no", "entry_suffix"
        )
    }
    already = [str(n) for n in numbers if (n.number, n.suffix) in taken]
    if already:
        errors.setdefault("entry_numbers", []).append(
            _("The book already has cases no. %(numbers)s.") % {"numbers": ", ".join(already)}
        )
    if errors:
        raise ValidationError(errors)
    created = record_slots_create(book=book, entry_numbers=numbers)
    audit_change(
        action=AuditAction.BOOK_SLOTS_ADD,
        actor=actor,
        unit_id=book.custodian_id,
        obj=book,
        changes={"entry_numbers": [str(n) for n in numbers], "slots": [r.pk for r in created]},
        reason=reason.strip(),
    )
    return created


@transaction.atomic
def book_slot_remove(*, book: RegisterBook, actor, record: CivilRecord | int, reason: str) -> None:
    """Remove one empty case slot (a slot the book does not have: the closing total was wrong).

    Refused without a reason, for a slot of another book, and for a slot holding anything: keyed
    data, a scan, a state past collection, a re-registration pointing at it. The audit row on the
    book keeps its entry number and id."""
    book = (
        RegisterBook.objects.select_for_update(no_key=True, of=("self",))
        .select_related("custodian")
        .get(pk=book.pk)
    )
    _require_collect(actor, book)
    pk = record.pk if isinstance(record, CivilRecord) else record
    slot = CivilRecord.objects.select_for_update(no_key=True, of=("self",)).filter(pk=pk, book=book).first()
    if slot is None:
        raise ValidationError({"record": [_("This book has no such case slot.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for removing the slot: it is audited.")]})
    if not _slot_is_empty(slot):
        raise ValidationError(
            {
                "record": [
                    _(
                        "Case no. %(no)s holds data or a scan (%(state)s): only an empty slot can be "
                        "removed. If the book does not have this case, reject it with a reason instead."
                    )
                    % {"no": slot.entry_label, "state": slot.get_state_display()}
                ]
            }
        )
    for hook in SLOTS_REMOVED_HOOKS:
        hook(book, [slot])
    audit_change(
        action=AuditAction.BOOK_SLOTS_REMOVE,
        actor=actor,
        unit_id=book.custodian_id,
        obj=book,
        changes={"entry_number": slot.entry_label, "slot": slot.pk, "state": slot.state},
        reason=reason.strip(),
    )
    slot.delete()


def record_slots_create(
    *, book: RegisterBook, entry_numbers: Iterable[int | EntryNumber]
) -> list[CivilRecord]:
    """Create empty slots (state collected) for entry numbers of a book ("15" or "15a")."""
    unit = book.custodian
    competence = competence_for(book.authority_unit or unit, book.event_type)
    numbers = [n if isinstance(n, EntryNumber) else EntryNumber(n) for n in entry_numbers]
    slots = [
        CivilRecord(
            book=book,
            unit=unit,
            unit_path=unit.path,
            event_type=book.event_type,
            entry_no=n.number,
            entry_suffix=n.suffix,
            entry_suffix_rank=n.rank,
            competence=competence,
            reg_year=book.year,
        )
        for n in numbers
    ]
    created = CivilRecord.objects.bulk_create(slots, batch_size=2000)
    for hook in SLOTS_CREATED_HOOKS:
        hook(book, created)
    return created


# --- double keying (workflows.keying) -----------------------------------------------------------


def _require_supervisor(actor, unit_path: str, message: str) -> None:
    if (
        actor is not None
        and not getattr(actor, "is_superuser", False)
        and not can(actor, "manage_unit", unit_path)
    ):
        raise PermissionDenied(message)


@transaction.atomic
def book_double_keying_set(
    *, book: RegisterBook, actor, double_keying: bool | None, reason: str
) -> RegisterBook:
    """Key this book's cases twice (True), once (False), or as its phase says (None); audited with the
    reason. A supervisor of the book's custodian (a unit manager) decides. Cases already keyed once
    or being keyed keep their round: the setting applies to cases whose entry starts afterwards."""
    book = (
        RegisterBook.objects.select_for_update(no_key=True, of=("self",))
        .select_related("custodian")
        .get(pk=book.pk)
    )
    _require_supervisor(
        actor,
        book.custodian.path,
        _("Only a supervisor of %(unit)s decides how its books are keyed.") % {"unit": book.custodian.name},
    )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the change: it is audited.")})
    if unsafe_message(reason):
        raise ValidationError({"reason": unsafe_message(reason) or ""})
    if book.double_keying == double_keying:
        return book
    audit_change(
        action=AuditAction.BOOK_KEYING_SET,
        actor=actor,
        unit_id=book.custodian_id,
        obj=book,
        changes={"double_keying": [book.double_keying, double_keying]},
        reason=reason.strip(),
    )
    book.double_keying = double_keying
    book.save(update_fields=["double_keying"])
    return book


@transaction.atomic
def phase_double_keying_set(*, number: int, double_keying: bool, actor) -> DigitizationPhase:
    """Key the books of a phase twice or once (a book's own setting wins); a province administrator
    decides; audited."""
    if not getattr(actor, "is_superuser", False) and not any(
        can(actor, "manage_unit", u.path) for u in AdministrativeUnit.objects.filter(level="province")
    ):
        raise PermissionDenied(_("Only a province administrator changes the phases."))
    phase = DigitizationPhase.objects.select_for_update(no_key=True).get(number=number)
    if phase.double_keying != double_keying:
        audit_change(
            action=AuditAction.PHASE_KEYING_SET,
            actor=actor,
            obj=phase,
            changes={"double_keying": [phase.double_keying, double_keying]},
        )
        phase.double_keying = double_keying
        phase.save(update_fields=["double_keying"])
    return phase
