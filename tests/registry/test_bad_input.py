"""Bad input is refused with an error naming the field, and nothing is half-saved."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry.models import CivilRecord, Party, RegisterBook
from registry.partial_dates import PartialDate, parse_partial_date
from registry.record_data import RecordInput, clean_record_input
from tests.factories import birth_input
from workflows import services as wf


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", PartialDate()),
        ("1968", PartialDate(1968)),
        ("03/1968", PartialDate(1968, 3)),
        ("7/3/1968", PartialDate(1968, 3, 7)),
        ("07.03.1968", PartialDate(1968, 3, 7)),
    ],
)
def test_partial_dates_parse(text, expected):
    assert parse_partial_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/1980", "does not exist in the calendar"),
        ("13/1980", "month 13 does not exist"),
        ("1980-02-01", "is not a date"),
        ("hôm qua", "is not a date"),
        ("01/01/1700", "too early"),
    ],
)
def test_malformed_partial_dates_say_what_to_type(text, message):
    with pytest.raises(ValidationError, match=message):
        parse_partial_date(text)


def errors_of(data: RecordInput, event_type: str = "birth") -> dict:
    with pytest.raises(ValidationError) as excinfo:
        clean_record_input(data, event_type=event_type)
    return excinfo.value.message_dict


def test_every_problem_is_reported_by_field_at_once():
    data = birth_input(pin="12345", birth="31/02/2020", reg="2020")
    data.parties["mother"]["full_name"] = "<script>alert(1)</script>"
    errors = errors_of(data)
    assert "exactly 12 digits" in errors["party.subject.pin"][0]
    assert "does not exist in the calendar" in errors["party.subject.birth_date"][0]
    assert "party.mother.full_name" in errors


def test_a_pin_inconsistent_with_sex_and_year_is_a_warning_to_confirm():
    # digit 4 = 3 → female born in the 2000s; "20" → 2020
    clean = clean_record_input(birth_input(pin="001320123456", sex=1, birth="02/03/2019"), event_type="birth")
    messages = " ".join(clean.unconfirmed()["party.subject.pin"])
    assert "sex entered is Male" in messages and "born in 2020" in messages


def test_a_consistent_pin_is_accepted():
    clean = clean_record_input(birth_input(pin="001320123456", sex=2, birth="02/03/2020"), event_type="birth")
    assert clean.parties[0].pin == "001320123456"


def test_names_with_control_characters_or_overlong_are_refused():
    assert "control characters" in " ".join(
        errors_of(birth_input(name="Nguyễn\x07 An"))["party.subject.full_name"]
    )
    assert "at most 120" in " ".join(errors_of(birth_input(name="A" * 10000))["party.subject.full_name"])


def test_a_refused_entry_leaves_the_record_untouched(world):
    record = world.record("scanned")
    before = (record.state, record.version)
    with pytest.raises(ValidationError):
        wf.record_enter(record=record, actor=world.clerk, data=birth_input(pin="123"))
    record.refresh_from_db()
    assert (record.state, record.version) == before
    assert not Party.objects.filter(record=record).exists()


def test_a_duplicate_birth_is_refused_naming_the_existing_record(world):
    first = world.record("entered", data=birth_input(name="Phạm Thị Hoà", birth="01/01/2020"))
    second = world.record("scanned")
    with pytest.raises(wf.DuplicateRecordError, match=f"entry no. {first.entry_no}"):
        # same person written with the new tone placement and in NFD
        import unicodedata

        wf.record_enter(
            record=second,
            actor=world.clerk,
            data=birth_input(name=unicodedata.normalize("NFD", "Phạm Thị Hòa"), birth="01/01/2020"),
        )
    second.refresh_from_db()
    assert second.state == "scanned" and not second.parties.exists()


def api_post(client, payload):
    return client.post(reverse("api_book_create"), json.dumps(payload), content_type="application/json")


def test_api_book_with_unknown_unit_code_names_the_field(client, world):
    client.force_login(world.admin)
    response = api_post(
        client, {"unit_code": "99999999", "event_type": "birth", "year": 2001, "book_no": "1"}
    )
    assert response.status_code == 400
    assert "no unit with code" in response.json()["errors"]["unit_code"][0]
    assert not RegisterBook.objects.exists()


def test_api_book_with_unknown_event_type_names_the_field(client, world):
    client.force_login(world.admin)
    response = api_post(
        client,
        {
            "unit_code": world.commune_a.code,
            "event_type": "wedding",
            "year": 2001,
            "book_no": "1",
            "declared_cases": 5,
        },
    )
    assert response.status_code == 400
    assert "is not an event type" in response.json()["errors"]["event_type"][0]
    assert not RegisterBook.objects.exists() and not CivilRecord.objects.exists()


def test_api_book_registers_slots(client, world):
    client.force_login(world.admin)
    response = api_post(
        client,
        {
            "unit_code": world.commune_a.code,
            "event_type": "death",
            "year": 1990,
            "book_no": "7",
            "declared_cases": 12,
        },
    )
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "slots": 12, "phase": 4}


def test_api_refuses_books_outside_scope(client, world):
    client.force_login(world.outsider)
    response = api_post(
        client, {"unit_code": world.commune_a.code, "event_type": "birth", "year": 2001, "book_no": "1"}
    )
    assert response.status_code == 400 and "may not register" in response.json()["errors"]["unit_code"][0]


def test_the_entry_form_keeps_the_input_when_refused(client, world):
    record = world.record("scanned")
    client.force_login(world.clerk)
    response = client.post(
        reverse("record_enter", args=[record.pk]),
        {
            "version": record.version,
            "registration_date": "31/02/2020",
            "registration_type": 1,
            "subject__full_name": "Đỗ Minh Khôi",
            "subject__sex": 1,
            "subject__birth_date": "01/02/2020",
            "mother__sex": 2,
            "father__sex": 1,
            "submit": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "does not exist in the calendar" in page
    assert 'value="Đỗ Minh Khôi"' in page
    record.refresh_from_db()
    assert record.state == "scanned"


def test_a_stale_form_is_refused_and_keeps_the_input(client, world):
    record = world.record("scanned")
    client.force_login(world.clerk)
    response = client.post(
        reverse("record_enter", args=[record.pk]),
        {
            "version": record.version - 1,
            "registration_date": "05/03/2020",
            "registration_type": 1,
            "subject__full_name": "Đỗ Minh Khôi",
            "subject__sex": 1,
            "subject__birth_date": "01/02/2020",
            "mother__sex": 2,
            "father__sex": 1,
            "submit": "1",
        },
    )
    page = response.content.decode()
    assert "Someone else changed this record" in page
    assert 'value="Đỗ Minh Khôi"' in page
