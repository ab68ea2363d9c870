"""A late scan: added to an approved or transferred case, checked by another reviewer, sent once."""

import pytest
from django.core.exceptions import ValidationError

from scans.intake import scan_store_late
from scans.models import current_scan
from tests import scan_samples as samples
from transfer.models import TransferItem
from workflows import claims, inbox
from workflows.claims import ClaimRefused
from workflows.late_scan import late_scan_check
from workflows.machine import TransitionRefused
from workflows.models import RecordTask


def open_task(record):
    return RecordTask.objects.filter(record=record, status__in=["NEW", "ASSIGNED"]).exclude(stage="").get()


def attach_late(world, record, actor=None, label="LATE"):
    return scan_store_late(
        record=record,
        actor=actor or world.clerk,
        content=samples.small_page_pdf(label),
        original_name="late.pdf",
    )


def test_the_check_returns_a_wrong_scan_to_whoever_uploaded_it(world):
    record = world.record("approved")
    old_scan = current_scan(record.scans.all())
    wrong = attach_late(world, record, label="WRONG")
    task = open_task(record)
    claims.task_claim(task=task, actor=world.reviewer)

    # A return needs a reason
    with pytest.raises(TransitionRefused, match="Give a reason"):
        late_scan_check(record=record, actor=world.reviewer, passed=False, reason=" ")

    late_scan_check(record=record, actor=world.reviewer, passed=False, reason="Trang của trường hợp khác")

    # The scan is marked returned and is not the case's scan; the record is untouched
    wrong.refresh_from_db()
    record.refresh_from_db()
    assert wrong.late_check == "returned" and wrong.checked_by == world.reviewer
    assert record.state == "approved" and current_scan(record.scans.all()) == old_scan
    assert not TransferItem.objects.filter(record=record, kind="scan").exists()
    # The upload goes back to the clerk, in "returned to me", with the reviewer's reason
    returned = inbox.returned_for(world.clerk).get(record=record)
    assert returned.stage == "late_scan"
    assert returned.data["return"]["reason"] == "Trang của trường hợp khác"

    # When the clerk uploads the right scan, it goes to a new check
    right = attach_late(world, record, label="RIGHT")
    check = open_task(record)
    assert check.stage == "scan_check" and check.pk != task.pk
    claims.task_claim(task=check, actor=world.reviewer)
    late_scan_check(record=record, actor=world.reviewer, passed=True)
    assert current_scan(record.scans.all()) == right


def test_whoever_uploaded_the_late_scan_cannot_check_it(world):
    # A province administrator may both scan and review: still not their own upload
    record = world.record("approved")
    attach_late(world, record, actor=world.admin)
    task = open_task(record)

    assert not inbox.queue_for(world.admin).filter(pk=task.pk).exists()
    with pytest.raises(ClaimRefused, match="You uploaded this scan"):
        claims.task_claim(task=task, actor=world.admin)
    with pytest.raises(TransitionRefused, match="You uploaded this scan"):
        late_scan_check(record=record, actor=world.admin, passed=True)
    assert open_task(record).stage == "scan_check"
    # A clerk, who may not review, cannot check either
    with pytest.raises(TransitionRefused, match="Your roles do not allow"):
        late_scan_check(record=record, actor=world.clerk2, passed=True)


def test_a_late_scan_is_refused_before_approval_and_while_one_waits(world):
    entered = world.record("entered")
    with pytest.raises(ValidationError, match="only to an approved or transferred case"):
        attach_late(world, entered)

    record = world.record("approved")
    attach_late(world, record)
    with pytest.raises(ValidationError, match="already waiting for its check"):
        attach_late(world, record, label="AGAIN")


def test_the_record_page_takes_a_late_scan_and_the_reviewer_checks_it_on_the_work_screen(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    record = world.record("transferred")
    # The clerk sees the late-scan form on the approved/transferred record's page and uploads
    client.force_login(world.clerk)
    page = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert "Replace the scan (late scan)" in page
    upload = SimpleUploadedFile("late.pdf", samples.small_page_pdf("PAGE"), content_type="application/pdf")
    response = client.post(reverse("scan_upload", args=[record.pk]), {"file": upload}, follow=True)
    assert "goes to a scan check" in response.content.decode()
    assert "waiting for its check" in client.get(reverse("record_detail", args=[record.pk])).content.decode()
    task = open_task(record)

    # The reviewer opens the check from the queue, sees the scan waiting for it, and accepts it
    client.force_login(world.reviewer)
    claims.task_claim(task=task, actor=world.reviewer)
    screen = client.get(reverse("task_work", args=[task.pk])).content.decode()
    assert "Check a late scan" in screen and "The scan is this case: accept" in screen
    response = client.post(reverse("task_work", args=[task.pk]), {"action": "pass"}, follow=True)
    assert "Scan accepted" in response.content.decode()
    record.refresh_from_db()
    assert record.state == "transferred"
    assert TransferItem.objects.filter(record=record, kind="scan", status="pending").count() == 1


def test_an_amendment_while_a_late_scan_waits_cancels_its_check(world):
    from registry.record_data import record_input_from
    from workflows import services as wf

    record = world.record("approved")
    scan = attach_late(world, record)

    # When the data is amended before the late scan was checked
    wf.record_amend(
        record=record, actor=world.admin, data=record_input_from(record), reason="Sửa theo sổ gốc"
    )

    # Then the scan check is cancelled (the scan is not the case's scan) and the record goes to review
    scan.refresh_from_db()
    assert scan.late_check == "cancelled"
    assert open_task(record).stage == "review"
