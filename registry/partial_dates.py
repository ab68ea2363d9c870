"""Partial dates: old register books often give only a year, or a month and a year.

A partial date is stored as three nullable columns (year, month, day) so that it
can be queried and printed; this module parses and formats it. Typed forms are
``dd/mm/yyyy``, ``mm/yyyy`` and ``yyyy``; an empty value means "no information".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_PATTERN = re.compile(r"^\s*(?:(?:(\d{1,2})[/.-])?(\d{1,2})[/.-])?(\d{4})\s*$")


@dataclass(frozen=True)
class PartialDate:
    year: int | None = None
    month: int | None = None
    day: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.year is None

    @property
    def is_complete(self) -> bool:
        return self.day is not None

    def as_date(self) -> dt.date | None:
        """The full date when day, month and year are known."""
        if self.year and self.month and self.day:
            return dt.date(self.year, self.month, self.day)
        return None

    def earliest(self) -> dt.date | None:
        if self.year is None:
            return None
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date | None:
        if self.year is None:
            return None
        if self.month is None:
            return dt.date(self.year, 12, 31)
        if self.day is None:
            next_month = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
            return next_month - dt.timedelta(days=1)
        return dt.date(self.year, self.month, self.day)

    def __str__(self) -> str:
        if self.year is None:
            return ""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.month:02d}/{self.year:04d}"
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}"

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        return cls(value.year, value.month, value.day)


def parse_partial_date(text: str | None) -> PartialDate:
    """Parse ``dd/mm/yyyy``, ``mm/yyyy`` or ``yyyy``; raise ValidationError saying what is wrong."""
    if text is None or not str(text).strip():
        return PartialDate()
    match = _PATTERN.match(str(text))
    if not match:
        raise ValidationError(
            _("“%(value)s” is not a date. Type dd/mm/yyyy, mm/yyyy or just the year (yyyy)."),
            code="invalid_partial_date",
            params={"value": text},
        )
    day_s, month_s, year_s = match.groups()
    if month_s is None and day_s is None:
        return PartialDate(int(year_s))
    if day_s is None:
        day_s, month_s = None, month_s
    year, month = int(year_s), int(month_s)
    if not 1 <= month <= 12:
        raise ValidationError(
            _("“%(value)s”: month %(month)s does not exist. Months run from 01 to 12."),
            code="invalid_month",
            params={"value": text, "month": month},
        )
    if year < 1800:
        raise ValidationError(
            _("“%(value)s”: year %(year)s is too early for a register book."),
            code="invalid_year",
            params={"value": text, "year": year},
        )
    if day_s is None:
        return PartialDate(year, month)
    day = int(day_s)
    try:
        dt.date(year, month, day)
    except ValueError:
        raise ValidationError(
            _("“%(value)s” does not exist in the calendar (day %(day)s of month %(month)s)."),
            code="invalid_day",
            params={"value": text, "day": day, "month": month},
        ) from None
    return PartialDate(year, month, day)
