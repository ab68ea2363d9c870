"""Claiming, claiming the next N, releasing, reassigning and expiring work items."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import make_user
from workflows import claims
from workflows.claims import ClaimRefused
from workflows.inbox import queue_for
from workflows.models import RecordTask


def scan_tasks(book):
    return RecordTask.objects.filter(book=book, stage="scan").order_by("entry_no")


def test_a_claim_takes_the_task_and_is_audited(world):
    task = scan_tasks(world.book(cases=1)).get()
    claims.task_claim(task=task, actor=world.clerk)
    task.refresh_from_db()
    assert (task.owner, task.status) == (world.clerk, "ASSIGNED")
    assert task.assigned is not None and task.last_activity is not None
    event = AuditEvent.objects.get(action="task_claim", record_id_value=task.record_id)
    assert event.actor_name == "clerk_a" and event.changes["stage"] == "scan"


def test_a_second_claimer_is_told_who_won(world):
    world.clerk.first_name, world.clerk.last_name = "Lan", "Nguyễn"
    world.clerk.save()
    task = scan_tasks(world.book(cases=1)).get()
    claims.task_claim(task=task, actor=world.clerk)
    with pytest.raises(ClaimRefused, match="Already taken by Lan Nguyễn"):
        claims.task_claim(task=task.pk, actor=world.clerk2)
    task.refresh_from_db()
    assert task.owner == world.clerk


def test_claims_outside_ones_role_or_unit_or_four_eyes_are_refused(world):
    task = scan_tasks(world.book(cases=1)).get()
    with pytest.raises(ClaimRefused, match="roles do not include"):
        claims.task_claim(task=task, actor=world.outsider)
    with pytest.raises(ClaimRefused, match="roles do not include"):
        claims.task_claim(task=task, actor=world.reviewer)
    from permissions.services import role_grant

    role_grant(user=world.clerk, unit=world.commune_a, role="reviewer")
    record = world.record("attached")
    review = RecordTask.objects.get(record=record, stage="review")
    with pytest.raises(ClaimRefused, match="four eyes"):
        claims.task_claim(task=review, actor=world.clerk)


def test_claim_next_takes_the_next_cases_of_one_book_in_entry_order(world):
    book = world.book(cases=30)
    other = world.book(cases=5)
    claims.task_claim(task=scan_tasks(book).first(), actor=world.clerk2)  # no. 1 is taken
    queue = queue_for(world.clerk).filter(book_id=book.pk)
    claimed = claims.tasks_claim_next(actor=world.clerk, queue=queue, count=20)
    assert [t.entry_no for t in claimed] == list(range(2, 22))
    assert not RecordTask.objects.filter(book=other, owner=world.clerk).exists()
    assert RecordTask.objects.filter(book=book, owner=world.clerk, status="ASSIGNED").count() == 20


def test_claim_next_over_a_subtree_takes_one_unit_at_a_time_in_book_and_entry_order(world):
    # given scan work in commune B, then in commune A, then at the district itself (ids interleaved)
    books = [world.book(world.commune_b, cases=2), world.book(world.commune_a, cases=2)]
    books.append(world.book(world.commune_b, cases=1))
    books.append(world.book(world.district1, cases=1))
    # when the district's clerk claims next, one at a time
    taken = []
    for _ in range(6):
        (task,) = claims.tasks_claim_next(actor=world.clerk_d1, queue=queue_for(world.clerk_d1), count=1)
        taken.append((task.unit_path, task.book_id, task.entry_no))
    # then the district's own case comes first, then each commune's cases together, book by book
    assert taken[0][0] == world.district1.path
    assert taken == sorted(taken)
    units = [path for path, _book, _entry in taken]
    assert units == sorted(units, key=units.index)  # a unit's cases are not split by another's
    assert sorted(taken) == sorted(
        (t.unit_path, t.book_id, t.entry_no) for t in RecordTask.objects.filter(book__in=books, stage="scan")
    )


def test_claim_next_audits_each_claim_and_keeps_four_eyes_and_scope(world):
    from permissions.services import role_grant

    role_grant(user=world.clerk, unit=world.commune_a, role="reviewer")
    entered_by_clerk = world.record("attached")  # world.walk enters it as world.clerk
    other = world.record("attached")
    RecordTask.objects.filter(record=other, stage="review").update(
        excluded_user=world.clerk2, excluded_user_ids=[world.clerk2.pk]
    )
    claimed = claims.tasks_claim_next(
        actor=world.clerk, queue=queue_for(world.clerk).filter(stage="review"), count=5
    )
    assert [t.record_id for t in claimed] == [other.pk]  # not the one clerk_a entered: four eyes
    assert claims.tasks_claim_next(actor=world.approver_b, queue=queue_for(world.approver_b), count=5) == []
    claimed = claims.tasks_claim_next(actor=world.reviewer, queue=queue_for(world.reviewer), count=5)
    assert [t.record_id for t in claimed] == [entered_by_clerk.pk]
    events = AuditEvent.objects.filter(action="task_claim").order_by("id")
    assert [(e.actor_name, e.record_id_value) for e in events] == [
        ("clerk_a", other.pk),
        ("reviewer_a", entered_by_clerk.pk),
    ]


def test_release_puts_it_back_and_only_the_holder_or_a_supervisor_may(world):
    task = scan_tasks(world.book(cases=1)).get()
    claims.task_claim(task=task, actor=world.clerk)
    with pytest.raises(ClaimRefused, match="Only clerk_a or a supervisor"):
        claims.task_release(task=task, actor=world.clerk2)
    claims.task_release(task=task, actor=world.approver)  # the commune's approver supervises
    task.refresh_from_db()
    assert (task.owner, task.status) == (None, "NEW")
    assert task in queue_for(world.clerk2)
    assert AuditEvent.objects.filter(action="task_release", actor_name="approver_a").exists()


def test_a_supervisor_reassigns_to_someone_who_may_do_it(world):
    task = scan_tasks(world.book(cases=1)).get()
    claims.task_claim(task=task, actor=world.clerk)
    with pytest.raises(ClaimRefused, match="Only a supervisor"):
        claims.task_reassign(task=task, actor=world.clerk2, to_user=world.clerk2)
    with pytest.raises(ClaimRefused, match="cannot take it"):
        claims.task_reassign(task=task, actor=world.approver, to_user=world.outsider)
    claims.task_reassign(task=task, actor=world.approver, to_user=world.clerk2)
    task.refresh_from_db()
    assert task.owner == world.clerk2
    event = AuditEvent.objects.get(action="task_reassign")
    assert event.changes["holder"] == "clerk_a" and event.changes["to"] == "clerk2_a"
    assert set(claims.eligible_users(task).values_list("username", flat=True)) >= {
        "clerk_a",
        "clerk2_a",
        "clerk_d1",
    }
    assert "clerk_b" not in set(claims.eligible_users(task).values_list("username", flat=True))


def test_idle_claims_expire_back_to_the_queue(world, settings):
    settings.CLAIM_IDLE_MINUTES = 30
    idle, busy = scan_tasks(world.book(cases=2))
    claims.task_claim(task=idle, actor=world.clerk)
    claims.task_claim(task=busy, actor=world.clerk)
    RecordTask.objects.filter(pk=idle.pk).update(last_activity=timezone.now() - dt.timedelta(minutes=31))
    assert claims.claims_expire() == 1
    idle.refresh_from_db()
    busy.refresh_from_db()
    assert (idle.owner, idle.status) == (None, "NEW")
    assert busy.owner == world.clerk
    assert AuditEvent.objects.filter(action="task_claim_expired", changes__holder="clerk_a").count() == 1


def test_an_expired_claim_can_be_taken_over_before_the_sweep(world, settings):
    settings.CLAIM_IDLE_MINUTES = 30
    task = scan_tasks(world.book(cases=1)).get()
    claims.task_claim(task=task, actor=world.clerk)
    RecordTask.objects.filter(pk=task.pk).update(last_activity=timezone.now() - dt.timedelta(hours=2))
    claims.task_claim(task=task, actor=world.clerk2)
    task.refresh_from_db()
    assert task.owner == world.clerk2
    assert AuditEvent.objects.filter(action="task_claim", changes__expired_claim_of="clerk_a").exists()


def test_acting_on_an_expired_claim_is_refused_unless_claimed_again(world, settings):
    settings.CLAIM_IDLE_MINUTES = 30
    task = scan_tasks(world.book(cases=1)).get()
    claims.task_claim(task=task, actor=world.clerk)
    RecordTask.objects.filter(pk=task.pk).update(last_activity=timezone.now() - dt.timedelta(hours=2))
    with pytest.raises(ClaimRefused, match="expired after 30 minutes"):
        claims.claim_for_action(task=task, actor=world.clerk)
    claims.claim_for_action(task=task, actor=world.clerk, reclaim=True)
    task.refresh_from_db()
    assert task.owner == world.clerk and claims.claim_is_live(task)


def test_a_finished_task_cannot_be_claimed(world):
    record = world.record("scanned")
    scan = RecordTask.objects.get(record=record, stage="scan")
    with pytest.raises(ClaimRefused, match="already done"):
        claims.task_claim(task=scan, actor=make_user("late_clerk", "clerk", world.commune_a))


def test_the_commands_expire_claims_and_give_orphan_records_their_work(world, settings):
    from django.core.management import call_command

    from workflows.models import RecordProcess

    settings.CLAIM_IDLE_MINUTES = 30
    book = world.book(cases=2)
    first, _second = scan_tasks(book)
    claims.task_claim(task=first, actor=world.clerk)
    RecordTask.objects.filter(pk=first.pk).update(last_activity=timezone.now() - dt.timedelta(hours=1))
    call_command("expire_claims")
    first.refresh_from_db()
    assert first.owner is None
    RecordTask.objects.filter(process__record__book=book).delete()
    RecordProcess.objects.filter(record__book=book).delete()  # records that predate the workflow
    call_command("sync_workflows")
    assert RecordTask.objects.filter(book=book, stage="scan", status="NEW").count() == 2
    call_command("sync_workflows")  # idempotent
    assert RecordTask.objects.filter(book=book, stage="scan").count() == 2


def test_claim_next_inside_another_transaction_leaves_that_transactions_commit_durable(world):
    from django.db import connection, transaction

    world.book(cases=1)
    with transaction.atomic():
        assert claims.tasks_claim_next(actor=world.clerk, queue=queue_for(world.clerk), count=1)
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
