"""Four eyes counts everyone who changed the case: its data by any path, and its scan.

Issue 22, finding 5: a province administrator saved data on a record a clerk had entered
(`entered_by` unchanged), attached it and passed review of the data they had just changed.
"""

import pytest

from config.demo import demo_scan_pdf
from scans.intake import scan_store
from tests.factories import birth_input, make_user
from workflows import claims
from workflows import services as wf
from workflows.claims import ClaimRefused
from workflows.inbox import queue_for
from workflows.machine import TransitionRefused
from workflows.models import RecordTask


def review_task(record):
    return RecordTask.objects.get(record=record, stage="review", status="NEW")


def test_a_province_admin_who_saved_data_cannot_review_it(world):
    # given a clerk's entered record on which the province administrator saved a change
    record = world.record("entered")
    wf.record_data_save(record=record, actor=world.admin, data=birth_input(name="Nguyễn Văn Đổi"))
    record.refresh_from_db()
    assert record.entered_by == world.clerk  # the column still names the clerk only
    wf.record_attach(record=record, actor=world.clerk)
    # when the administrator looks for review work, it is not offered, and claiming is refused
    task = review_task(record)
    assert not queue_for(world.admin).filter(pk=task.pk).exists()
    assert queue_for(world.reviewer).filter(pk=task.pk).exists()
    with pytest.raises(ClaimRefused, match="You changed this record's data"):
        claims.task_claim(task=task, actor=world.admin)
    # and passing review through the service is refused, naming the reason
    with pytest.raises(
        TransitionRefused, match="You changed this record's data, so someone else must review"
    ):
        wf.record_review(record=record, actor=world.admin)
    record.refresh_from_db()
    assert record.state == "attached"
    # then someone who changed nothing may review it
    wf.record_review(record=record, actor=world.reviewer)


def test_whoever_changed_the_data_cannot_approve_it_either(world):
    record = world.record("entered")
    wf.record_data_save(record=record, actor=world.admin, data=birth_input(name="Nguyễn Văn Đổi"))
    wf.record_attach(record=record, actor=world.clerk)
    wf.record_review(record=record, actor=world.reviewer)
    approve = RecordTask.objects.get(record=record, stage="approve", status="NEW")
    assert set(approve.excluded_user_ids) == {world.clerk.pk, world.admin.pk, world.reviewer.pk}
    assert not queue_for(world.admin).filter(pk=approve.pk).exists()
    with pytest.raises(
        TransitionRefused, match="You changed this record's data, so someone else must approve"
    ):
        wf.record_approve(record=record, actor=world.admin)
    wf.record_approve(record=record, actor=world.approver)


def test_whoever_uploaded_or_replaced_the_scan_cannot_check_it(world):
    from permissions.services import role_grant

    role_grant(user=world.clerk, unit=world.commune_a, role="reviewer")
    # given a clerk's entered record whose scan the province administrator replaced
    record = world.record("entered")
    scan_store(record=record, actor=world.admin, content=demo_scan_pdf(title="THAY", lines=["2"]))
    wf.record_attach(record=record, actor=world.clerk)
    task = review_task(record)
    assert not queue_for(world.admin).filter(pk=task.pk).exists()
    with pytest.raises(ClaimRefused, match="uploaded or attached this case's scan"):
        claims.task_claim(task=task, actor=world.admin)
    with pytest.raises(TransitionRefused, match="uploaded or attached this case's scan"):
        wf.record_review(record=record, actor=world.admin)
    # the same for whoever scanned and attached it (and entered it)
    with pytest.raises(TransitionRefused, match="four eyes"):
        wf.record_review(record=record, actor=world.clerk)


def test_an_amendment_is_checked_by_someone_who_did_not_make_it(world):
    second = make_user("reviewer2_a", "reviewer", world.commune_a)
    record = world.record("approved")
    wf.record_amend(
        record=record, actor=world.reviewer, data=birth_input(name="Nguyễn Văn Sửa"), reason="QĐ 5"
    )
    with pytest.raises(TransitionRefused, match="You changed this record's data"):
        wf.record_review(record=record, actor=world.reviewer)
    # the people of the earlier round (before the approval) are not excluded by it
    assert set(review_task(record).excluded_user_ids) == {world.reviewer.pk}
    wf.record_review(record=record, actor=second)
