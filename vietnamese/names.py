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

from vietnamese.input_values import character_name

# The five tone marks as combining characters (NFD). Other marks (circumflex,
# breve, horn) change the vowel itself and are kept in the exact key.
_TONES = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
_SPACES = re.compile(r"\s+")
# Marks that Vietnamese and the Latin scripts of ethnic-minority languages (Ê Đê, Gia Rai, Ba Na,
# Mường…) put on letters, for the letter + mark pairs NFC has no single character for ("ơ̆").
_MARKS = frozenset("\u0300\u0301\u0302\u0303\u0304\u0306\u0308\u0309\u030c\u031b\u0323")
# Punctuation names are written with; apostrophe and hyphen look-alikes are stored as the ASCII ones.
_PUNCTUATION = frozenset(" '-.")
_LOOK_ALIKES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"})
# Characters that show nothing (joiners, direction marks, soft hyphen, fillers, invalid bytes): the
# keys ignore them, so that a name stored with one before they were refused still matches.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufffd]"
)

MAX_NAME_LENGTH = 120


def _allowed(ch: str) -> bool:
    if ch in _PUNCTUATION or ch in _MARKS:
        return True
    return unicodedata.category(ch) in ("Lu", "Ll") and unicodedata.name(ch, "").startswith("LATIN ")


def clean_name(value: str) -> str:
    """Return the name in NFC with whitespace folded; refuse any character a name is not written with.

    Allowed: Latin letters (with Vietnamese and ethnic-minority diacritics, đ/Đ), the combining marks
    that compose them, space, apostrophe, hyphen and dot. Anything else (digits, symbols, invisible
    joiners and direction marks, soft hyphens, fillers, invalid bytes) is refused with the character
    named, e.g. "U+2060 (WORD JOINER)"."""
    text = unicodedata.normalize("NFC", value.translate(_LOOK_ALIKES))
    text = _SPACES.sub(" ", text).strip()
    refused: list[str] = []
    for ch in text:
        if not _allowed(ch) and character_name(ch) not in refused:
            refused.append(character_name(ch))
    if refused:
        raise ValidationError(
            _(
                "The name contains characters that are not allowed: %(chars)s. A name may contain "
                "letters, spaces, hyphens, apostrophes and dots only; retype it (a pasted document "
                "often carries invisible control characters)."
            ),
            code="bad_characters",
            params={"chars": ", ".join(refused[:5])},
        )
    if len(text) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The name has %(length)d characters; at most %(max)d are allowed."),
            code="too_long",
            params={"length": len(text), "max": MAX_NAME_LENGTH},
        )
    return text


def name_key(value: str) -> str:
    """Diacritic-free, lower-case key ('Nguyễn Thị Hoà' → 'nguyen thi hoa'); ignores invisible characters."""
    value = INVISIBLE.sub("", value.translate(_LOOK_ALIKES))
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def name_exact_key(value: str) -> str:
    """Key that ignores case, NFC/NFD and tone-mark placement but keeps every mark."""
    words = []
    value = INVISIBLE.sub("", value.translate(_LOOK_ALIKES))
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
