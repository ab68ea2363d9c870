"""Vietnamese names: clean what was typed, and compute the keys names are compared by.

Names are stored as written (NFC, whitespace folded). Two keys serve comparison:

- ``name_key``: no diacritics, đ → d, lower case, single spaces. "Nguyễn Thị Hoà"
  and "nguyen thi hoa" share it. Used for search and likely-duplicate blocking.
- ``name_exact_key``: keeps every letter's marks but ignores where the tone mark
  sits (old "hoà" = new "hòa"), NFC/NFD and case. Used where a false match would
  refuse a legitimate registration (the hard duplicate key).
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The five tone marks as combining characters (NFD). Other marks (circumflex,
# breve, horn) change the vowel itself and are kept in the exact key.
_TONES = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\ufeff]")

MAX_NAME_LENGTH = 120


def clean_name(value: str) -> str:
    """Return the name in NFC with whitespace folded; refuse control characters and overlong input."""
    if _CONTROL.search(value):
        raise ValidationError(
            _(
                "The name contains invisible control characters (often from a pasted document). "
                "Retype it or paste it as plain text."
            ),
            code="control_characters",
        )
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The name has %(length)d characters; at most %(max)d are allowed."),
            code="too_long",
            params={"length": len(cleaned), "max": MAX_NAME_LENGTH},
        )
    if re.search(r"[<>{}\[\]|\\^`~@#$%&*_=+;:\"?!0-9]", cleaned):
        raise ValidationError(
            _("A name may contain letters, spaces, hyphens, apostrophes and dots only."),
            code="bad_characters",
        )
    return cleaned


def name_key(value: str) -> str:
    """Diacritic-free, lower-case key: 'Nguyễn Thị Hoà' → 'nguyen thi hoa'."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def name_exact_key(value: str) -> str:
    """Key that ignores case, NFC/NFD and tone-mark placement but keeps every mark."""
    words = []
    for word in _SPACES.split(unicodedata.normalize("NFD", value).strip().lower()):
        tone = ""
        letters = []
        for ch in word:
            if ch in _TONES:
                tone = _TONES[ch]
            else:
                letters.append(ch)
        words.append(unicodedata.normalize("NFC", "".join(letters)) + tone)
    return " ".join(w for w in words if w)
