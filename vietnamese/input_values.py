"""Checks every typed or sent value passes before anything reads it: characters, digits, whole numbers.

- `unsafe_characters`: NUL, lone surrogates (half of a UTF-16 pair, which no database can store) and
  U+FFFD (what invalid UTF-8 bytes were turned into) are never data. The middleware refuses them in
  any query or form value; services refuse them in what they are given directly (JSON, imports).
- `ascii_digits`: digits typed on another keyboard layout (full-width "０３５", Arabic-Indic "٠٣٥")
  become ASCII, so that a PIN or a number is the same value however it was typed.
- `whole_number`: a query or JSON value that must be an integer a database column can hold.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

# The bounds of the database's integer columns (PostgreSQL `integer`; positive ones start at 0).
INT_MAX = 2_147_483_647
_UNSAFE = {"\x00", "\ufffd"}


class BadInput(BadRequest):
    """A request value that is not what the page accepts; its message is shown on the 400 page."""


def character_name(ch: str) -> str:
    """ "U+2060 (WORD JOINER)": how to name a character a person cannot see."""
    name = unicodedata.name(ch, "")
    if not name:
        name = _("surrogate half") if 0xD800 <= ord(ch) <= 0xDFFF else _("unnamed character")
    return f"U+{ord(ch):04X} ({name})"


def unsafe_characters(value: str) -> list[str]:
    """The names of the characters in `value` that are never data (NUL, lone surrogates, U+FFFD)."""
    found = []
    for ch in value:
        if (ch in _UNSAFE or 0xD800 <= ord(ch) <= 0xDFFF) and character_name(ch) not in found:
            found.append(character_name(ch))
    return found


def unsafe_message(value: str) -> str | None:
    """A message naming the characters `value` may not hold, or None."""
    found = unsafe_characters(value)
    if not found:
        return None
    return _(
        "Contains characters that are not text: %(chars)s. Retype it, or paste it again as plain text."
    ) % {"chars": ", ".join(found)}


def ascii_digits(value: str) -> str:
    """`value` with every decimal digit of any script written as an ASCII digit: "０３５" → "035"."""
    if value.isascii():
        return value
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in value)


def whole_number(value: Any, *, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    """`value` as an int within [minimum, maximum], or None if it is not one.

    Accepts an int (not a bool) or the text of one, in any script's digits; refuses fractions,
    exponents and anything a column of the database could not hold."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = ascii_digits(value.strip())
        if not text or len(text) > 20 or not text.lstrip("+-").isdigit() or not text.isascii():
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def id_param(value: Any, *, field: str) -> int | None:
    """A record or object id sent in a query or form (None when empty); else `BadInput` naming `field`."""
    if value in (None, ""):
        return None
    number = whole_number(value, minimum=1)
    if number is None:
        raise BadInput(
            _("“%(field)s” must be a whole number from 1 to %(max)s, not “%(value)s”.")
            % {"field": field, "max": f"{INT_MAX:,}", "value": str(value)[:40]}
        )
    return number
