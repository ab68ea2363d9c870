"""Legacy Vietnamese encodings: detect TCVN3 (ABC) and VNI-Windows text and convert it to Unicode.

Old registers were typed in Word with ``.VnTime`` (TCVN3) or ``VNI-Times`` fonts. Copied
out of such a document, or read from an old Excel file, the text arrives as Windows-1252
characters that only look Vietnamese in the old font: "NguyÔn V¨n An" (TCVN3) or
"Nguyeãn Vaên An" (VNI). These functions are pure and shared by the entry form, the paste
handler and the importers.

- ``to_unicode(text, encoding)`` converts with the tables below.
- ``detect(text)`` says which legacy encoding the text is in, or None: it converts with
  each table and keeps a conversion only if it yields strictly more well-formed
  Vietnamese syllables than the text as it is, so Unicode text is never "converted".
- ``fix_legacy(text)`` returns the converted text and the encoding found.
- ``mixed_encoding(text)`` is True when Unicode Vietnamese and legacy text are mixed in
  one value (a half-converted paste): such input is refused, not guessed at.
"""

from __future__ import annotations

import re
import unicodedata

TCVN3 = "tcvn3"
VNI = "vni"
ENCODING_LABELS = {TCVN3: "TCVN3 (ABC)", VNI: "VNI-Windows"}

# --- TCVN3 (ABC): one byte per letter --------------------------------------------------
# Lower-case letters, then the seven upper-case letters the encoding has (toned capitals
# were written with the lower-case codes in the ".VnTimeH" capitals font).
_TCVN3_PAIRS = (
    ("µ", "à"), ("¸", "á"), ("¶", "ả"), ("·", "ã"), ("¹", "ạ"),
    ("¨", "ă"), ("»", "ằ"), ("¾", "ắ"), ("¼", "ẳ"), ("½", "ẵ"), ("Æ", "ặ"),
    ("©", "â"), ("Ç", "ầ"), ("Ê", "ấ"), ("È", "ẩ"), ("É", "ẫ"), ("Ë", "ậ"),
    ("®", "đ"),
    ("Ì", "è"), ("Ð", "é"), ("Î", "ẻ"), ("Ï", "ẽ"), ("Ñ", "ẹ"),
    ("ª", "ê"), ("Ò", "ề"), ("Õ", "ế"), ("Ó", "ể"), ("Ô", "ễ"), ("Ö", "ệ"),
    ("×", "ì"), ("Ý", "í"), ("Ø", "ỉ"), ("Ü", "ĩ"), ("Þ", "ị"),
    ("ß", "ò"), ("ã", "ó"), ("á", "ỏ"), ("â", "õ"), ("ä", "ọ"),
    ("«", "ô"), ("å", "ồ"), ("è", "ố"), ("æ", "ổ"), ("ç", "ỗ"), ("é", "ộ"),
    ("¬", "ơ"), ("ê", "ờ"), ("í", "ớ"), ("ë", "ở"), ("ì", "ỡ"), ("î", "ợ"),
    ("ï", "ù"), ("ó", "ú"), ("ñ", "ủ"), ("ò", "ũ"), ("ô", "ụ"),
    ("\xad", "ư"), ("õ", "ừ"), ("ø", "ứ"), ("ö", "ử"), ("÷", "ữ"), ("ù", "ự"),
    ("ú", "ỳ"), ("ý", "ý"), ("û", "ỷ"), ("ü", "ỹ"), ("þ", "ỵ"),
    ("¡", "Ă"), ("¢", "Â"), ("§", "Đ"), ("£", "Ê"), ("¤", "Ô"), ("¥", "Ơ"), ("¦", "Ư"),
)  # fmt: skip
TCVN3_TO_UNICODE: dict[str, str] = dict(_TCVN3_PAIRS)
_TCVN3_TABLE = str.maketrans(TCVN3_TO_UNICODE)

# --- VNI-Windows: a base letter followed by one mark byte ------------------------------
# Tones in the order sắc, huyền, hỏi, ngã, nặng.
_TONES = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VNI_TONE_LOWER = ("ù", "ø", "û", "õ", "ï")
_VNI_CIRCUMFLEX_LOWER = ("â", "á", "à", "å", "ã", "ä")  # bare, then the five tones
_VNI_BREVE_LOWER = ("ê", "é", "è", "ú", "ü", "ë")
# Letters that are one byte in VNI: ơ, ư, đ and the toned i's (and ỵ).
_VNI_SINGLE_LOWER = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


