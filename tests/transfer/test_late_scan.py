"""A late scan on the way out: sent with the approved record, or once as an update of a transferred one."""

import json

from django.utils import timezone

from audit.models import AuditEvent
from scans.models import current_scan
from tests.workflows.test_late_scan import attach_late, open_task
from transfer.models import TransferItem
from transfer.services import transfer_send_batch
from workflows import claims, inbox
from workflows.late_scan import late_scan_check


def _stored(receiver, record):
    """What the reference receiver holds of the record: one payload per key it stored."""
    with receiver.receiver._db() as db:
        rows = db.execute("SELECT key, payload FROM records WHERE record_id = ?", (record.pk,)).fetchall()
    return [{"key": key, "record": json.loads(payload)} for key, payload in rows]


def test_a_late_scan_on_an_approved_record_is_checked_by_a_reviewer_and_sent_with_it(
    world, receiver, adapter
):
    # Given an approved case, its data keyed and approved; its approved version waits in the outbox
    record = world.record("approved")
    version = record.version
    old_scan = current_scan(record.scans.all())

    # When a clerk adds a late scan
    scan = attach_late(world, record)

    # Then the record stays approved with the same data and version, and the new scan is not yet its scan
    record.refresh_from_db()
    assert (record.state, record.version) == ("approved", version)
    assert current_scan(record.scans.all()) == old_scan
    # ... a scan check is in the reviewer's queue, not in the clerk's
    task = open_task(record)
    assert task.stage == "scan_check" and task.excluded_user_id == world.clerk.pk
    assert inbox.queue_for(world.reviewer).filter(pk=task.pk).exists()
    assert not inbox.queue_for(world.clerk).filter(pk=task.pk).exists()

    # When the reviewer claims and passes it
    claims.task_claim(task=task, actor=world.reviewer)
    late_scan_check(record=record, actor=world.reviewer, passed=True)

    # Then the record is still approved, nothing re-keyed or re-approved, and the scan is its scan
    record.refresh_from_db()
    assert record.state == "approved" and record.approved_by == world.approver
    assert current_scan(record.scans.all()) == scan
    assert AuditEvent.objects.filter(record_id_value=record.pk, action="scan_check_pass").count() == 1
    steps = AuditEvent.objects.filter(record_id_value=record.pk, action__in=["enter", "review", "approve"])
    assert sorted(steps.values_list("action", flat=True)) == ["approve", "enter", "review"]  # each once
    # ... and the transfer sends the record once, with the late scan in it
    assert transfer_send_batch(adapter=adapter).acknowledged == 1
    record.refresh_from_db()
    assert record.state == "transferred"
    (stored,) = _stored(receiver, record)
    assert stored["record"]["version"] == record.version - 1  # the check's version; transfer adds one
    assert stored["record"]["scan"]["sha256"] == scan.sha256
    with scan.file.open("rb") as handle:
        assert receiver.receiver.scan_content(stored["key"]) == handle.read()
    assert transfer_send_batch(adapter=adapter).claimed == 0


def test_a_late_scan_on_a_transferred_record_is_sent_once_as_an_update(world, receiver, adapter):
    # Given a case transferred without a scan the national database could use
    record = world.record("approved")
    transfer_send_batch(adapter=adapter)
    record.refresh_from_db()
    assert record.state == "transferred"
    scan = attach_late(world, record)
    task = open_task(record)
    claims.task_claim(task=task, actor=world.reviewer)

    # When the check passes
    late_scan_check(record=record, actor=world.reviewer, passed=True)

    # Then the record stays transferred and the scan waits in the outbox as an update of it
    record.refresh_from_db()
    assert record.state == "transferred"
    item = TransferItem.objects.get(record=record, status="pending")
    assert (item.kind, item.scan_id) == ("scan", scan.pk)
    assert item.idempotency_key == f"civreg-{record.pk}-scan-{scan.pk}"

    # When the first send's answer is lost and it is sent again
    receiver.receiver.control({"mode": "store_then_500"})
    assert transfer_send_batch(adapter=adapter).retried == 1
    receiver.receiver.control({"mode": "ok"})
    TransferItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert transfer_send_batch(adapter=adapter).acknowledged == 1

    # Then the receiver holds the scan update exactly once, and the record is still transferred
    updates = [r for r in _stored(receiver, record) if r["record"].get("update") == "scan"]
    assert len(updates) == 1 and updates[0]["record"]["scan"]["sha256"] == scan.sha256
    # ... with the scan file itself, byte-identical
    with scan.file.open("rb") as handle:
        assert receiver.receiver.scan_content(item.idempotency_key) == handle.read()
    item.refresh_from_db()
    record.refresh_from_db()
    assert item.status == "acknowledged" and record.state == "transferred"
    assert transfer_send_batch(adapter=adapter).claimed == 0
