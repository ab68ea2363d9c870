"""Plausibility of a case as a whole: dates in order, ages possible, the book's year.

Called by `registry.record_data.clean_record_input` once each field is valid on its own.
Dates may be partial, so a rule fires only when it is certainly broken: "born after
registration" means the earliest possible birth day is later than the latest possible
registration day. Every message names the fields and says what to check.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from registry.models import EventType, PartyRole
from registry.partial_dates import PartialDate

if TYPE_CHECKING:
    from registry.record_data import CleanParty

# Ages that are possible at all, even in old books (the book prevails, but a typo is likelier).
MARRIAGE_AGE = (15, 100)
MOTHER_AGE = (12, 60)
FATHER_AGE = (12, 90)
MAX_AGE = 120
# Parent and child in recognition and adoption: at least this many years apart.
PARENT_CHILD_GAP = 12

# Keyed by event type; the child's role, then each parent's role and plausible age range.
_PARENTS_OF_CHILD: dict[str, tuple[str, dict[str, tuple[int, int]]]] = {
    EventType.BIRTH: (PartyRole.SUBJECT, {PartyRole.MOTHER: MOTHER_AGE, PartyRole.FATHER: FATHER_AGE}),
    EventType.ADOPTION: (
        PartyRole.ADOPTEE,
        {
            PartyRole.ADOPTIVE_MOTHER: (PARENT_CHILD_GAP, 90),
            PartyRole.ADOPTIVE_FATHER: (PARENT_CHILD_GAP, 90),
        },
    ),
    EventType.PARENTAGE: (PartyRole.CHILD, {PartyRole.PARENT: (PARENT_CHILD_GAP, 90)}),
}


def _age_range(birth: PartialDate, at: PartialDate) -> tuple[int, int] | None:
    """The least and the most someone born on `birth` can be on `at` (whole years)."""
    # earliest()/latest() are None exactly when the date is empty.
    birth_first, birth_last = birth.earliest(), birth.latest()
    at_first, at_last = at.earliest(), at.latest()
    if birth_first is None or birth_last is None or at_first is None or at_last is None:
        return None
    return _years(birth_last, at_first), _years(birth_first, at_last)


def _years(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _after(a: PartialDate, b: PartialDate) -> bool:
    """`a` is certainly later than `b`."""
    a_first, b_last = a.earliest(), b.latest()
    return a_first is not None and b_last is not None and a_first > b_last


def book_covers(date: PartialDate, year: int, year_to: int | None = None) -> bool:
    """Does a book of `year`–`year_to` (a book may run across years) cover this registration date?"""
    return date.year is None or year <= date.year <= (year_to or year)


def _years_label(year: int, year_to: int | None) -> str:
    return str(year) if not year_to or year_to == year else f"{year}–{year_to}"


def check_consistency(
    *,
    event_type: str,
    registration_date: PartialDate,
    event_date: PartialDate,
    parties: list[CleanParty],
    book_year: int | None,
    book_year_to: int | None = None,
    today: dt.date | None = None,
) -> dict[str, list[str]]:
    """Every cross-field problem of one case, keyed like `clean_record_input`'s errors."""
    errors: dict[str, list[str]] = {}
    today = today or dt.date.today()
    by_role = {p.role: p for p in parties}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    reg = registration_date
    if book_year and not reg.is_empty and not book_covers(reg, book_year, book_year_to):
        if book_year_to and book_year_to != book_year:
            message = _(
                "The registration date %(date)s is not in %(year)s, the years of this book. "
                "Check the date, or whether this case belongs to another book."
            ) % {"date": reg, "year": _years_label(book_year, book_year_to)}
        else:
            message = _(
                "The registration date %(date)s is not in %(year)d, the year of this book. "
                "Check the date, or whether this case belongs to another book."
            ) % {"date": reg, "year": book_year}
        add("registration_date", message)
    if _after(reg, PartialDate.from_date(today)):
        add("registration_date", _("The registration date %(date)s is in the future.") % {"date": reg})
    if _after(event_date, PartialDate.from_date(today)):
        add("event_date", _("The date %(date)s is in the future.") % {"date": event_date})

    for party in parties:
        key = f"party.{party.role}.birth_date"
        label = PartyRole(party.role).label
        if _after(party.birth_date, PartialDate.from_date(today)):
            add(
                key,
                _("%(who)s: the date of birth %(date)s is in the future.")
                % {"who": label, "date": party.birth_date},
            )
        elif _after(party.birth_date, reg):
            add(
                key,
                _(
                    "%(who)s: the date of birth %(birth)s is after the registration date %(reg)s. "
                    "A case is registered after the person is born: check both dates."
                )
                % {"who": label, "birth": party.birth_date, "reg": reg},
            )
        ages = _age_range(party.birth_date, reg)
        if ages and ages[0] > MAX_AGE:
            add(
                key,
                _("%(who)s would be %(age)d years old at registration; check the year of birth.")
                % {"who": label, "age": ages[0]},
            )

    if event_type == EventType.DEATH:
        deceased = by_role.get(PartyRole.DECEASED)
        if deceased and _after(deceased.birth_date, event_date):
            add(
                "event_date",
                _(
                    "The date of death %(death)s is before the date of birth %(birth)s of the deceased. "
                    "Check both dates."
                )
                % {"death": event_date, "birth": deceased.birth_date},
            )
        if _after(event_date, reg):
            add(
                "event_date",
                _(
                    "The date of death %(death)s is after the registration date %(reg)s: "
                    "a death is registered after it happens. Check both dates."
                )
                % {"death": event_date, "reg": reg},
            )

    if event_type in (EventType.MARRIAGE,):
        at = event_date if not event_date.is_empty else reg
        for role in (PartyRole.HUSBAND, PartyRole.WIFE):
            spouse = by_role.get(role)
            ages = _age_range(spouse.birth_date, at) if spouse else None
            low, high = MARRIAGE_AGE
            if ages and (ages[1] < low or ages[0] > high):
                add(
                    f"party.{role}.birth_date",
                    _(
                        "%(who)s would be %(age)d years old at the marriage (%(date)s); a plausible age is "
                        "%(low)d to %(high)d. Check the date of birth and the registration date."
                    )
                    % {
                        "who": PartyRole(role).label,
                        "age": ages[1] if ages[1] < low else ages[0],
                        "date": at,
                        "low": low,
                        "high": high,
                    },
                )

    if event_type in _PARENTS_OF_CHILD:
        child_role, parent_ages = _PARENTS_OF_CHILD[event_type]
        child = by_role.get(child_role)
        for parent_role, (low, high) in parent_ages.items():
            parent = by_role.get(parent_role)
            if parent is None or child is None:
                continue
            ages = _age_range(parent.birth_date, child.birth_date)
            if ages and (ages[1] < low or ages[0] > high):
                add(
                    f"party.{parent_role}.birth_date",
                    _(
                        "%(who)s would be %(age)d years old when the child was born (%(child)s); a plausible "
                        "age is %(low)d to %(high)d. Check both dates of birth."
                    )
                    % {
                        "who": PartyRole(parent_role).label,
                        "age": ages[1] if ages[1] < low else ages[0],
                        "child": child.birth_date,
                        "low": low,
                        "high": high,
                    },
                )
    return errors
