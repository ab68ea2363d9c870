"""Saving the entry form with a record's current values changes nothing, for every event type:
a field that is not on the form (the death declarant's sex, a parent's PIN from the data centre)
keeps its value."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from forms.entry import RecordForm
from registry.models import EventType, Party
from registry.record_data import record_input_from
from tests.factories import event_input


def form_post(record) -> dict:
    form = RecordForm(event_type=record.event_type)
    initial = RecordForm.initial_from(record_input_from(record))
    data = {k: ("" if v is None else v) for k, v in initial.items() if k in form.fields}
    return {**data, "version": record.version}


def party_values(record) -> dict:
    return {p.role: {f.name: getattr(p, f.name) for f in Party._meta.fields} for p in record.parties.all()}


@pytest.mark.parametrize("event_type", [t.value for t in EventType])
def test_saving_the_form_unchanged_writes_nothing(world, event_type):
    record = world.record("entered", data=event_input(event_type), event_type=event_type)
    # Values that reached the record another way (import, data-centre reconciliation) and that this
    # type's form does not show: every person gets a sex and an id document the form may not have.
    form_fields = RecordForm(event_type=event_type).fields
    for party in record.parties.all():
        for name, value in (("sex", 1 if party.sex == 0 else party.sex), ("id_document", "CMND 012345678")):
            if f"{party.role}__{name}" not in form_fields:
                setattr(party, name, value)
        party.save()
    record.refresh_from_db()
    before = party_values(record)
    edits = AuditEvent.objects.filter(record_id_value=record.pk, action="edit").count()
    client = Client()
    client.force_login(world.clerk)

    response = client.post(reverse("record_enter", args=[record.pk]), form_post(record))

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    record.refresh_from_db()
    assert party_values(record) == before
    assert AuditEvent.objects.filter(record_id_value=record.pk, action="edit").count() == edits


def test_the_death_declarants_sex_survives_an_unchanged_save(world):
    record = world.record("entered", data=event_input("death"), event_type="death")
    Party.objects.filter(record=record, role="declarant").update(sex=1)
    record.refresh_from_db()
    client = Client()
    client.force_login(world.clerk)

    client.post(reverse("record_enter", args=[record.pk]), form_post(record))

    assert record.parties.get(role="declarant").sex == 1
    assert not AuditEvent.objects.filter(
        record_id_value=record.pk, action="edit", changes__has_key="party.declarant.sex"
    ).exists()


def test_every_event_type_of_the_vocabulary_is_covered():
    from registry.event_fields import EVENT_SPECS

    assert {str(t) for t in EVENT_SPECS} == {t.value for t in EventType}


@pytest.mark.parametrize("event_type", [t.value for t in EventType])
def test_amending_with_the_form_unchanged_writes_no_data(world, event_type):
    # given an approved record carrying values its form does not show
    record = world.record("approved", data=event_input(event_type), event_type=event_type)
    form_fields = RecordForm(event_type=event_type).fields
    for party in record.parties.all():
        if f"{party.role}__id_document" not in form_fields:
            party.id_document = "CMND 012345678"
            party.save()
    record.refresh_from_db()
    before = party_values(record)
    client = Client()
    client.force_login(world.reviewer)  # may amend (amend_record)

    # when a reviewer saves the amendment form as it stands, with a reason
    response = client.post(
        reverse("record_enter", args=[record.pk]), {**form_post(record), "submit": "", "reason": "Kiểm tra"}
    )

    # then the record goes back to review but no value changed
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    record.refresh_from_db()
    assert record.state == "attached"
    assert party_values(record) == before
    amend = AuditEvent.objects.get(record_id_value=record.pk, action="amend")
    assert set(amend.changes) == {"state"}
