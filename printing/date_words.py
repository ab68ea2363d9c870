"""Dates written in Vietnamese words, as certified extracts print them ("ghi bằng chữ").

num2words (lang="vi") spells 1–999 correctly, but its thousands are not what an
official paper says: it gives "hai nghìn lẻ hai mươi" for 2020, where the
Vietnamese reading is "hai nghìn không trăm hai mươi". So thousands and the
empty hundreds place are composed here, and num2words spells the small parts.
"Linh" (not "lẻ") is the written form for a zero tens place, as in
"hai nghìn không trăm linh năm".
"""

from __future__ import annotations

from num2words import num2words

from registry.partial_dates import PartialDate

# The month names used on official papers: April is "tư", not "bốn".
MONTHS = {m: num2words(m, lang="vi") for m in range(1, 13)} | {4: "tư"}


def _below_hundred(n: int) -> str:
    return num2words(n, lang="vi")


def _below_thousand(n: int, *, padded: bool) -> str:
    """0 < n < 1000; `padded` when a higher place precedes it (then 'không trăm' and 'linh' appear)."""
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds or padded:
        parts.append(f"{_below_hundred(hundreds) if hundreds else 'không'} trăm")
    if rest:
        if parts and rest < 10:
            parts.append("linh")
        parts.append(_below_hundred(rest))
    return " ".join(parts)


def number_in_words(n: int) -> str:
    """An integer 0–999,999 in Vietnamese words: 2005 → 'hai nghìn không trăm linh năm'."""
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


def date_in_words(value: PartialDate) -> str:
    """'Ngày hai, tháng ba, năm hai nghìn không trăm hai mươi'; a partial date gives what it knows."""
    if value.year is None:  # is_empty, spelled out so that the year is known below
        return ""
    parts = []
    if value.day is not None:
        parts.append(f"ngày {number_in_words(value.day)}")
    if value.month is not None:
        parts.append(f"tháng {MONTHS[value.month]}")
    parts.append(f"năm {number_in_words(value.year)}")
    text = ", ".join(parts)
    return text[0].upper() + text[1:]
