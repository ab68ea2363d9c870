"""Numbers and dates in Vietnamese words, as civil-status papers write them ("ghi bằng chữ").

One implementation for every paper: the certified extracts, the Ministry export's
``*BangChu`` columns and anything else that spells a date. The wording follows the
examples of the Circular on civil-status forms (04/2020/TT-BTP), e.g. 01/01/2020 is
"Ngày một, tháng một, năm hai nghìn không trăm hai mươi":

- parts are separated by commas and the first letter is capitalised;
- April is "tháng tư"; a 4 after a tens place is "tư" (24 → "hai mươi tư"), a 5 is
  "lăm" (15 → "mười lăm"), a 1 after a tens place above ten is "mốt" (21 → "hai mươi mốt");
- an empty tens place is "linh" (the written form; "lẻ" is the spoken one):
  105 → "một trăm linh năm", 2005 → "hai nghìn không trăm linh năm";
- an empty hundreds place after thousands is "không trăm": 2010 → "hai nghìn không trăm mười".

Pure functions, no Django: anything with ``year``/``month``/``day`` attributes can be spelled.
"""

from __future__ import annotations

from typing import Protocol

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
# Month names on official papers: April is "tư", not "bốn".
MONTHS = {m: _DIGITS[m] for m in range(1, 10)} | {4: "tư", 10: "mười", 11: "mười một", 12: "mười hai"}


class DateParts(Protocol):
    """What a date needs to be spelled: `registry.partial_dates.PartialDate` and `datetime.date` both fit."""

    @property
    def year(self) -> int | None: ...

    @property
    def month(self) -> int | None: ...

    @property
    def day(self) -> int | None: ...


def _below_hundred(n: int) -> str:
    """0 < n < 100."""
    if n < 10:
        return _DIGITS[n]
    tens, unit = divmod(n, 10)
    head = "mười" if tens == 1 else f"{_DIGITS[tens]} mươi"
    if unit == 0:
        return head
    if unit == 5:
        tail = "lăm"
    elif unit == 1 and tens > 1:
        tail = "mốt"
    elif unit == 4 and tens > 1:
        tail = "tư"
    else:
        tail = _DIGITS[unit]
    return f"{head} {tail}"


def _below_thousand(n: int, *, padded: bool) -> str:
    """0 < n < 1000; `padded` when a higher place precedes it (then "không trăm" and "linh" appear)."""
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds or padded:
        parts.append(f"{_DIGITS[hundreds]} trăm")
    if rest:
        if parts and rest < 10:
            parts.append("linh")
        parts.append(_below_hundred(rest))
    return " ".join(parts)


def number_in_words(n: int) -> str:
    """An integer 0–999,999 in words: 2005 → "hai nghìn không trăm linh năm"."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"{n} is outside 0–999,999")
    if n == 0:
        return "không"
    thousands, rest = divmod(n, 1000)
    parts = []
    if thousands:
        parts.append(f"{_below_thousand(thousands, padded=False)} nghìn")
    if rest:
        parts.append(_below_thousand(rest, padded=bool(thousands)))
    return " ".join(parts)


# Names of the groups of three digits: thousands, millions, billions, then thousands of billions.
_SCALES = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")


def amount_in_words(n: int) -> str:
    """A whole amount in words, by groups of three digits, capitalised as papers write it after
    "Bằng chữ:": 1_234_500 → "Một triệu hai trăm ba mươi tư nghìn năm trăm"; empty groups are
    skipped (1_000_005 → "Một triệu không trăm linh năm"). Agrees with `number_in_words` below a
    million."""
    if not 0 <= n < 1000 ** len(_SCALES):
        raise ValueError(f"{n} is outside the amounts spelled")
    if n == 0:
        return "Không"
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    parts = []
    for place in reversed(range(len(groups))):
        if groups[place]:
            words = _below_thousand(groups[place], padded=place < len(groups) - 1)
            parts.append(f"{words} {_SCALES[place]}".strip())
    text = " ".join(parts)
    return text[0].upper() + text[1:]


def date_in_words(value: DateParts) -> str:
    """ "Ngày mười bốn, tháng tư, năm hai nghìn không trăm linh năm"; a partial date says what it knows."""
    if value.year is None:
        return ""
    parts = []
    if value.day is not None and value.month is not None:
        parts.append(f"ngày {number_in_words(value.day)}")
    if value.month is not None:
        parts.append(f"tháng {MONTHS[value.month]}")
    parts.append(f"năm {number_in_words(value.year)}")
    text = ", ".join(parts)
    return text[0].upper() + text[1:]
