"""Every field of every event type survives every path that saves it: the record page, the work
screen, and the fix after a return. What is saved reads back exactly as it was typed."""

import pytest

from audit.models import AuditEvent
from forms.entry import RecordForm
from registry.event_fields import ROLE_SEX
from registry.models import EventType, Party
from registry.record_data import record_input_from
from tests.factories import event_input
from workflows import claims
from workflows import services as wf
from workflows.models import RecordTask


def typed(event_type: str) -> dict[str, str]:
    """The form as a clerk fills it for a full case of this type (every field the factory knows)."""
    initial = RecordForm.initial_from(event_input(event_type))
    form = RecordForm(event_type=event_type)
    return {name: "" if initial.get(name) is None else str(initial.get(name)) for name in form.fields}


def read_back(record) -> dict[str, str]:
    record.refresh_from_db()
    initial = RecordForm.initial_from(record_input_from(record))
    form = RecordForm(event_type=record.event_type)
    return {name: "" if initial.get(name) is None else str(initial.get(name)) for name in form.fields}


def post(data: dict[str, str], version: int) -> dict[str, str]:
    filled = {k: v for k, v in data.items() if v not in ("", "False")}
    return {**filled, "version": str(version), "submit": "1"}


@pytest.mark.parametrize("event_type", EventType.values)
def test_the_record_page_saves_every_field(world, client, event_type):
    record = world.record("scanned", event_type=event_type)
    data = typed(event_type)
    client.force_login(world.clerk)
    response = client.post(f"/records/{record.pk}/enter/", post(data, record.version))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert read_back(record) == data


@pytest.mark.parametrize("event_type", EventType.values)
def test_the_work_screen_saves_every_field(world, client, event_type):
    record = world.record("scanned", event_type=event_type)
    task = RecordTask.objects.get(record=record, stage="enter")
    claims.task_claim(task=task, actor=world.clerk)
    data = typed(event_type)
    client.force_login(world.clerk)
    response = client.post(f"/work/tasks/{task.pk}/", post(data, record.version))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert read_back(record) == data


@pytest.mark.parametrize("event_type", [EventType.BIRTH, EventType.DEATH, EventType.MARRIAGE])
def test_the_fix_after_a_return_keeps_every_field_it_does_not_change(world, client, event_type):
    record = world.record("attached", event_type=event_type, data=event_input(event_type))
    before = read_back(record)
    wf.record_return(record=record, actor=world.reviewer, reason="Kiểm tra lại", remarks={})
    task = RecordTask.objects.get(record=record, stage="enter", status__in=["NEW", "ASSIGNED"])
    claims.task_claim(task=task, actor=world.clerk)
    client.force_login(world.clerk)
    # the clerk opens the returned case and saves it as the form shows it
    page = client.get(f"/work/tasks/{task.pk}/")
    assert page.status_code == 200
    record.refresh_from_db()
    response = client.post(f"/work/tasks/{task.pk}/", post(before, record.version))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert read_back(record) == before


@pytest.mark.parametrize("event_type", EventType.values)
def test_saving_a_form_unchanged_changes_nothing(world, client, event_type):
    # given an entered case whose people carry values the form does not show (e.g. from an import)
    record = world.record("entered", event_type=event_type, data=event_input(event_type))
    Party.objects.filter(record=record).exclude(role__in=list(ROLE_SEX)).update(sex=1)
    stored = {p.role: (p.sex, p.full_name) for p in record.parties.all()}
    edits = AuditEvent.objects.filter(record_id_value=record.pk, action="edit").count()

    # when the clerk saves the form as it is shown
    client.force_login(world.clerk)
    shown = read_back(record)
    record.refresh_from_db()
    response = client.post(f"/records/{record.pk}/enter/", post(shown, record.version))
    assert response.status_code == 302, response.content.decode()[:2000]

    # then nothing changed, and no change was written to the audit trail
    assert {p.role: (p.sex, p.full_name) for p in record.parties.all()} == stored
    assert AuditEvent.objects.filter(record_id_value=record.pk, action="edit").count() == edits
