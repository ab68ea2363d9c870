"""Sixteen people claiming from the same queue at once, on PostgreSQL: each task goes to exactly one."""

import random
import threading
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.utils import translation

from tests.factories import make_user
from workflows import claims
from workflows.claims import ClaimRefused
from workflows.inbox import queue_for
from workflows.models import RecordTask

CLAIMERS = 16


def clerks(world, n):
    users = []
    for i in range(n):
        user = make_user(f"race_clerk_{i}", "clerk", world.commune_a)
        user.first_name = f"Người {i}"
        user.save(update_fields=["first_name"])
        users.append(user)
    return users


def run_all(workers):
    barrier = threading.Barrier(len(workers))

    def wrap(fn):
        def run():
            try:
                barrier.wait()
                with translation.override("en"):
                    fn()
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_16_claimers_racing_for_the_same_tasks_each_task_claimed_once_losers_told_who(world):
    book = world.book(cases=24)
    task_ids = list(RecordTask.objects.filter(book=book, stage="scan").values_list("pk", flat=True))
    people = clerks(world, CLAIMERS)
    wins: dict[int, list[str]] = defaultdict(list)
    refusals: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claimer(user):
        def go():
            order = task_ids[:]
            random.Random(user.pk).shuffle(order)
            for pk in order:
                try:
                    claims.task_claim(task=pk, actor=user)
                except ClaimRefused as exc:
                    with lock:
                        refusals.append((pk, str(exc)))
                except BaseException as exc:  # any other failure fails the test
                    with lock:
                        errors.append(exc)
                else:
                    with lock:
                        wins[pk].append(user.first_name)

        return go

    run_all([claimer(u) for u in people])

    assert errors == []
    assert sorted(wins) == sorted(task_ids)
    assert all(len(winners) == 1 for winners in wins.values()), wins
    assert len(refusals) == len(task_ids) * (CLAIMERS - 1)
    owners = dict(RecordTask.objects.filter(pk__in=task_ids).values_list("pk", "owner__first_name"))
    for pk, message in refusals:
        assert f"Already taken by {owners[pk]}" in message
    assert owners == {pk: winners[0] for pk, winners in wins.items()}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_16_people_claiming_the_next_cases_never_share_one(world):
    book = world.book(cases=100)
    people = clerks(world, CLAIMERS)
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claimer(user):
        def go():
            try:
                while True:
                    got = claims.tasks_claim_next(
                        actor=user, queue=queue_for(user).filter(book_id=book.pk), count=3
                    )
                    if not got:
                        return
                    with lock:
                        claimed.extend(t.pk for t in got)
            except BaseException as exc:
                with lock:
                    errors.append(exc)

        return go

    run_all([claimer(u) for u in people])

    assert errors == []
    counts = Counter(claimed)
    assert len(counts) == 100 and set(counts.values()) == {1}
    per_owner = Counter(RecordTask.objects.filter(book=book, stage="scan").values_list("owner_id", flat=True))
    assert None not in per_owner and sum(per_owner.values()) == 100


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_claim_next_passes_over_an_item_someone_is_acting_on_without_waiting(world):
    from django.db import transaction

    from workflows.models import RecordProcess

    first, second = RecordTask.objects.filter(book=world.book(cases=2), stage="scan").order_by("entry_no")
    holding, done = threading.Event(), threading.Event()

    def hold_first():
        try:
            with transaction.atomic():
                RecordProcess.objects.select_for_update().get(pk=first.process_id)
                holding.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        claimed = claims.tasks_claim_next(actor=world.clerk, queue=queue_for(world.clerk), count=1)
    finally:
        done.set()
        holder.join()
    assert [t.pk for t in claimed] == [second.pk]
    first.refresh_from_db()
    assert (first.owner_id, first.status) == (None, "NEW")
