"""Two tiers of checks: the impossible is refused; the implausible (what old books do hold) is a
warning, saved only once the clerk confirms the field "as written in the book", and the
confirmation is dropped when the field's value changes."""

import copy
import dataclasses

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from registry.models import RegistrationType
from registry.partial_dates import parse_partial_date
from registry.record_checks import book_covers
from registry.record_data import AS_WRITTEN, clean_record_input
from tests.factories import birth_input, event_input
from workflows import services as wf


def with_party(data, role, **values):
    data = copy.deepcopy(data)
    data.parties[role] = {**data.parties.get(role, {}), **values}
    return data


# (name, event type, the case, the field warned about, words of the warning); books of 2020.
IMPLAUSIBLE = [
    (
        "registered outside the book's year",
        "birth",
        birth_input(reg="05/01/2021"),
        "registration_date",
        "not in 2020",
    ),
    (
        "mother aged 61",
        "birth",
        with_party(birth_input(), "mother", birth_date="1958"),
        "party.mother.birth_date",
        "years old when the child was born",
    ),
    (
        "mother aged 8",
        "birth",
        with_party(birth_input(), "mother", birth_date="2012"),
        "party.mother.birth_date",
        "years old when the child was born",
    ),
    (
        "father aged 95",
        "birth",
        with_party(birth_input(), "father", birth_date="1925"),
        "party.father.birth_date",
        "years old when the child was born",
    ),
    (
        "adoptive father 7 years older",
        "adoption",
        with_party(event_input("adoption"), "adoptive_father", birth_date="2005"),
        "party.adoptive_father.birth_date",
        "years old when the child was born",
    ),
    (
        "wife aged 13",
        "marriage",
        with_party(event_input("marriage"), "wife", birth_date="2007"),
        "party.wife.birth_date",
        "at the marriage",
    ),
    (
        "husband aged 101",
        "marriage",
        with_party(event_input("marriage"), "husband", birth_date="1918"),
        "party.husband.birth_date",
        "at the marriage",
    ),
    (
        "PIN says another sex",
        "birth",
        birth_input(pin="001320123456", sex=1),
        "party.subject.pin",
        "the sex entered is Male",
    ),
    (
        "PIN says another century",
        "birth",
        birth_input(pin="001020123456", sex=1),
        "party.subject.pin",
        "born in 1920",
    ),
    (
        "PIN says another year",
        "birth",
        birth_input(pin="001219123456", sex=1),
        "party.subject.pin",
        "born in 2019",
    ),
    (
        "birth registered 10 years late",
        "birth",
        birth_input(birth="02/03/2010"),
        "party.subject.birth_date",
        "years after the event",
    ),
    (
        "death registered 8 years late",
        "death",
        event_input("death", event_date="01/03/2012"),
        "event_date",
        "years after the event",
    ),
]
IMPLAUSIBLE_IDS = [case[0] for case in IMPLAUSIBLE]

IMPOSSIBLE = [
    ("31/02", "birth", birth_input(reg="31/02/2020"), "registration_date", "does not exist in the calendar"),
    ("letters in a PIN", "birth", birth_input(pin="0013201234ab"), "party.subject.pin", "exactly 12 digits"),
    (
        "death before the birth",
        "death",
        event_input("death", event_date="01/03/1930"),
        "event_date",
        "before the date of birth",
    ),
    (
        "registered before the birth",
        "birth",
        birth_input(birth="20/03/2020"),
        "party.subject.birth_date",
        "after the registration date",
    ),
    (
        "registered before the death",
        "death",
        event_input("death", event_date="15/03/2020"),
        "event_date",
        "a death is registered after it happens",
    ),
    (
        "registered in the future",
        "birth",
        birth_input(reg="01/01/2999", birth="01/12/2998"),
        "registration_date",
        "in the future",
    ),
]


@pytest.mark.parametrize(
    ("name", "event_type", "data", "key", "words"), IMPOSSIBLE, ids=[case[0] for case in IMPOSSIBLE]
)
def test_the_impossible_is_an_error_that_no_confirmation_lifts(name, event_type, data, key, words):
    confirmed = dataclasses.replace(data, as_written=(key,))
    with pytest.raises(ValidationError) as info:
        clean_record_input(confirmed, event_type=event_type, book_year=2020)
    assert words in " ".join(info.value.message_dict[key])


