"""A transferred record that is amended goes to the national database again, as an amendment of
the version it holds, exactly once however often the sending is retried (issue 16, item 6)."""

import json
import sqlite3

from django.utils import timezone

from tests.factories import birth_input
from transfer.models import TransferItem
from transfer.services import transfer_send_batch
from workflows import services as wf


def stored_payloads(receiver) -> list[dict]:
    with sqlite3.connect(receiver.receiver.db_path) as db:
        return [json.loads(p) for (p,) in db.execute("SELECT payload FROM records ORDER BY rowid")]


def test_an_amendment_of_a_transferred_record_is_sent_once_as_an_amendment(world, receiver, adapter):
    # given a record the national database acknowledged
    record = world.record("approved")
    assert transfer_send_batch(adapter=adapter).acknowledged == 1
    record.refresh_from_db()
    first_receipt = TransferItem.objects.get(record=record, status="acknowledged").receipt
    assert record.state == "transferred"

    # when a reviewer amends it and others review and approve the change
    wf.record_amend(
        record=record, actor=world.reviewer, data=birth_input(name="Nguyễn Văn Sửa"), reason="QĐ 9"
    )
    wf.record_review(record=record, actor=world.reviewer_d1)
    wf.record_approve(record=record, actor=world.approver)
    record.refresh_from_db()
    item = TransferItem.objects.get(record=record, status="pending")
    assert item.version == record.version

    # and the first sending is stored but its acknowledgement lost, then retried
    receiver.receiver.control({"mode": "store_then_500"})
    assert transfer_send_batch(adapter=adapter).retried == 1
    receiver.receiver.control({"mode": "ok"})
    TransferItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert transfer_send_batch(adapter=adapter).acknowledged == 1
    assert transfer_send_batch(adapter=adapter).claimed == 0  # nothing left to send

    # then the receiver holds the amendment once, marked as amending the first version
    payloads = stored_payloads(receiver)
    assert [p["version"] for p in payloads] == [item.version - 4, item.version]
    amendment = payloads[1]
    assert (amendment["kind"], amendment["amends"], amendment["amendmentReason"]) == (
        "amendment",
        first_receipt,
        "QĐ 9",
    )
    assert amendment["data"]["nksHoTen"] == "Nguyễn Văn Sửa"
    assert payloads[0]["kind"] == "registration"
    assert receiver.receiver.state()["deliveries"] == 3
    record.refresh_from_db()
    assert record.state == "transferred"
