"""Names: only the characters names are written with; keys that ignore what cannot be seen."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError

from vietnamese.names import clean_name, name_exact_key, name_key

ETHNIC_AND_VIETNAMESE = [
    "Nguyễn Thị Hoà",
    "Đỗ Minh Khôi",
    "H'Hen Niê",
    "Y Moan Ênuôl",
    "Ksor H'Bơ",
    "Rơ Mah Hlơi",
    "Nay Y Blang",
    "Ayŭn H'Ni",
    "Kpă Thị Ŏng",
    "Hà Văn Pố",
    "Lò Thị Xuân-Mai",
    "Sùng A Páo",
    "Bế Văn Đàn",
    "H'Nga Byă Ơ̆",
]


@pytest.mark.parametrize("name", ETHNIC_AND_VIETNAMESE)
def test_vietnamese_and_ethnic_minority_names_are_accepted_in_nfc(name):
    assert clean_name(unicodedata.normalize("NFD", name)) == unicodedata.normalize("NFC", name)


def test_apostrophe_and_hyphen_look_alikes_are_stored_as_ascii():
    assert clean_name("H\u2019Hen Ni\u00ea") == "H'Hen Niê"
    assert clean_name("Xuân\u2011Mai") == "Xuân-Mai"


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\u2060", "U+2060 (WORD JOINER)"),
        ("\u2067", "U+2067 (RIGHT-TO-LEFT ISOLATE)"),
        ("\u2069", "U+2069 (POP DIRECTIONAL ISOLATE)"),
        ("\u00ad", "U+00AD (SOFT HYPHEN)"),
        ("\u3164", "U+3164 (HANGUL FILLER)"),
        ("\u034f", "U+034F (COMBINING GRAPHEME JOINER)"),
        ("\ufffd", "U+FFFD (REPLACEMENT CHARACTER)"),
        ("\x07", "U+0007"),
        ("7", "U+0037 (DIGIT SEVEN)"),
        ("Ж", "U+0416 (CYRILLIC CAPITAL LETTER ZHE)"),
    ],
)
def test_invisible_and_odd_characters_are_refused_with_the_character_named(char, named):
    with pytest.raises(ValidationError) as refused:
        clean_name(f"Nguyễn{char} Văn An")
    assert named in refused.value.messages[0]


@pytest.mark.parametrize("char", ["\u2060", "\u2067", "\u2069", "\u00ad", "\u3164", "\u034f", "\ufffd"])
def test_keys_of_a_name_stored_with_an_invisible_character_match_the_plain_name(char):
    assert name_key(f"Nguyễn Văn{char} An") == name_key("Nguyễn Văn An") == "nguyen van an"
    assert name_exact_key(f"Nguyễn Văn{char} An") == name_exact_key("Nguyễn Văn An")