@pytest.mark.parametrize(("name", "event_type", "data", "key", "words"), IMPLAUSIBLE, ids=IMPLAUSIBLE_IDS)
def test_the_implausible_is_a_warning_on_its_field(name, event_type, data, key, words):
    clean = clean_record_input(data, event_type=event_type, book_year=2020)
    assert words in " ".join(clean.unconfirmed()[key])
    confirmed = clean_record_input(
        dataclasses.replace(data, as_written=(key,)), event_type=event_type, book_year=2020
    )
    assert confirmed.unconfirmed() == {} and confirmed.as_written == (key,)


@pytest.mark.parametrize(("name", "event_type", "data", "key", "words"), IMPLAUSIBLE, ids=IMPLAUSIBLE_IDS)
def test_an_implausible_case_is_saved_only_with_its_fields_confirmation(
    world, name, event_type, data, key, words
):
    # given a scanned case in a book of 2020
    record = world.record("scanned", event_type=event_type)

    # when the clerk enters it without confirming, the save is refused, with the warning on the field
    with pytest.raises(ValidationError) as info:
        wf.record_enter(record=record, actor=world.clerk, data=data)
    refused = info.value.error_dict[key]
    assert refused[0].code == AS_WRITTEN and words in " ".join(refused[0].messages)
    record.refresh_from_db()
    assert record.state == "scanned"

    # when the clerk confirms the field as written in the book, it is saved and the confirmation audited
    wf.record_enter(record=record, actor=world.clerk, data=dataclasses.replace(data, as_written=(key,)))
    record.refresh_from_db()
    assert record.state == "entered" and record.as_written == [key]
    audit = AuditEvent.objects.get(record_id_value=record.pk, action="enter")
    assert audit.changes["as_written"] == [[], [key]]


def test_a_confirmation_is_dropped_when_the_value_is_made_plausible_and_audited(world):
    record = world.record("scanned")
    old_mother = with_party(birth_input(), "mother", birth_date="1958")
    wf.record_enter(
        record=record,
        actor=world.clerk,
        data=dataclasses.replace(old_mother, as_written=("party.mother.birth_date",)),
    )

    # the clerk corrects the mother's year; the old confirmation is sent along but no longer applies
    corrected = dataclasses.replace(
        with_party(old_mother, "mother", birth_date="1990"), as_written=("party.mother.birth_date",)
    )
    wf.record_data_save(record=record, actor=world.clerk, data=corrected)

    record.refresh_from_db()
    assert record.as_written == []
    edit = AuditEvent.objects.filter(record_id_value=record.pk, action="edit").latest("seq")
    assert edit.changes["as_written"] == [["party.mother.birth_date"], []]


def test_a_late_registration_or_re_registration_says_why_it_is_late():
    late = dataclasses.replace(birth_input(birth="02/03/2010"), registration_type=RegistrationType.LATE)
    assert clean_record_input(late, event_type="birth", book_year=2020).warnings == {}
    again = dataclasses.replace(late, registration_type=RegistrationType.REREGISTRATION)
    assert clean_record_input(again, event_type="birth", book_year=2020).warnings == {}


@pytest.mark.parametrize(
    ("years", "date", "covered"),
    [
        ((2020, 2020), "10/03/2020", True),
        ((2020, 2020), "05/01/2021", False),
        ((1998, 1999), "05/01/1999", True),
        ((1998, 1999), "2000", False),
        (None, "1900", True),
        ((2020, 2020), "", True),
    ],
)
def test_one_function_says_whether_a_book_covers_a_date(years, date, covered):
    assert book_covers(years, parse_partial_date(date)) is covered


def test_the_api_names_the_confirmed_fields_as_the_validation_does(world, client):
    data = dataclasses.replace(
        with_party(birth_input(), "mother", birth_date="1958"), as_written=("party.mother.birth_date",)
    )
    record = world.record("entered", data=data)
    client.force_login(world.reviewer)
    answer = client.get(f"/api/records/{record.pk}/").json()
    assert answer["as_written"] == ["party.mother.birth_date"]