def _compose(base: str, *marks: str) -> str:
    return unicodedata.normalize("NFC", base + "".join(marks))


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for upper in (False, True):

        def case(s: str, upper: bool = upper) -> str:
            return s.upper() if upper else s

        for base in "aeouy":
            for tone, mark in zip(_TONES, _VNI_TONE_LOWER, strict=True):
                table[case(base + mark)] = case(_compose(base, tone))
        for base in "aeo":
            table[case(base + _VNI_CIRCUMFLEX_LOWER[0])] = case(_compose(base, "\u0302"))
            for tone, mark in zip(_TONES, _VNI_CIRCUMFLEX_LOWER[1:], strict=True):
                table[case(base + mark)] = case(_compose(base, "\u0302", tone))
        table[case("a" + _VNI_BREVE_LOWER[0])] = case("ă")
        for tone, mark in zip(_TONES, _VNI_BREVE_LOWER[1:], strict=True):
            table[case("a" + mark)] = case(_compose("a", "\u0306", tone))
        # ơ and ư carry their tone as a second byte: "ôù" = ớ, "öø" = ừ.
        for legacy, letter in (("ô", "ơ"), ("ö", "ư")):
            for tone, mark in zip(_TONES, _VNI_TONE_LOWER, strict=True):
                table[case(legacy + mark)] = case(_compose(letter, tone))
        for legacy, letter in _VNI_SINGLE_LOWER.items():
            table.setdefault(case(legacy), case(letter))
    return table


VNI_TO_UNICODE: dict[str, str] = _vni_table()
_VNI_PATTERN = re.compile("|".join(sorted(map(re.escape, VNI_TO_UNICODE), key=len, reverse=True)))


def to_unicode(text: str, encoding: str) -> str:
    """Convert text typed in a legacy encoding (read as Windows-1252 characters) to NFC Unicode."""
    if encoding == TCVN3:
        return unicodedata.normalize("NFC", text.translate(_TCVN3_TABLE))
    if encoding == VNI:
        return unicodedata.normalize("NFC", _VNI_PATTERN.sub(lambda m: VNI_TO_UNICODE[m.group(0)], text))
    raise ValueError(f"unknown legacy encoding {encoding!r}")


# --- Telling Vietnamese from garbage ----------------------------------------------------
_ONSET = "ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEUS = (
    "uyê|uya|uyu|iêu|yêu|oai|oay|oeo|uây|uôi|ươi|ươu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi|ua|uâ|uê|ui|uô|uơ|ưa|ưi|ươ|ưu|uy|yê|"
    "a|ă|â|e|ê|i|y|o|ô|ơ|u|ư"
)
_CODA = "ch|ng|nh|c|m|n|p|t"
_SYLLABLE = re.compile(rf"^(?P<onset>{_ONSET})?(?P<nucleus>{_NUCLEUS})(?P<coda>{_CODA})?$")
# Vowel clusters ending in a glide take no final consonant; these others need one.
_OPEN_ONLY = {
    "ai",
    "ao",
    "au",
    "ay",
    "âu",
    "ây",
    "eo",
    "êu",
    "ia",
    "iu",
    "oi",
    "ôi",
    "ơi",
    "ui",
    "ưi",
    "ưu",
    "ua",
    "ưa",
    "iêu",
    "yêu",
    "oai",
    "oay",
    "oeo",
    "uây",
    "uôi",
    "ươi",
    "ươu",
    "uyu",
    "uya",
}
_CLOSED_ONLY = {"ă", "â", "iê", "yê", "uô", "ươ", "uâ", "oă", "uyê"}
_TONE_MARKS = set(_TONES)
_TCVN3_RANGE = re.compile("[\xa1-\xbf]")
_WORD = re.compile(r"[^\s\-'’.,;:()/]+")


def _tone_places(nucleus: str, closed: bool) -> set[int]:
    """Where the tone mark may sit in a vowel cluster (old and new placement both allowed)."""
    marked = [i for i, ch in enumerate(nucleus) if ch in "ăâêôơư"]
    if marked:
        return {marked[-1]}
    if len(nucleus) == 1:
        return {0}
    if nucleus in ("oa", "oe", "uy"):
        return {1} if closed else {0, 1}
    if closed:
        return {len(nucleus) - 1}
    return {1} if len(nucleus) == 3 else {0}


