"""The entry screen with an implausible value: the warning beside the field with a box "as written in
the book"; ticked, the save goes through; the reviewer, the approver and the record page show it."""

import dataclasses
import re

from django.urls import reverse

from registry.models import CivilRecord
from tests.factories import birth_input
from workflows import services as wf
from workflows.models import RecordTask


def entry_post(record, **changes) -> dict:
    post = {
        "version": record.version,
        "registration_date": "10/03/2020",
        "registration_type": "1",
        "subject__full_name": "Nguyễn Văn An",
        "subject__sex": "1",
        "subject__birth_date": "02/03/2020",
        "mother__full_name": "Trần Thị Bình",
        "mother__birth_date": "1958",
        "father__full_name": "Nguyễn Văn Dũng",
        "father__birth_date": "1990",
        "submit": "1",
    }
    post.update(changes)
    return post


def test_an_unconfirmed_warning_is_refused_beside_its_field_with_the_box_and_saved_once_ticked(world, client):
    record = world.record("scanned")
    client.force_login(world.clerk)
    url = reverse("record_enter", args=[record.pk])

    # when the clerk enters a mother aged 61 without confirming it
    refused = client.post(url, entry_post(record))

    # then nothing is saved; the warning is on the field, with the box that confirms the value shown
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "years old when the child was born" in html
    box = re.search(r'<input type="checkbox" name="ok__mother__birth_date"[^>]*>', html).group(0)
    assert 'value="1958"' in box and "checked" not in box
    assert "as written in the book" in html
    record.refresh_from_db()
    assert record.state == "scanned"

    # when the clerk ticks "as written in the book", the case is saved with the confirmation
    saved = client.post(url, entry_post(record, ok__mother__birth_date="1958"))
    assert saved.status_code == 302
    record.refresh_from_db()
    assert record.state == "entered" and record.as_written == ["party.mother.birth_date"]


def test_the_box_says_dung_nhu_trong_so_in_vietnamese(world, client, vietnamese):
    record = world.record("scanned")
    client.force_login(world.clerk)
    html = client.post(reverse("record_enter", args=[record.pk]), entry_post(record)).content.decode()
    assert "Đúng như trong sổ" in html


def test_a_confirmation_of_an_older_value_does_not_confirm_a_new_one(world, client):
    record = world.record("scanned")
    client.force_login(world.clerk)
    url = reverse("record_enter", args=[record.pk])
    client.post(url, entry_post(record, ok__mother__birth_date="1958"))
    record.refresh_from_db()

    # the form shows the confirmation ticked for the stored value
    shown = client.get(url).content.decode()
    assert re.search(r'name="ok__mother__birth_date" [^>]*value="1958" checked', shown)

    # the clerk changes the year to another implausible one; the box still carries 1958
    refused = client.post(
        url, entry_post(record, mother__birth_date="1950", ok__mother__birth_date="1958", submit="")
    )
    assert refused.status_code == 200 and "years old when the child was born" in refused.content.decode()
    record.refresh_from_db()
    assert record.as_written == ["party.mother.birth_date"]
    assert record.parties.get(role="mother").birth_year == 1958


def confirmed_record(world, state: str) -> CivilRecord:
    data = dataclasses.replace(
        birth_input(), as_written=("party.mother.birth_date",), parties={**birth_input().parties}
    )
    data.parties["mother"] = {**data.parties["mother"], "birth_date": "1958"}
    return world.record(state, data=data)


def test_the_reviewer_and_the_approver_see_the_confirmed_field_highlighted(world, client):
    record = confirmed_record(world, "attached")
    client.force_login(world.reviewer)
    task = RecordTask.objects.get(record=record, stage="review")
    html = client.get(f"/work/tasks/{task.pk}/").content.decode()
    row = re.search(r'<tr class="as-written">.*?</tr>', html, re.S).group(0)
    assert "1958" in row and "as written in the book" in row and "remark:mother.birth_date" in row

    wf.record_review(record=record, actor=world.reviewer)
    client.force_login(world.approver)
    task = RecordTask.objects.get(record=record, stage="approve")
    html = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert re.search(r'<tr class="as-written">.*?1958.*?</tr>', html, re.S)


def test_the_record_page_lists_the_confirmation_and_its_audit_row(world, client):
    record = confirmed_record(world, "entered")
    client.force_login(world.reviewer)
    html = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    notice = re.search(r'<div class="notice as-written-list".*?</div>', html, re.S).group(0)
    assert "Mother: Date of birth" in notice
    history = html[html.index('id="history"') :]
    assert "Confirmed as written in the book" in history and "Mother: Date of birth" in history
