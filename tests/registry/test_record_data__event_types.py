"""Entry data of every event type: a valid case saves; each rule refuses the impossible, or warns about
the implausible until it is confirmed as written in the book, with a message that says the fix."""

import copy

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from registry.event_fields import EVENT_SPECS
from registry.models import EventType, Party
from registry.record_data import clean_record_input
from tests.factories import MAIN_ROLE, event_input
from workflows import services as wf

ALL_TYPES = [t.value for t in EventType]


def errors_of(data, event_type, book_year=2020):
    with pytest.raises(ValidationError) as info:
        clean_record_input(data, event_type=event_type, book_year=book_year)
    return info.value.message_dict


def warnings_of(data, event_type, book_year=2020):
    """The implausible values of a case that is otherwise valid (no error is raised)."""
    clean = clean_record_input(data, event_type=event_type, book_year=book_year)
    assert clean.unconfirmed() == clean.warnings
    return clean.warnings


def with_party(data, role, **values):
    data = copy.deepcopy(data)
    data.parties[role] = {**data.parties.get(role, {}), **values}
    return data


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_a_valid_case_of_each_type_is_entered_with_its_people_and_own_fields(world, event_type):
    record = world.record("scanned", event_type=event_type)
    data = event_input(event_type)

    wf.record_enter(record=record, actor=world.clerk, data=data)

    record.refresh_from_db()
    assert record.state == "entered"
    assert str(record.registration_date) == "10/03/2020"
    roles = set(Party.objects.filter(record=record).values_list("role", flat=True))
    assert roles == set(data.parties)
    assert set(record.details) == {k for k, v in data.details.items() if v}
    assert record.dedup_keys, "the likely-duplicate blocking keys are stored"


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_type_has_a_spec_whose_people_match_the_model(event_type):
    from registry.models import EVENT_PARTY_ROLES

    assert tuple(EVENT_SPECS[event_type].parties) == tuple(EVENT_PARTY_ROLES[event_type])


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_registration_date_outside_the_books_year_is_a_warning(event_type):
    warnings = warnings_of(event_input(event_type, reg="10/03/2021"), event_type, book_year=2020)
    assert "not in 2020, the year(s) of this book" in warnings["registration_date"][0]


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_the_main_person_born_after_registration_is_refused(event_type):
    role = MAIN_ROLE[event_type]
    data = with_party(event_input(event_type), role, birth_date="15/03/2020")
    errors = errors_of(data, event_type)
    assert "is after the registration date 10/03/2020" in " ".join(errors[f"party.{role}.birth_date"])


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_an_impossible_date_a_huge_name_and_html_are_each_refused_by_field(event_type):
    role = MAIN_ROLE[event_type]
    data = with_party(event_input(event_type), role, full_name="A" * 10000, birth_date="31/02/1980")
    data.text = {**data.text, "signer_name": "<script>alert(1)</script>"}
    errors = errors_of(data, event_type)
    assert "at most 120" in errors[f"party.{role}.full_name"][0]
    assert "does not exist in the calendar" in errors[f"party.{role}.birth_date"][0]
    assert "Remove the HTML" in errors["signer_name"][0]


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_year_only_and_month_year_dates_and_no_information_are_accepted(event_type):
    role = MAIN_ROLE[event_type]
    data = with_party(
        event_input(event_type, reg="2020"),
        role,
        birth_date="1960"
        if event_type in ("marriage", "divorce_note", "death", "amendment", "marital_status")
        else "05/2012",
    )
    data.text = {}
    clean = clean_record_input(data, event_type=event_type, book_year=2020)
    assert clean.registration_date.year == 2020 and clean.registration_date.month is None


def test_death_before_birth_and_after_registration_are_refused():
    data = event_input("death", event_date="01/01/1930")
    assert "before the date of birth 1940" in errors_of(data, "death")["event_date"][0]
    data = event_input("death", event_date="20/03/2020")
    assert "a death is registered after it happens" in errors_of(data, "death")["event_date"][0]


def test_an_implausible_marriage_age_is_a_warning():
    data = with_party(event_input("marriage"), "wife", birth_date="2010")
    message = warnings_of(data, "marriage")["party.wife.birth_date"][0]
    assert "would be 10 years old at the marriage" in message and "15 to 100" in message


@pytest.mark.parametrize(
    ("event_type", "role", "birth", "expected"),
    [
        ("birth", "mother", "2015", "would be 5 years old when the child was born"),
        ("birth", "father", "1900", "would be 119 years old when the child was born"),
        ("adoption", "adoptive_mother", "2005", "would be 7 years old when the child was born"),
        ("parentage", "parent", "2008", "would be 4 years old when the child was born"),
    ],
)
def test_implausible_parents_ages_are_warnings(event_type, role, birth, expected):
    data = with_party(event_input(event_type), role, birth_date=birth)
    assert expected in warnings_of(data, event_type)[f"party.{role}.birth_date"][0]


