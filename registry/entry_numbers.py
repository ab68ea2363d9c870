"""Entry numbers as books write them: "15", and cases squeezed in later, "15a" or "15 bis".

A number is stored as its whole part (`CivilRecord.entry_no`) and a normalized suffix
(`entry_suffix`: a lower-case letter, or a Latin ordinal "bis", "ter", …), with the suffix's
rank (`entry_suffix_rank`) so that a book lists 15, 15a, 15 bis, 15 ter, 16 in that order.
However a suffix is typed ("15A", "15-a", "15/a", "15 Bis", "15bis"), it is stored one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from vietnamese.input_values import ascii_digits

# The Latin ordinals registers use for a second, third, … case under one number.
LATIN_ORDINALS = {
    "bis": 2,
    "ter": 3,
    "quater": 4,
    "quinquies": 5,
    "sexies": 6,
    "septies": 7,
    "octies": 8,
    "novies": 9,
    "decies": 10,
}
MAX_ENTRY_NO = 1_000_000
_PATTERN = re.compile(r"^\s*(\d{1,7})\s*[-/.]?\s*([a-z]*)\s*$")


@dataclass(frozen=True)
class EntryNumber:
    number: int
    suffix: str = ""

    @property
    def rank(self) -> int:
        return suffix_rank(self.suffix)

    def __str__(self) -> str:
        return entry_label(self.number, self.suffix)


def suffix_rank(suffix: str) -> int:
    """0 for no suffix, a=1, b=2, …; bis=2, ter=3, …: the order cases were squeezed in."""
    if not suffix:
        return 0
    if suffix in LATIN_ORDINALS:
        return LATIN_ORDINALS[suffix]
    return ord(suffix) - ord("a") + 1


def entry_label(number: int | None, suffix: str = "") -> str:
    """How the number is shown: "15", "15a", "15 bis"."""
    if number is None:
        return ""
    if not suffix:
        return str(number)
    return f"{number} {suffix}" if suffix in LATIN_ORDINALS else f"{number}{suffix}"


def parse_entry_number(value: object) -> EntryNumber:
    """Read an entry number as typed; refuses anything but a whole number with an optional suffix."""
    text = ascii_digits(str(value if value is not None else "")).strip().lower()
    match = _PATTERN.match(text)
    problem = _(
        "Type the entry number as written in the book: a whole number, with a letter or “bis”, “ter” "
        "for a case squeezed in (e.g. 15, 15a, 15 bis)."
    )
    if not match:
        raise ValidationError(problem, code="entry_no")
    number, suffix = int(match.group(1)), match.group(2)
    if number < 1 or number > MAX_ENTRY_NO:
        raise ValidationError(
            _("An entry number is between 1 and %(max)d.") % {"max": MAX_ENTRY_NO}, code="entry_no"
        )
    if suffix and not (suffix in LATIN_ORDINALS or len(suffix) == 1):
        raise ValidationError(problem, code="entry_no")
    return EntryNumber(number, suffix)


_RANGE = re.compile(r"^\s*(\d{1,7})\s*[-–]\s*(\d{1,7})\s*$")
MAX_RANGE = 10_000


def parse_entry_numbers(text: object) -> list[EntryNumber]:
    """Entry numbers typed as a list: "101-105, 15a; 15 bis" (commas or semicolons between items,
    a range of whole numbers with a dash)."""
    numbers: list[EntryNumber] = []
    for item in re.split(r"[,;\n]", ascii_digits(str(text if text is not None else ""))):
        if not item.strip():
            continue
        span = _RANGE.match(item)
        if span:
            first, last = int(span.group(1)), int(span.group(2))
            if first < 1 or last < first or last - first >= MAX_RANGE or last > MAX_ENTRY_NO:
                raise ValidationError(
                    _(
                        "A range goes from a smaller to a larger number, "
                        "at most %(max)d numbers (e.g. 101-105)."
                    )
                    % {"max": MAX_RANGE},
                    code="entry_no",
                )
            numbers.extend(EntryNumber(n) for n in range(first, last + 1))
        else:
            numbers.append(parse_entry_number(item))
    return numbers
