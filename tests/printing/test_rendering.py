"""Rendering: every event type's extract, read back from the PDF, with exact Vietnamese text."""

import datetime as dt
import io
import os
import re
import unicodedata

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from printing.layouts import KINDS, extract_content
from printing.rendering import IssueFacts, render_extract, render_extracts
from registry.models import EventType
from registry.partial_dates import PartialDate
from tests.printing.data import extract_input
from vietnamese.words import date_in_words, number_in_words

FACTS = IssueFacts(
    serial="7/2025/TLKS-BS",
    issued_on=dt.date(2025, 3, 5),
    authority_parent="ỦY BAN NHÂN DÂN",
    authority_name="XÃ AN",
    place="An",
    signer_title="Phó Chủ tịch",
    signer_name="Trịnh Thị Ngọc Ánh",
    verify_url="http://127.0.0.1:8000/verify/abc/",
)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in NFC with whitespace folded (line breaks are layout, not content)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def fonts_of(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        fonts = resources["/Font"]
        assert isinstance(fonts, DictionaryObject)
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.mark.parametrize("event_type", EventType.values)
def test_every_event_type_prints_every_field_and_the_date_in_words(world, event_type):
    # given an approved case of this type, full of diacritics
    record = world.record("approved", data=extract_input(event_type), event_type=event_type)
    content = extract_content(record)
    # when its extract is rendered
    pdf = render_extract(record=record, issue=FACTS)
    if os.environ.get("EXTRACT_DUMP"):
        with open(f"{os.environ['EXTRACT_DUMP']}/{event_type}.pdf", "wb") as fh:
            fh.write(pdf)
    text = pdf_text(pdf)
    # then the header, title, every printed value and the issue facts read back exactly
    for fixed in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN",
        "XÃ AN",
        "Số: 7/2025/TLKS-BS",
        KINDS[event_type].title,
        "(BẢN SAO)",
        "An, ngày 05 tháng 03 năm 2025",
        "NGƯỜI KÝ TRÍCH LỤC",
        "Phó Chủ tịch",
        "Trịnh Thị Ngọc Ánh",
    ):
        assert fixed in text, fixed
    values = content.texts()
    assert len(values) >= 8
    for value in values:
        assert value in text, value
    for line in content.lines:
        for label, _value in line.cells:
            assert f"{label}:" in text, label
    assert any(
        (v.startswith(("Ngày ", "Tháng ", "Năm ")) and " năm " in v) or v.startswith("Năm ") for v in values
    )
    # and only the shipped faces (declared as "Extract Serif") are embedded: no system font
    fonts = fonts_of(pdf)
    assert fonts and all(f.split("+", 1)[1].startswith("Extract-Serif") for f in fonts), fonts


def test_the_birth_extract_spells_the_date_of_birth_in_words(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH), event_type=EventType.BIRTH)
    text = pdf_text(render_extract(record=record, issue=FACTS))
    assert "Ngày, tháng, năm sinh: 15/04/2020" in text
    assert "Ghi bằng chữ: Ngày mười lăm, tháng tư, năm hai nghìn không trăm hai mươi" in text
    assert "Họ, chữ đệm, tên: Nguyễn Thị Thuỷ Tiên" in text
    assert "Họ, chữ đệm, tên người mẹ: Trần Thị Hương" in text
    assert "Số đăng ký: " in text and "Quyển số: " in text


def test_the_death_extract_gives_time_date_and_words(world):
    record = world.record("approved", data=extract_input(EventType.DEATH), event_type=EventType.DEATH)
    text = pdf_text(render_extract(record=record, issue=FACTS))
    assert "Đã chết vào lúc: 07 giờ 30 phút" in text
    assert "Ghi bằng chữ: Ngày bốn, tháng một, năm hai nghìn không trăm hai mươi mốt" in text
    assert "Giấy báo tử, số 12/GBT, ngày 05/01/2021, do Trạm y tế xã An cấp" in text


def test_n_copies_repeat_the_page(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    pdf = render_extract(record=record, issue=FACTS, copies=3)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3


@pytest.mark.slow
def test_many_extracts_render_as_one_document(world):
    records = [world.record("approved", data=extract_input(t), event_type=t) for t in EventType.values[:4]]
    pdf = render_extracts([(r, FACTS) for r in records])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 4
    assert "TRÍCH LỤC KẾT HÔN" in pdf_text(pdf)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (2020, "hai nghìn không trăm hai mươi"),
        (2005, "hai nghìn không trăm linh năm"),
        (2015, "hai nghìn không trăm mười lăm"),
        (1975, "một nghìn chín trăm bảy mươi lăm"),
        (1900, "một nghìn chín trăm"),
        (2000, "hai nghìn"),
        (21, "hai mươi mốt"),
    ],
)
def test_numbers_in_words(value, words):
    assert number_in_words(value) == words


def test_partial_dates_in_words():
    assert date_in_words(PartialDate(1998, 11)) == "Tháng mười một, năm một nghìn chín trăm chín mươi tám"
    assert date_in_words(PartialDate(1960)) == "Năm một nghìn chín trăm sáu mươi"
    assert date_in_words(PartialDate()) == ""


def test_the_issuer_heading_and_place_follow_the_unit_level(world):
    from printing.rendering import issuing_authority, place_name

    assert issuing_authority(world.commune_a) == ("ỦY BAN NHÂN DÂN", "XÃ AN")
    assert issuing_authority(world.district1) == ("ỦY BAN NHÂN DÂN", "HUYỆN MỘT")
    assert issuing_authority(world.province) == ("UBND TỈNH THỬ", "SỞ TƯ PHÁP")
    assert (place_name(world.commune_a), place_name(world.province)) == ("An", "Thử")
