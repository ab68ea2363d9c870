"""The 12-hour rule: records approved but not transferred in time, with the reason."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import CivilRecord
from transfer.adapters import HttpJsonAdapter
from transfer.models import TransferItem
from transfer.selectors import overdue_transfers, transfer_counts
from transfer.services import transfer_send_batch


def approved_hours_ago(world, hours):
    record = world.record("approved")
    CivilRecord.objects.filter(pk=record.pk).update(approved_at=timezone.now() - dt.timedelta(hours=hours))
    return record


def test_records_approved_more_than_12_hours_ago_are_listed_with_the_last_error(world):
    late = approved_hours_ago(world, 13)
    approved_hours_ago(world, 1)
    transfer_send_batch(adapter=HttpJsonAdapter("http://127.0.0.1:9", timeout=1))
    rows = list(overdue_transfers(world.approver))
    assert [r.pk for r in rows] == [late.pk]
    assert "cannot be reached" in rows[0].last_error and rows[0].attempts == 1
    assert overdue_transfers(world.approver_b).count() == 0
    counts = transfer_counts(world.admin)
    assert (counts["waiting"], counts["overdue"]) == (2, 1)


def test_the_deadline_is_a_setting(world, settings):
    approved_hours_ago(world, 3)
    settings.TRANSFER_DEADLINE_HOURS = 2
    assert overdue_transfers(world.admin).count() == 1


def test_the_transfer_page_shows_the_reason_and_its_queries_do_not_grow_with_the_list(world, client):
    approved_hours_ago(world, 20)
    TransferItem.objects.update(last_error="HTTP 503 from the national database: maintenance")
    client.force_login(world.approver)
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("transfer_overview")).content.decode()
    assert "HTTP 503 from the national database: maintenance" in page
    for _ in range(4):
        approved_hours_ago(world, 20)
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("transfer_overview"))
    assert len(five) == len(one)


def test_a_record_never_attempted_says_to_check_the_worker(world, client):
    approved_hours_ago(world, 13)
    client.force_login(world.admin)
    page = client.get(reverse("transfer_overview")).content.decode()
    assert "Not attempted yet: check that the transfer worker" in page


def test_retry_now_makes_waiting_records_due(world, client):
    record = approved_hours_ago(world, 13)
    TransferItem.objects.filter(record=record).update(next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    client.force_login(world.approver)
    client.post(reverse("transfer_retry"))
    assert TransferItem.objects.get(record=record).next_attempt_at <= timezone.now()
