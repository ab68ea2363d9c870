"""Least privilege for contractor staff (issue 22, finding 8): they see only the cases of the work
they hold, only while they hold it; no record search; PINs masked; every case they open logged."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from permissions.roles import Role
from permissions.scoping import assigned_work_q, records_visible_to
from registry.models import CivilRecord
from tests.factories import birth_input, make_user
from workflows import claims
from workflows import services as wf
from workflows.models import RecordTask

PIN = "001320123456"


@pytest.fixture
def contractor(world):
    return make_user("contractor_a", Role.CONTRACTOR, world.commune_a)


def login(user):
    client = Client()
    client.force_login(user)
    return client


def held_case(world, contractor):
    """A case of commune A whose data entry the contractor claimed and did (attaching stays theirs)."""
    record = world.book(cases=1).records.get()
    world.walk(record, "scanned")
    claims.task_claim(
        task=RecordTask.objects.get(record=record, stage="enter", status="NEW"), actor=contractor
    )
    wf.record_enter(record=record, actor=contractor, data=birth_input(pin=PIN, sex=2))
    record.refresh_from_db()
    assert RecordTask.objects.get(record=record, stage="attach", status="ASSIGNED").owner == contractor
    return record


def test_a_record_of_their_commune_they_do_not_hold_is_not_found(world, contractor):
    other = world.record("approved", data=birth_input(pin=PIN, sex=2))
    client = login(contractor)
    for url in (
        reverse("record_detail", args=[other.pk]),
        reverse("api_record_detail", args=[other.pk]),
        reverse("record_enter", args=[other.pk]),
        reverse("record_duplicates", args=[other.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert not records_visible_to(contractor).filter(pk=other.pk).exists()
    assert AuditEvent.objects.filter(record_id_value=other.pk, action="denied", actor=contractor).exists()
    # while a clerk of the same commune sees it
    assert login(world.clerk).get(reverse("record_detail", args=[other.pk])).status_code == 200


def test_no_record_search_and_the_list_holds_only_their_work(world, contractor):
    other = world.record("entered")
    mine = held_case(world, contractor)
    client = login(contractor)
    assert client.get(reverse("record_search"), {"name": "Nguyen"}).status_code == 404
    assert client.get(reverse("record_search_json"), {"name": "Nguyen"}).status_code == 404
    page = client.get(reverse("record_list")).content.decode()
    assert reverse("record_detail", args=[mine.pk]) in page
    assert reverse("record_detail", args=[other.pk]) not in page


def test_the_case_they_hold_shows_masked_pins_and_each_view_is_logged(world, contractor):
    record = held_case(world, contractor)
    client = login(contractor)
    page = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert PIN not in page and "•••••••••456" in page
    api = client.get(reverse("api_record_detail", args=[record.pk])).json()
    assert [p["pin"] for p in api["parties"] if p["role"] == "subject"] == ["•••••••••456"]
    views = AuditEvent.objects.filter(
        record_id_value=record.pk, kind="access", action="view_record", actor=contractor
    )
    assert views.filter(changes__via="assigned work").count() == 2
    # the clerk of the commune sees the PIN in full
    assert PIN in login(world.clerk).get(reverse("record_detail", args=[record.pk])).content.decode()


def test_only_while_assigned(world, contractor):
    record = held_case(world, contractor)
    assert CivilRecord.objects.filter(assigned_work_q(contractor), pk=record.pk).exists()
    wf.record_attach(record=record, actor=contractor)  # the work is done: the review is someone else's
    assert login(contractor).get(reverse("record_detail", args=[record.pk])).status_code == 404
