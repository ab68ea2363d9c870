"""A case is marked entered only with its required fields, or with the clerk's word that the book has none."""

import dataclasses

import pytest
from django.core.exceptions import ValidationError

from registry.models import EventType
from tests.factories import birth_input, event_input
from workflows import services as wf


def nameless_birth():
    data = birth_input()
    parties = {**data.parties, "subject": {**data.parties["subject"], "full_name": ""}}
    return dataclasses.replace(data, parties=parties)


def test_a_birth_without_the_childs_name_is_not_entered(world):
    record = world.record("scanned")
    with pytest.raises(ValidationError) as refused:
        wf.record_enter(record=record, actor=world.clerk, data=nameless_birth())
    assert "party.subject.full_name" in refused.value.message_dict
    assert "not in the book" in refused.value.message_dict["party.subject.full_name"][0]
    record.refresh_from_db()
    assert record.state == "scanned"


def test_a_draft_may_still_lack_it(world):
    record = world.record("scanned")
    wf.record_data_save(record=record, actor=world.clerk, data=nameless_birth())
    record.refresh_from_db()
    assert record.state == "scanned"


def test_the_clerks_word_that_the_book_has_no_name_is_kept_and_audited(world):
    record = world.record("scanned")
    data = dataclasses.replace(nameless_birth(), not_in_book=("party.subject.full_name",))
    wf.record_enter(record=record, actor=world.clerk, data=data)
    record.refresh_from_db()
    assert record.state == "entered"
    assert record.not_in_book == ["party.subject.full_name"]
    change = record_changes(record, "enter")
    assert change["not_in_book"] == [[], ["party.subject.full_name"]]


@pytest.mark.parametrize("event_type", EventType.values)
def test_every_event_type_with_its_required_fields_is_entered(world, event_type):
    record = world.record("entered", event_type=event_type, data=event_input(event_type))
    assert record.state == "entered"


def record_changes(record, action):
    from audit.models import AuditEvent

    return AuditEvent.objects.filter(record_id_value=record.pk, action=action).latest("seq").changes