def is_vietnamese_syllable(word: str) -> bool:
    """A well-formed Vietnamese syllable: onset, vowels, final consonant, one tone on the right vowel."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tone_at = None
    letters = -1
    for ch in decomposed:
        if ch in _TONE_MARKS:
            if tone_at is not None:
                return False
            tone_at = letters
        elif not unicodedata.combining(ch):
            letters += 1
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    match = _SYLLABLE.match(bare)
    if not match:
        return False
    nucleus, closed = match["nucleus"], bool(match["coda"])
    onset = match["onset"] or ""
    front = nucleus[0] in "ieêy"
    if (onset in ("ngh", "gh", "k") and not front) or (onset in ("c", "ng") and front):
        return False  # spelling: k/gh/ngh only before i, e, ê; c/ng never
    if onset == "qu" and nucleus[0] in "ou":
        return False
    if (closed and nucleus in _OPEN_ONLY) or (not closed and nucleus in _CLOSED_ONLY):
        return False
    if closed and match["coda"] in ("c", "ch", "p", "t") and tone_at is not None:
        # Syllables ending in a stop take only the rising or the heavy tone (sắc, nặng).
        tone = next(ch for ch in decomposed if ch in _TONE_MARKS)
        if tone not in ("\u0301", "\u0323"):
            return False
    if tone_at is None:
        return True
    return tone_at - len(onset) in _tone_places(nucleus, closed)


def _score(text: str, original: str) -> int:
    """Two points per well-formed syllable, minus one per word whose initial changed case."""
    score = 0
    for word, before in zip(_WORD.findall(text), _WORD.findall(original), strict=False):
        case_changed = before[:1].isalpha() and word[:1].isupper() != before[:1].isupper()
        usual_case = word in (word.lower(), word.upper(), word.capitalize())
        score += 2 * (usual_case and is_vietnamese_syllable(word)) - case_changed
    return score


def _cp1252_only(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _best_conversion(text: str) -> tuple[str, str | None]:
    if all(ord(ch) < 0x80 for ch in text) or not _cp1252_only(text):
        return text, None
    best, best_encoding, best_score = text, None, _score(text, text)
    # On a tie the likelier table goes first: only TCVN3 uses the ¡…¿ range.
    order = (TCVN3, VNI) if _TCVN3_RANGE.search(text) else (VNI, TCVN3)
    for encoding in order:
        converted = to_unicode(text, encoding)
        score = _score(converted, text)
        if score > best_score:
            best, best_encoding, best_score = converted, encoding, score
    return best, best_encoding


def detect(text: str) -> str | None:
    """The legacy encoding `text` is in ("tcvn3" or "vni"), or None for Unicode/plain text."""
    return _best_conversion(text)[1]


def fix_legacy(text: str) -> tuple[str, str | None]:
    """(Unicode text, encoding that was converted from or None). Unicode input comes back unchanged."""
    return _best_conversion(text)


def mixed_encoding(text: str) -> bool:
    """True if some words are Unicode Vietnamese and others legacy-encoded (refuse, don't guess)."""
    if _cp1252_only(text):
        return False
    return any(_best_conversion(word)[1] is not None for word in _WORD.findall(text) if _cp1252_only(word))


def from_unicode(text: str, encoding: str) -> str:
    """Unicode → legacy encoding (to build test data and to check the tables round-trip)."""
    reverse = {v: k for k, v in (TCVN3_TO_UNICODE if encoding == TCVN3 else VNI_TO_UNICODE).items()}
    if encoding == TCVN3:
        # Toned capitals have no TCVN3 code: like .VnTimeH, write them with the lower-case code.
        return "".join(
            reverse.get(ch, reverse.get(ch.lower(), ch)) for ch in unicodedata.normalize("NFC", text)
        )
    return "".join(reverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def detect_column(values: list[str]) -> str | None:
    """The legacy encoding of a whole column or file, judged on all its values together.

    One short name can read as Vietnamese in two encodings ("Hoà" is "Hồ" in VNI); a
    column rarely can. Importers should decide per column, then convert every value.
    """
    totals = {None: 0, TCVN3: 0, VNI: 0}
    for text in values:
        if not text or all(ord(ch) < 0x80 for ch in text) or not _cp1252_only(text):
            continue
        totals[None] += _score(text, text)
        for encoding in (TCVN3, VNI):
            totals[encoding] += _score(to_unicode(text, encoding), text)
    best = max((TCVN3, VNI), key=lambda e: totals[e])
    return best if totals[best] > totals[None] else None
