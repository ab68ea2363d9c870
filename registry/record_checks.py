"""Plausibility of a case as a whole, in two tiers: the impossible and the implausible.

Called by `registry.record_data.clean_record_input` once each field is valid on its own.
Dates may be partial, so a rule fires only when it is certainly broken: "born after
registration" means the earliest possible birth day is later than the latest possible
registration day. Every message names the fields and says what to check.

- Impossible (an error, never saved): a date in the future, born after the registration,
  a death before the birth or after its registration, an age over `MAX_AGE`.
- Implausible (a warning): a registration date the book does not cover, a parent's or a
  spouse's age, a registration long after the event (and, in `record_data`, a PIN that
  disagrees with the sex or the year of birth). Old books do hold such cases; the clerk
  confirms the field "as written in the book" (`CivilRecord.as_written`) and the case is
  saved, shown to the reviewer and approver, and counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from registry.models import EventType, PartyRole, RegistrationType
from registry.partial_dates import PartialDate

if TYPE_CHECKING:
    from registry.models import RegisterBook
    from registry.record_data import CleanParty

# Ages that are possible at all, even in old books (the book prevails, but a typo is likelier).
MARRIAGE_AGE = (15, 100)
MOTHER_AGE = (12, 60)
FATHER_AGE = (12, 90)
MAX_AGE = 120
# Parent and child in recognition and adoption: at least this many years apart.
PARENT_CHILD_GAP = 12
# A case registered "on time" (or with no type written) this many years after the event is
# implausible; a late registration or a re-registration says so in its type.
LATE_AFTER_YEARS = {EventType.BIRTH: 5, EventType.DEATH: 5}
EXPLAINED_LATE = (RegistrationType.LATE, RegistrationType.REREGISTRATION)


@dataclass
class Findings:
    """What is wrong with a case: errors refuse it; warnings need the clerk's "as written"."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def warning(self, key: str, message: str) -> None:
        self.warnings.setdefault(key, []).append(message)


def book_years(book: RegisterBook) -> tuple[int, int]:
    """The first and last registration year a book covers (a book may run across years)."""
    return (book.year, book.year_to or book.year)


def book_covers(years: tuple[int, int] | None, date: PartialDate) -> bool:
    """Does a book covering `years` (first, last) hold a registration dated `date`?

    The one answer to the question: an unknown book or an empty date is not refused."""
    if years is None or date.is_empty or date.year is None:
        return True
    first, last = years
    return first <= date.year <= last


def _years_label(years: tuple[int, int]) -> str:
    first, last = years
    return str(first) if first == last else f"{first}–{last}"


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


def check_consistency(
    *,
    event_type: str,
    registration_date: PartialDate,
    event_date: PartialDate,
    parties: list[CleanParty],
    book_years: tuple[int, int] | None,
    registration_type: int = RegistrationType.UNKNOWN,
    today: dt.date | None = None,
) -> Findings:
    """Every cross-field problem of one case, keyed like `clean_record_input`'s errors:
    the impossible as errors, the implausible as warnings."""
    findings = Findings()
    today = today or dt.date.today()
    by_role = {p.role: p for p in parties}
    add, warn = findings.error, findings.warning

    reg = registration_date
    if book_years and not book_covers(book_years, reg):
        warn(
            "registration_date",
            _(
                "The registration date %(date)s is not in %(years)s, the year(s) of this book. "
                "Check the date, or whether this case belongs to another book; if the book says so, "
                "tick “as written in the book”."
            )
            % {"date": reg, "years": _years_label(book_years)},
        )
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

    late_after = LATE_AFTER_YEARS.get(EventType(event_type))
    if late_after is not None and registration_type not in EXPLAINED_LATE:
        if event_type == EventType.BIRTH:
            child = by_role.get(PartyRole.SUBJECT)
            event_key, happened = "party.subject.birth_date", child.birth_date if child else PartialDate()
        else:
            event_key, happened = "event_date", event_date
        gap = _age_range(happened, reg)
        if gap and gap[0] > late_after:
            warn(
                event_key,
                _(
                    "Registered %(years)d years after the event (%(event)s, registered %(reg)s), yet not as "
                    "a late registration or a re-registration. Check the dates and the registration type; "
                    "if the book says so, tick “as written in the book”."
                )
                % {"years": gap[0], "event": happened, "reg": reg},
            )

    if event_type in (EventType.MARRIAGE,):
        at = event_date if not event_date.is_empty else reg
        for role in (PartyRole.HUSBAND, PartyRole.WIFE):
            spouse = by_role.get(role)
            ages = _age_range(spouse.birth_date, at) if spouse else None
            low, high = MARRIAGE_AGE
            if ages and (ages[1] < low or ages[0] > high):
                warn(
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
                warn(
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
    return findings
