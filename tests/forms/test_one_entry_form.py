"""One entry form for every path: the work screen and the record page ask for the same fields."""

import re

import pytest

from registry.models import EventType
from tests.factories import event_input
from workflows import claims
from workflows.models import RecordTask

IGNORED = {"csrfmiddlewaretoken", "version", "reclaim", "reason"}


def data_fields(names: set[str]) -> set[str]:
    """The data fields, without the 'not in the book' boxes that go with required ones."""
    return {n for n in names if not n.startswith("nib__")}


def entry_field_names(html: str) -> set[str]:
    match = re.search(r'<form[^>]*id="entry-form".*?</form>', html, re.S)
    assert match is not None, "no entry form on the page"
    form = match.group(0)
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', form)) - IGNORED


@pytest.mark.parametrize("event_type", EventType.values)
def test_the_work_screen_and_the_record_page_show_every_field_of_the_event_type(world, client, event_type):
    # given a scanned case of this type, claimed by the clerk
    record = world.record("scanned", event_type=event_type)
    task = RecordTask.objects.get(record=record, stage="enter")
    claims.task_claim(task=task, actor=world.clerk)
    client.force_login(world.clerk)

    # when the clerk opens it from the queue and from the record page
    from_queue = entry_field_names(client.get(f"/work/tasks/{task.pk}/").content.decode())
    from_record = entry_field_names(client.get(f"/records/{record.pk}/enter/").content.decode())

    # then both forms have the same fields, with the autosave and duplicate panel on both
    assert from_queue == from_record
    assert "registration_date" in from_queue
    if event_type == EventType.DEATH:
        assert {n for n in from_queue if n.startswith("declarant__")}, "the declarant is on the form"


def test_every_error_is_listed_at_the_top_with_a_link_to_its_field(world, client):
    record = world.record("scanned")
    task = RecordTask.objects.get(record=record, stage="enter")
    claims.task_claim(task=task, actor=world.clerk)
    client.force_login(world.clerk)
    response = client.post(
        f"/work/tasks/{task.pk}/",
        {
            "version": record.version,
            "registration_date": "31/02/2020",
            "registration_type": "1",
            "subject__full_name": "Nguyễn Văn A",
            "subject__birth_date": "45/13/2020",
            "subject__sex": "1",
            "submit": "1",
        },
    )
    html = response.content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'href="#id_registration_date"' in summary and 'href="#id_subject__birth_date"' in summary
    # nothing typed is lost
    assert 'value="Nguyễn Văn A"' in html and 'value="45/13/2020"' in html


@pytest.mark.parametrize("event_type", [EventType.BIRTH, EventType.DEATH, EventType.MARRIAGE])
def test_the_reviewer_can_remark_on_every_field_the_clerk_entered(world, client, event_type):
    record = world.record("attached", event_type=event_type, data=event_input(event_type))
    task = RecordTask.objects.get(record=record, stage="review")
    client.force_login(world.reviewer)
    review = client.get(f"/work/tasks/{task.pk}/").content.decode()
    remarkable = {k.replace(".", "__") for k in re.findall(r'name="remark:([^"]+)"', review)}

    record_scanned = world.record("scanned", event_type=event_type)
    client.force_login(world.clerk)
    entry = entry_field_names(client.get(f"/records/{record_scanned.pk}/enter/").content.decode())
    assert remarkable == data_fields(entry)


def test_the_form_marks_required_fields_and_takes_the_not_in_the_book_box(world, client):
    record = world.record("scanned")
    client.force_login(world.clerk)
    html = client.get(f"/records/{record.pk}/enter/").content.decode()
    assert 'name="subject__full_name"' in html and 'aria-required="true"' in html
    assert 'name="nib__subject__full_name"' in html
    post = {
        "version": record.version,
        "registration_date": "10/03/2020",
        "registration_type": "1",
        "subject__full_name": "",
        "nib__subject__full_name": "on",
        "subject__birth_date": "02/03/2020",
        "submit": "1",
    }
    response = client.post(f"/records/{record.pk}/enter/", post)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "entered" and record.not_in_book == ["party.subject.full_name"]