@pytest.mark.parametrize(
    ("pin", "sex", "birth", "expected"),
    [
        ("12345", 1, "02/03/2020", "exactly 12 digits"),
        ("00121000123x", 1, "02/03/2020", "exactly 12 digits"),
        ("099220001234", 1, "02/03/2020", "not a province code"),
    ],
)
def test_a_pin_that_cannot_be_one_is_refused(pin, sex, birth, expected):
    data = with_party(event_input("birth"), "subject", pin=pin, sex=sex, birth_date=birth)
    assert expected in " ".join(errors_of(data, "birth")["party.subject.pin"])


@pytest.mark.parametrize(
    ("pin", "sex", "birth", "expected"),
    [
        ("001320001234", 1, "02/03/2020", "says Female (digit 4 is 3) but the sex entered is Male"),
        ("001219001234", 1, "02/03/2020", "says born in 2019 (digits 4–6), the date of birth says 2020"),
        ("001020001234", 1, "02/03/2020", "says born in 1920"),
    ],
)
def test_a_pin_that_disagrees_with_sex_century_or_birth_year_is_a_warning(pin, sex, birth, expected):
    data = with_party(event_input("birth"), "subject", pin=pin, sex=sex, birth_date=birth)
    assert expected in " ".join(warnings_of(data, "birth")["party.subject.pin"])


def test_a_consistent_pin_is_kept_and_spaces_are_removed():
    data = with_party(event_input("birth"), "subject", pin="001 220 001234", sex=1)
    clean = clean_record_input(data, event_type="birth", book_year=2020)
    assert clean.parties[0].pin == "001220001234"


def test_names_are_kept_as_written_in_nfc_with_spaces_folded():
    data = with_party(event_input("birth"), "subject", full_name="  Nguye\u0302\u0303n   Thị\tHoà ")
    clean = clean_record_input(data, event_type="birth", book_year=2020)
    assert clean.parties[0].full_name == "Nguyễn Thị Hoà"  # NFC, old tone placement kept as written


def test_control_characters_and_zero_width_characters_are_refused():
    data = with_party(
        event_input("birth"), "subject", full_name="Nguyễn\u200b Văn An", birth_place="Xã\x07 An"
    )
    errors = errors_of(data, "birth")
    assert "invisible control characters" in errors["party.subject.full_name"][0]
    assert "control characters" in errors["party.subject.birth_place"][0]


def test_legacy_and_mixed_encodings_are_refused_with_the_unicode_reading():
    data = with_party(event_input("birth"), "subject", full_name="NguyÔn V¨n An")
    message = errors_of(data, "birth")["party.subject.full_name"][0]
    assert "TCVN3 (ABC)" in message and "“Nguyễn Văn An”" in message
    data = with_party(event_input("birth"), "subject", full_name="Nguyễn V¨n An")
    assert "part in Unicode" in errors_of(data, "birth")["party.subject.full_name"][0]


def test_fields_the_type_does_not_have_are_refused():
    data = event_input("birth", event_date="01/03/2020", details={"notice_no": "1"})
    data.text = {**data.text, "event_cause": "Bệnh"}
    data.parties["husband"] = {"full_name": "Trần Văn Hùng"}
    errors = errors_of(data, "birth")
    assert "no separate event date" in errors["event_date"][0]
    assert "has no field" in errors["details.notice_no"][0]
    assert "Cause" in errors["event_cause"][0]
    assert "has no “Husband”" in errors["party.husband"][0]


def test_a_role_cannot_contradict_its_sex_and_choices_come_from_the_list():
    data = with_party(event_input("birth"), "mother", sex=1)
    assert "mother is entered as male" in errors_of(data, "birth")["party.mother.sex"][0]
    data = event_input("amendment", details={"kind": "rename"})
    assert "from the list" in errors_of(data, "amendment")["details.kind"][0]


def test_refused_data_leaves_nothing_half_saved(world):
    record = world.record("scanned")
    before = (record.version, record.state)
    data = with_party(event_input("birth"), "mother", full_name="<b>Bình</b>")
    with pytest.raises(ValidationError):
        wf.record_enter(record=record, actor=world.clerk, data=data)
    record.refresh_from_db()
    assert (record.version, record.state) == before
    assert not Party.objects.filter(record=record).exists()
    assert not AuditEvent.objects.filter(record_id_value=record.pk, action="enter").exists()
