"""Refuse passwords made of what people around a civil-status office would guess first.

Django's validators refuse short, common and all-digit passwords; this one refuses passwords built
from Vietnamese names (family, middle and given names), place names (every unit in the database and
in the pre-2025 tree of `registry/data`), words of the trade ("hotich", "matkhau") and sequences
("123456", "abcdef", "qwerty", a year, a date) with fewer than `min_other` characters left over.
Comparison ignores case and diacritics ("Quảng Trung", "QUANGTRUNG" and "quangtrung" are alike).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from itertools import pairwise
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

import registry
from registry.models import AdministrativeUnit
from vietnamese.common_names import FAMILY_SHARES, GIVEN_FEMALE, GIVEN_MALE, MIDDLE_FEMALE, MIDDLE_MALE
from vietnamese.names import name_key

# Words of the trade and of passwords everywhere, written without diacritics.
TRADE_WORDS = (
    "hotich", "sohotich", "tuphap", "sotuphap", "phongtuphap", "ubnd", "uybannhandan", "khaisinh",
    "kethon", "khaitu", "trichluc", "matkhau", "mk", "pass", "password", "passwd", "admin", "quantri",
    "quantrivien", "nguoidung", "user", "login", "dangnhap", "vietnam", "congan", "canbo", "congchuc",
    "chuyenvien", "xa", "phuong", "huyen", "tinh", "quan", "thanhpho", "thixa", "thitran", "demo",
    "test", "iloveyou", "anhyeuem", "emyeuanh", "yeuem", "yeuanh", "welcome", "xinchao", "abc",
)  # fmt: skip
KEYBOARD_ROWS = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_UNIT_PREFIXES = re.compile(
    r"^(tinh|thanh pho|thi xa|thi tran|quan|huyen|phuong|xa|dac khu)\s+", re.IGNORECASE
)
_TOKENS = re.compile(r"[a-z]+|[0-9]+|[^a-z0-9]+")
_LEGACY_UNITS = Path(registry.__file__).resolve().parent / "data" / "units_legacy.json.gz"


def fold(text: str) -> str:
    """Lower case, no diacritics, đ → d (the name key of `vietnamese.names`), spaces kept."""
    return name_key(text)


def _place_key(name: str) -> str:
    return _UNIT_PREFIXES.sub("", fold(name)).replace(" ", "")


@cache
def _fixed_words() -> frozenset[str]:
    words = {fold(n).replace(" ", "") for n in (*GIVEN_MALE, *GIVEN_FEMALE)}
    words |= {fold(n).replace(" ", "") for n, _share in FAMILY_SHARES}
    words |= {fold(n).replace(" ", "") for n, _weight in (*MIDDLE_MALE, *MIDDLE_FEMALE)}
    words |= set(TRADE_WORDS)
    for row in KEYBOARD_ROWS:
        for seq in (row, row[::-1]):
            words |= {seq[i:j] for i in range(len(seq)) for j in range(i + 3, len(seq) + 1)}
    if _LEGACY_UNITS.exists():
        tree = json.loads(gzip.decompress(_LEGACY_UNITS.read_bytes()))
        for level in ("provinces", "districts", "communes"):
            words |= {_place_key(row[1]) for row in tree[level]}
    return frozenset(w for w in words if len(w) >= 2 and not w.isdigit())


def guessable_words() -> frozenset[str]:
    """Names, trade words, sequences and place names (the units in the database included), folded."""
    places = {_place_key(n) for n in AdministrativeUnit.objects.values_list("name", flat=True).distinct()}
    return _fixed_words() | {p for p in places if len(p) >= 2 and not p.isdigit()}


def _weak_digits(digits: str) -> bool:
    """Short numbers, years, dates (ddmmyyyy, ddmmyy) and runs such as 123456, 987654, 111111."""
    if len(digits) <= 3:
        return True
    if len(digits) == 4 and 1900 <= int(digits) <= 2099:
        return True
    if len(digits) in (6, 8) and 1 <= int(digits[:2]) <= 31 and 1 <= int(digits[2:4]) <= 12:
        return True
    steps = [(int(b) - int(a)) % 10 for a, b in pairwise(digits)]
    regular = sum(1 for s in steps if s in (0, 1, 9))
    return regular >= 0.8 * len(steps)


def _cover(letters: str, words: frozenset[str], longest: int) -> tuple[int, list[str]]:
    """The fewest letters of `letters` left once known words are taken out, and the words taken."""
    n = len(letters)
    best: list[tuple[int, list[str]]] = [(0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        left, used = best[i + 1]
        choice = (left + 1, used)
        for j in range(i + 2, min(n, i + longest) + 1):
            piece = letters[i:j]
            if piece in words and best[j][0] < choice[0]:
                choice = (best[j][0], [piece, *best[j][1]])
        best[i] = choice
    return best[0]


def guessable_parts(password: str, words: frozenset[str] | None = None) -> tuple[list[str], int]:
    """The guessable pieces of `password` and how many characters are left beside them."""
    words = guessable_words() if words is None else words
    longest = max((len(w) for w in words), default=2)
    pieces: list[str] = []
    other = 0
    for token in _TOKENS.findall(fold(password).replace(" ", "")):
        if token.isalpha():
            left, used = _cover(token, words, longest)
            pieces += used
            other += left
        elif token.isdigit():
            if _weak_digits(token):
                pieces.append(token)
            else:
                other += len(token)
        else:
            other += len(set(token))  # "!!!!" is one symbol more, not four
    return pieces, other


class VietnameseWordsValidator:
    """AUTH_PASSWORD_VALIDATORS entry; `min_other`: characters required beyond the guessable pieces."""

    def __init__(self, min_other: int = 4) -> None:
        self.min_other = min_other

    def validate(self, password: str, user=None) -> None:
        pieces, other = guessable_parts(password)
        if pieces and other < self.min_other:
            shown = ", ".join(f"“{p}”" for p in dict.fromkeys(pieces))
            raise ValidationError(
                _(
                    "This password is too easy to guess: it is made of names, place names, common "
                    "words or sequences (%(parts)s) with fewer than %(min)d other characters. Add at "
                    "least %(min)d unrelated letters, digits or symbols."
                ),
                code="password_guessable",
                params={"parts": shown, "min": self.min_other},
            )

    def get_help_text(self) -> str:
        return _(
            "Not made of names, place names, words such as “hotich” or “matkhau”, or sequences such as "
            "“123456” (case and diacritics do not matter)."
        )
