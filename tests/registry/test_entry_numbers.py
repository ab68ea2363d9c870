"""Entry numbers as books write them: suffixes for cases squeezed in, typed any way, stored one way."""

import pytest
from django.core.exceptions import ValidationError

from registry.entry_numbers import EntryNumber, parse_entry_number, parse_entry_numbers
from registry.partial_dates import PartialDate
from registry.record_checks import book_covers


@pytest.mark.parametrize(
    ("typed", "number", "suffix", "shown"),
    [
        ("15", 15, "", "15"),
        ("15a", 15, "a", "15a"),
        ("15 A", 15, "a", "15a"),
        ("15-a", 15, "a", "15a"),
        ("15/a", 15, "a", "15a"),
        ("15 bis", 15, "bis", "15 bis"),
        ("15BIS", 15, "bis", "15 bis"),
        ("15-Ter", 15, "ter", "15 ter"),
        ("１５ bis", 15, "bis", "15 bis"),
    ],
)
def test_a_suffix_is_stored_one_way_however_it_is_typed(typed, number, suffix, shown):
    entry = parse_entry_number(typed)
    assert (entry.number, entry.suffix, str(entry)) == (number, suffix, shown)


@pytest.mark.parametrize("typed", ["", "a15", "15 abc", "0", "15.5.1", "15 bisx", "-3"])
def test_what_is_not_an_entry_number_is_refused_with_an_example(typed):
    with pytest.raises(ValidationError) as exc:
        parse_entry_number(typed)
    assert "15" in exc.value.messages[0] or "between 1 and" in exc.value.messages[0]


def test_squeezed_in_cases_sort_between_their_neighbours():
    typed = ["16", "15 bis", "15", "15a", "15 ter", "14"]
    ordered = sorted((parse_entry_number(t) for t in typed), key=lambda e: (e.number, e.rank, e.suffix))
    assert [str(e) for e in ordered] == ["14", "15", "15a", "15 bis", "15 ter", "16"]


def test_a_list_of_numbers_takes_ranges_and_suffixes():
    assert parse_entry_numbers("101-103; 15a, 15 bis") == [
        EntryNumber(101),
        EntryNumber(102),
        EntryNumber(103),
        EntryNumber(15, "a"),
        EntryNumber(15, "bis"),
    ]
    with pytest.raises(ValidationError):
        parse_entry_numbers("105-101")


def test_a_book_of_two_years_covers_a_date_in_its_second_year():
    assert book_covers((1998, 1999), PartialDate(1999, 1, 5))
    assert not book_covers((1998, 1998), PartialDate(1999, 1, 5))
    assert book_covers((1998, 1998), PartialDate())
