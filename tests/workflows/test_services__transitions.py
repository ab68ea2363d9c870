"""Transition services on PostgreSQL: locking, versions, roles, four eyes, competence, audit."""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from registry.models import CivilRecord
from tests.factories import birth_input
from workflows import services as wf
from workflows.machine import TransitionRefused


def trail(record):
    return list(
        AuditEvent.objects.filter(record_id_value=record.pk, kind="change")
        .order_by("seq")
        .values_list("action", "actor_name")
    )


def test_a_record_goes_from_collected_to_transferred_with_an_audit_row_per_step(world):
    record = world.record("transferred")
    assert record.state == "transferred"
    assert record.version == 7
    actions = [a for a, _ in trail(record)]
    assert actions == ["scan_upload", "scan", "enter", "attach", "review", "approve", "transfer"]
    assert ("review", "reviewer_a") in trail(record)
    assert ("transfer", "system") in trail(record)


def test_the_enterer_cannot_review(world):
    from permissions.services import role_grant

    role_grant(user=world.clerk, unit=world.commune_a, role="reviewer")
    record = world.record("attached")
    with pytest.raises(TransitionRefused, match="four eyes"):
        wf.record_review(record=record, actor=world.clerk)
    record.refresh_from_db()
    assert record.state == "attached"


def test_the_reviewer_cannot_approve_even_with_an_approver_role(world):
    from permissions.services import role_grant

    role_grant(user=world.reviewer, unit=world.commune_a, role="approver")
    record = world.record("reviewed")
    with pytest.raises(TransitionRefused, match="four eyes"):
        wf.record_approve(record=record, actor=world.reviewer)
    record.refresh_from_db()
    assert (record.state, record.approved_by) == ("reviewed", None)


def test_a_commune_approver_cannot_approve_a_district_competence_record(world):
    record = world.record("reviewed", unit=world.district1)
    assert record.competence == "district"
    from permissions.services import role_grant

    role_grant(user=world.approver, unit=world.district1, role="reviewer")
    commune_approver = world.approver
    with pytest.raises(TransitionRefused):
        wf.record_approve(record=record, actor=commune_approver)
    wf.record_approve(record=record, actor=world.approver_d1)
    record.refresh_from_db()
    assert record.state == "approved"


def test_a_district_approver_may_approve_commune_records(world):
    record = world.record("reviewed")
    wf.record_approve(record=record, actor=world.approver_d1)
    record.refresh_from_db()
    assert record.approved_by == world.approver_d1


def test_actions_outside_ones_roles_are_refused(world):
    record = world.record("attached")
    with pytest.raises(wf.NotPermitted, match="Xã An"):
        wf.record_review(record=record, actor=world.outsider)
    with pytest.raises(wf.NotPermitted):
        wf.record_review(record=record, actor=world.counter)


def test_scan_is_refused_without_a_file(world):
    record = world.book(cases=1).records.get()
    with pytest.raises(TransitionRefused, match="Upload the scan"):
        wf.record_scan(record=record, actor=world.clerk)


def test_return_records_reason_remarks_and_goes_back_to_entry(world):
    record = world.record("reviewed")
    wf.record_return(
        record=record,
        actor=world.approver,
        reason="Sai ngày sinh",
        remarks={"subject.birth_date": "Dòng 3 ghi 02/03", "note": ""},
    )
    record.refresh_from_db()
    assert record.state == "scanned"
    assert record.last_reason == "Sai ngày sinh"
    assert record.return_remarks == {"subject.birth_date": "Dòng 3 ghi 02/03"}
    event = AuditEvent.objects.filter(record_id_value=record.pk, action="return").get()
    assert event.reason == "Sai ngày sinh" and event.changes["stage"] == "entry"


def test_return_without_reason_is_refused_and_changes_nothing(world):
    record = world.record("attached")
    before = record.version
    with pytest.raises(TransitionRefused, match="reason"):
        wf.record_return(record=record, actor=world.reviewer, reason="  ")
    record.refresh_from_db()
    assert (record.state, record.version) == ("attached", before)


def test_reject_and_mark_duplicate_close_the_record(world):
    original = world.record("approved")
    copy = world.record("entered", data=birth_input(name="Lê Thị Khác", birth="05/02/2020"))
    wf.record_mark_duplicate(record=copy, actor=world.approver, original=original, reason="Trùng với số 1")
    copy.refresh_from_db()
    assert copy.state == "duplicate" and copy.duplicate_of == original
    blank = world.book(cases=1).records.get()
    wf.record_reject(record=blank, actor=world.approver, reason="Trang trống")
    blank.refresh_from_db()
    assert blank.state == "rejected"


def test_an_edit_after_approval_needs_a_reason_is_audited_and_goes_back_to_review(world):
    from permissions.services import role_grant

    role_grant(user=world.clerk2, unit=world.commune_a, role="reviewer")
    record = world.record("approved")
    with pytest.raises(TransitionRefused, match="reason"):
        wf.record_amend(record=record, actor=world.clerk2, data=birth_input(name="Nguyễn Văn Sửa"), reason="")
    wf.record_amend(
        record=record,
        actor=world.clerk2,
        data=birth_input(name="Nguyễn Văn Sửa"),
        reason="Cải chính theo quyết định số 5",
    )
    record.refresh_from_db()
    assert record.state == "attached"
    assert record.subject().full_name == "Nguyễn Văn Sửa"
    event = AuditEvent.objects.filter(record_id_value=record.pk, action="amend").get()
    assert event.reason == "Cải chính theo quyết định số 5"
    assert event.changes["party.subject.full_name"][1] == "Nguyễn Văn Sửa"
    # whoever amended may not review their own change
    with pytest.raises(TransitionRefused, match="four eyes"):
        wf.record_review(record=record, actor=world.clerk2)


def test_a_stale_version_is_a_conflict_and_nothing_is_written(world):
    record = world.record("attached")
    with pytest.raises(wf.ConflictError, match="Someone else changed"):
        wf.record_review(record=record, actor=world.reviewer, expected_version=record.version - 1)
    record.refresh_from_db()
    assert record.state == "attached"
    assert not AuditEvent.objects.filter(record_id_value=record.pk, action="review").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transitions_one_wins_the_other_conflicts(world):
    record = world.record("attached")
    version = record.version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(actor, action):
        try:
            barrier.wait()
            if action == "review":
                wf.record_review(record=record.pk, actor=actor, expected_version=version)
            else:
                wf.record_return(record=record.pk, actor=actor, reason="mờ", expected_version=version)
            outcomes.append("ok")
        except (wf.ConflictError, TransitionRefused) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(world.reviewer, "review")),
        threading.Thread(target=act, args=(world.reviewer_d1, "return")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ConflictError", "ok"]
    record = CivilRecord.objects.get(pk=record.pk)
    assert record.version == version + 1
    moves = AuditEvent.objects.filter(record_id_value=record.pk, action__in=["review", "return"]).count()
    assert moves == 1
