"""Each register writes its own items about each person (Circular 04/2020/TT-BTP forms): the form
offers only those, and a value for any other item is refused, whoever sends it."""

import copy

import pytest
from django.core.exceptions import ValidationError

from forms.entry import RecordForm
from registry.event_fields import EVENT_SPECS, ROLE_SEX
from registry.record_data import PARTY_INPUT_FIELDS, clean_record_input
from tests.factories import event_input

VALUES = {"sex": 1, "birth_date": "1970", "pin": "001070123456", "full_name": "Nguyễn Văn An"}
NOT_WRITTEN = [
    (event_type, role, name)
    for event_type, spec in EVENT_SPECS.items()
    for role, written in spec.parties.items()
    for name in PARTY_INPUT_FIELDS
    if name not in written and not (name == "sex" and role in ROLE_SEX)
]


@pytest.mark.parametrize(("event_type", "role", "name"), NOT_WRITTEN, ids=["-".join(c) for c in NOT_WRITTEN])
def test_a_value_the_register_does_not_write_is_refused_and_not_offered(event_type, role, name):
    data = copy.deepcopy(event_input(event_type))
    data.parties[role] = {
        **data.parties.get(role, {"full_name": "Lê Văn Tư"}),
        name: VALUES.get(name, "Xã An"),
    }

    with pytest.raises(ValidationError) as info:
        clean_record_input(data, event_type=event_type, book_year=2020)

    assert "register does not write" in " ".join(info.value.message_dict[f"party.{role}.{name}"])
    assert f"{role}__{name}" not in RecordForm(event_type=event_type).fields


@pytest.mark.parametrize(
    ("event_type", "role", "written", "not_written"),
    [
        (
            "birth",
            "mother",
            {"full_name", "birth_date", "ethnicity", "nationality", "residence"},
            {"pin", "sex"},
        ),
        (
            "birth",
            "father",
            {"full_name", "birth_date", "ethnicity", "nationality", "residence"},
            {"pin", "hometown"},
        ),
        (
            "birth",
            "subject",
            {"full_name", "sex", "birth_date", "birth_place", "hometown", "pin"},
            {"residence"},
        ),
        ("death", "declarant", {"full_name", "id_document"}, {"sex", "birth_date", "pin"}),
        ("death", "deceased", {"full_name", "sex", "birth_date", "residence", "pin"}, {"birth_place"}),
        (
            "parentage",
            "parent",
            {"full_name", "birth_date", "residence", "id_document"},
            {"sex", "birth_place"},
        ),
        ("amendment", "requester", {"full_name", "residence", "id_document"}, {"birth_date", "pin"}),
    ],
)
def test_what_each_register_writes_about_a_person(event_type, role, written, not_written):
    items = set(EVENT_SPECS[event_type].parties[role])
    assert written <= items and not (not_written & items)


def test_the_sex_a_role_implies_and_no_information_are_not_values():
    data = copy.deepcopy(event_input("death"))
    data.parties["declarant"] = {**data.parties["declarant"], "sex": 0, "birth_date": "", "pin": ""}
    data.parties["mother"] = {}
    clean_record_input(data, event_type="death", book_year=2020)
    birth = copy.deepcopy(event_input("birth"))
    assert birth.parties["mother"]["sex"] == 2  # the mother is a woman: implied, not refused
    clean_record_input(birth, event_type="birth", book_year=2020)
