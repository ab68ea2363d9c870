"""Dates and numbers in words: one wording for extracts, the Ministry export and every other paper."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.partial_dates import PartialDate
from vietnamese.words import date_in_words, number_in_words

# (day, month, year) → the words the Circular's examples use.
DATES = [
    ((1, 1, 2020), "Ngày một, tháng một, năm hai nghìn không trăm hai mươi"),
    ((14, 4, 2005), "Ngày mười bốn, tháng tư, năm hai nghìn không trăm linh năm"),
    ((10, 2, 2010), "Ngày mười, tháng hai, năm hai nghìn không trăm mười"),
    ((11, 3, 2024), "Ngày mười một, tháng ba, năm hai nghìn không trăm hai mươi tư"),
    ((15, 5, 1995), "Ngày mười lăm, tháng năm, năm một nghìn chín trăm chín mươi lăm"),
    ((21, 6, 1975), "Ngày hai mươi mốt, tháng sáu, năm một nghìn chín trăm bảy mươi lăm"),
    ((24, 7, 1954), "Ngày hai mươi tư, tháng bảy, năm một nghìn chín trăm năm mươi tư"),
    ((25, 8, 1945), "Ngày hai mươi lăm, tháng tám, năm một nghìn chín trăm bốn mươi lăm"),
    ((2, 9, 1945), "Ngày hai, tháng chín, năm một nghìn chín trăm bốn mươi lăm"),
    ((20, 10, 2000), "Ngày hai mươi, tháng mười, năm hai nghìn"),
    ((30, 11, 2001), "Ngày ba mươi, tháng mười một, năm hai nghìn không trăm linh một"),
    ((31, 12, 1999), "Ngày ba mươi mốt, tháng mười hai, năm một nghìn chín trăm chín mươi chín"),
    ((4, 4, 2004), "Ngày bốn, tháng tư, năm hai nghìn không trăm linh bốn"),
    ((5, 1, 2015), "Ngày năm, tháng một, năm hai nghìn không trăm mười lăm"),
    ((1, 2, 1005), "Ngày một, tháng hai, năm một nghìn không trăm linh năm"),
    ((9, 3, 1900), "Ngày chín, tháng ba, năm một nghìn chín trăm"),
    ((19, 5, 1890), "Ngày mười chín, tháng năm, năm một nghìn tám trăm chín mươi"),
    ((29, 2, 2000), "Ngày hai mươi chín, tháng hai, năm hai nghìn"),
    ((12, 6, 1961), "Ngày mười hai, tháng sáu, năm một nghìn chín trăm sáu mươi mốt"),
    ((16, 8, 2016), "Ngày mười sáu, tháng tám, năm hai nghìn không trăm mười sáu"),
    ((22, 10, 2022), "Ngày hai mươi hai, tháng mười, năm hai nghìn không trăm hai mươi hai"),
    ((23, 1, 1954), "Ngày hai mươi ba, tháng một, năm một nghìn chín trăm năm mươi tư"),
    ((27, 7, 1947), "Ngày hai mươi bảy, tháng bảy, năm một nghìn chín trăm bốn mươi bảy"),
    ((28, 9, 2008), "Ngày hai mươi tám, tháng chín, năm hai nghìn không trăm linh tám"),
    ((3, 11, 2011), "Ngày ba, tháng mười một, năm hai nghìn không trăm mười một"),
    ((6, 12, 2026), "Ngày sáu, tháng mười hai, năm hai nghìn không trăm hai mươi sáu"),
    ((7, 4, 1976), "Ngày bảy, tháng tư, năm một nghìn chín trăm bảy mươi sáu"),
    ((8, 5, 1986), "Ngày tám, tháng năm, năm một nghìn chín trăm tám mươi sáu"),
    ((13, 6, 2105), "Ngày mười ba, tháng sáu, năm hai nghìn một trăm linh năm"),
    ((17, 3, 1910), "Ngày mười bảy, tháng ba, năm một nghìn chín trăm mười"),
    ((18, 8, 1100), "Ngày mười tám, tháng tám, năm một nghìn một trăm"),
    ((26, 1, 1999), "Ngày hai mươi sáu, tháng một, năm một nghìn chín trăm chín mươi chín"),
]


@pytest.mark.parametrize(("parts", "words"), DATES, ids=[f"{d:02d}/{m:02d}/{y}" for (d, m, y), _ in DATES])
def test_a_full_date_in_words(parts, words):
    day, month, year = parts
    assert date_in_words(PartialDate(year, month, day)) == words
    assert date_in_words(dt.date(year, month, day)) == words


NUMBERS = [
    (0, "không"),
    (1, "một"),
    (10, "mười"),
    (11, "mười một"),
    (15, "mười lăm"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (100, "một trăm"),
    (105, "một trăm linh năm"),
    (1005, "một nghìn không trăm linh năm"),
    (2005, "hai nghìn không trăm linh năm"),
    (2010, "hai nghìn không trăm mười"),
    (2024, "hai nghìn không trăm hai mươi tư"),
    (1000, "một nghìn"),
    (12_345, "mười hai nghìn ba trăm bốn mươi lăm"),
]


@pytest.mark.parametrize(("number", "words"), NUMBERS)
def test_a_number_in_words(number, words):
    assert number_in_words(number) == words


def test_a_partial_date_says_only_what_the_book_gives():
    assert date_in_words(PartialDate(1950, 4)) == "Tháng tư, năm một nghìn chín trăm năm mươi"
    assert date_in_words(PartialDate(1950)) == "Năm một nghìn chín trăm năm mươi"
    assert date_in_words(PartialDate()) == ""


def test_a_number_outside_the_range_is_refused():
    with pytest.raises(ValueError):
        number_in_words(1_000_000)
