"""The outbox: approval enqueues in its transaction; batches, acknowledgements, retries, rejections."""

import dataclasses
import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import birth_input
from transfer.adapters import HttpJsonAdapter
from transfer.models import TransferItem
from transfer.services import transfer_send_batch
from workflows import services as wf


def test_approving_puts_the_record_version_in_the_outbox(world):
    record = world.record("approved")
    item = TransferItem.objects.get(record=record)
    assert (item.status, item.version) == ("pending", record.version)
    assert item.idempotency_key == f"civreg-{record.pk}-v{record.version}"


def test_an_approval_that_rolls_back_leaves_nothing_in_the_outbox(world):
    record = world.record("reviewed")
    with pytest.raises(RuntimeError), transaction.atomic():
        wf.record_approve(record=record, actor=world.approver)
        raise RuntimeError("the request failed after approving")
    record.refresh_from_db()
    assert record.state == "reviewed"
    assert not TransferItem.objects.filter(record=record).exists()


def test_a_batch_is_acknowledged_and_the_records_are_transferred_once(world, receiver, adapter):
    records = [world.record("approved") for _ in range(3)]
    report = transfer_send_batch(adapter=adapter)
    assert (report.claimed, report.acknowledged) == (3, 3)
    for record in records:
        record.refresh_from_db()
        assert record.state == "transferred"
        assert record.transferred_at is not None
        event = AuditEvent.objects.get(record_id_value=record.pk, action="transfer")
        assert event.changes["receipt"] == f"QG-civreg-{record.pk}-v{record.version - 1}"
    stored = receiver.receiver.state()["records"]
    assert sorted(r["recordId"] for r in stored) == sorted(r.pk for r in records)
    assert transfer_send_batch(adapter=adapter).claimed == 0


def test_a_lost_acknowledgement_is_sent_again_and_answered_as_duplicate(world, receiver, adapter):
    record = world.record("approved")
    receiver.receiver.control({"mode": "store_then_500"})
    report = transfer_send_batch(adapter=adapter)
    assert (report.retried, report.acknowledged) == (1, 0)
    item = TransferItem.objects.get(record=record)
    assert item.status == "pending" and "HTTP 500" in item.last_error
    assert item.next_attempt_at > timezone.now()

    receiver.receiver.control({"mode": "ok"})
    TransferItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert transfer_send_batch(adapter=adapter).acknowledged == 1
    record.refresh_from_db()
    assert record.state == "transferred"
    state = receiver.receiver.state()
    assert len(state["records"]) == 1 and state["deliveries"] == 2


def test_500s_keep_the_item_waiting_with_growing_backoff(world, receiver, adapter, settings):
    settings.TRANSFER_RETRY_BASE_SECONDS = 10
    record = world.record("approved")
    receiver.receiver.control({"mode": "fail500"})
    delays = []
    for _ in range(3):
        TransferItem.objects.filter(record=record).update(next_attempt_at=timezone.now())
        before = timezone.now()
        transfer_send_batch(adapter=adapter)
        item = TransferItem.objects.get(record=record)
        delays.append((item.next_attempt_at - before).total_seconds())
    assert item.attempts == 3 and item.status == "pending"
    assert 5 <= delays[0] <= 10.5 and 20 <= delays[2] <= 40.5
    record.refresh_from_db()
    assert record.state == "approved"
    assert receiver.receiver.state()["records"] == []


def test_a_receiver_that_does_not_answer_in_time_is_retried(world, receiver):
    record = world.record("approved")
    receiver.receiver.control({"mode": "slow", "delay": 1.5})
    transfer_send_batch(adapter=HttpJsonAdapter(receiver.url, timeout=0.5))
    item = TransferItem.objects.get(record=record)
    assert "did not answer within 0.5 s" in item.last_error


def test_a_receiver_that_is_down_is_retried(world):
    record = world.record("approved")
    transfer_send_batch(adapter=HttpJsonAdapter("http://127.0.0.1:9", timeout=1))
    item = TransferItem.objects.get(record=record)
    assert item.status == "pending" and "cannot be reached" in item.last_error


def test_a_permanent_rejection_returns_the_record_to_the_approver_with_the_message(world, receiver, adapter):
    # an old book without the registration date: the clerk confirmed "not in the book"
    no_date = dataclasses.replace(birth_input(reg=""), not_in_book=("registration_date",))
    record = world.record("approved", data=no_date)
    report = transfer_send_batch(adapter=adapter)
    assert report.rejected == 1
    record.refresh_from_db()
    assert record.state == "reviewed"
    assert "Thiếu ngày đăng ký (ngayDangKy)" in record.last_reason
    assert record.last_reason.startswith("Refused by the national database")
    item = TransferItem.objects.get(record=record)
    assert item.status == "rejected" and "ngayDangKy" in item.message
    event = AuditEvent.objects.get(record_id_value=record.pk, action="transfer_refused")
    assert "ngayDangKy" in event.reason and event.actor_name == "system"

    # The approver finds it among reviewed records and can approve it again after a fix.
    wf.record_approve(record=record, actor=world.approver)
    record.refresh_from_db()
    assert TransferItem.objects.filter(record=record, status="pending").count() == 1


def test_an_amendment_before_transfer_supersedes_the_waiting_version(world, receiver, adapter):
    record = world.record("approved")
    old_key = TransferItem.objects.get(record=record).idempotency_key
    wf.record_amend(
        record=record, actor=world.admin, data=birth_input(name="Nguyễn Văn Bình"), reason="Sổ ghi khác"
    )
    assert TransferItem.objects.get(idempotency_key=old_key).status == "superseded"
    assert transfer_send_batch(adapter=adapter).claimed == 0
    assert receiver.receiver.state()["records"] == []


def test_an_item_whose_record_changed_while_in_flight_is_not_marked_transferred(world, receiver, adapter):
    record = world.record("approved")
    # The worker claimed the item, then someone returned the record before the answer came.
    wf.record_return(record=record, actor=world.approver, reason="Sai trang số")
    TransferItem.objects.filter(record=record).update(status="pending")  # as if the hook had not run yet
    report = transfer_send_batch(adapter=adapter)
    assert report.superseded == 1
    record.refresh_from_db()
    assert record.state == "scanned"


def test_waiting_items_past_their_claim_are_taken_again(world, receiver, adapter):
    record = world.record("approved")
    TransferItem.objects.filter(record=record).update(
        claimed_until=timezone.now() + dt.timedelta(minutes=5), claim_token="killed-worker"
    )
    assert transfer_send_batch(adapter=adapter).claimed == 0
    TransferItem.objects.filter(record=record).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert transfer_send_batch(adapter=adapter).acknowledged == 1


def test_a_transfer_confirmed_outside_the_worker_settles_the_outbox(world):
    record = world.record("transferred")  # the factory confirms the transfer directly
    item = TransferItem.objects.get(record=record)
    assert item.status == "acknowledged"
