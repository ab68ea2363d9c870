"""A value confirmed "as written in the book" travels with the record: in the transfer payload, and in
the Ministry sheet's note column (ghiChu), from which an import reads it back."""

import dataclasses

from registry.ministry_format import record_row, row_to_input
from registry.record_data import clean_record_input
from tests.factories import birth_input
from transfer.adapters import record_payload


def confirmed_birth():
    data = birth_input(pin="001320123456", sex=1)  # the PIN says female: as written in the book
    data.parties["mother"] = {**data.parties["mother"], "birth_date": "1958"}
    data.text = {**data.text, "note": "Sổ ghi mờ"}
    return dataclasses.replace(data, as_written=("party.mother.birth_date", "party.subject.pin"))


def test_the_transfer_payload_names_the_confirmed_fields(world):
    record = world.record("approved", data=confirmed_birth())
    payload = record_payload(record)
    assert payload["asWritten"] == ["meNgaySinh", "nksSoGiayToTuyThan"]
    assert payload["data"]["ghiChu"] == "Sổ ghi mờ [Đúng như trong sổ: meNgaySinh, nksSoGiayToTuyThan]"


def test_the_ministry_note_carries_the_confirmations_and_reads_back(world):
    record = world.record("approved", data=confirmed_birth())
    row = record_row(record)
    assert row["ghiChu"].endswith("[Đúng như trong sổ: meNgaySinh, nksSoGiayToTuyThan]")

    again = row_to_input(row, "birth").data
    assert again.text["note"] == "Sổ ghi mờ"
    assert set(again.as_written) == {"party.mother.birth_date", "party.subject.pin"}
    clean = clean_record_input(again, event_type="birth", book_year=2020)
    assert clean.unconfirmed() == {} and set(clean.as_written) == set(record.as_written)


def test_a_record_without_confirmations_keeps_its_note_as_it_is(world):
    record = world.record("approved")
    assert "Đúng như trong sổ" not in record_row(record)["ghiChu"]
    assert record_payload(record)["asWritten"] == []
