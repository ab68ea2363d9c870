"""The campaign simulation's end checks and verdicts (bench/scenarios/campaign.py), on small data.

The run itself (a stack, locust, 30 s) is CI's smoke step in .ci/run; these check that its
verdicts say what they claim: lost work is found, a read and a write have their own targets.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from viewflow.workflow.status import STATUS

from bench.scenarios.campaign import latency_table, lost_work, role_counts, timeline
from workflows.models import RecordTask


def test_every_person_has_a_role_and_the_province_an_admin():
    for users in (30, 300):
        counts = role_counts(users)
        assert sum(counts.values()) == users
        assert counts["admin"] >= 1 and counts["counter"] >= 1
        assert counts["clerk"] > counts["reviewer"] + counts["approver"]


def test_reads_and_writes_are_judged_against_their_own_targets():
    measured = {
        "times_ms": {"queue": [100.0] * 95 + [350.0] * 5, "entry_save": [100.0] * 95 + [350.0] * 5},
        "failures": {"entry_save": 1},
        "messages": {"entry_save": ["500 /work/tasks/1/: boom"]},
        "refused": {"entry_save": 2},
        "refusals": {},
    }
    kinds = latency_table(measured)
    assert kinds["queue"]["target_p95_ms"] == 300 and kinds["queue"]["pass"] is True
    assert kinds["entry_save"]["target_p95_ms"] == 600 and kinds["entry_save"]["pass"] is True
    assert kinds["entry_save"]["errors"] == 1 and kinds["entry_save"]["refusals"] == 2
    measured["times_ms"]["queue"] = [100.0] * 90 + [350.0] * 10
    assert latency_table(measured)["queue"]["pass"] is False


def test_the_steady_part_is_judged_on_the_requests_sent_within_it():
    # given a queue page slow only in the first 30 s of the run (the ramp's burst)
    t0 = 1_000_000.0
    measured = {
        "times_ms": {"queue": [2000.0] * 20 + [100.0] * 80},
        "started_at": {"queue": [t0 + n for n in range(20)] + [t0 + 60 + n for n in range(80)]},
        "failures": {},
        "messages": {},
    }
    # then the whole run misses its target, the part after the burst meets it
    assert latency_table(measured)["queue"]["pass"] is False
    steady = latency_table(measured, (t0 + 30, t0 + 600))["queue"]
    assert steady["requests"] == 80 and steady["p95_ms"] == 100.0 and steady["pass"] is True
    # and the timeline shows where the slow requests were
    rows = timeline(measured, t0)
    assert [r["from_s"] for r in rows] == [0, 60, 90, 120]
    assert rows[0]["requests"] == 20 and rows[0]["p95_ms"] == 2000.0 and rows[1]["p95_ms"] == 100.0


def test_work_in_its_queue_is_not_lost_and_a_case_without_its_next_step_is(world):
    started = timezone.now()
    record = world.record("scanned")
    report = lost_work(started, timezone.now())
    assert report["touched_records"] == 1
    assert report["problems"] == [] and report["held_after_stop"] == 0

    RecordTask.objects.filter(record=record, status=STATUS.NEW).update(status=STATUS.DONE)
    problems = lost_work(started, timezone.now())["problems"]
    assert len(problems) == 1 and f"record {record.pk}" in problems[0]


def test_an_item_a_simulated_person_still_holds_is_reported(world):
    started = timezone.now()
    record = world.record("scanned")
    person = get_user_model().objects.create(username="campaign.clerk.000")
    RecordTask.objects.filter(record=record, status=STATUS.NEW).update(
        status=STATUS.ASSIGNED, owner=person, assigned=timezone.now()
    )
    assert lost_work(started, timezone.now())["held_after_stop"] == 1


def test_an_item_left_pending_by_an_earlier_run_and_sent_in_this_one_is_the_runs(world, tmp_path):
    import sqlite3

    from bench.scenarios.campaign import outbox
    from transfer.models import TransferItem

    # given an item an earlier run left pending, then sent (acknowledged) during this run
    record = world.record("approved")
    earlier = TransferItem.objects.create(
        record=record,
        version=record.version,
        idempotency_key="earlier-run-1",
        status="acknowledged",
        next_attempt_at=timezone.now(),
    )
    first_id = earlier.pk  # the run starts after it was made
    receiver = tmp_path / "receiver.sqlite3"
    with sqlite3.connect(receiver) as db:
        db.execute("CREATE TABLE records (key TEXT)")
        db.execute("CREATE TABLE deliveries (key TEXT)")
        db.execute("INSERT INTO records VALUES ('earlier-run-1')")
        db.execute("INSERT INTO deliveries VALUES ('earlier-run-1')")

    # then it counts as the run's, delivered exactly once
    report = outbox(first_id, receiver, drain_s=0, pending_before=[earlier.pk])
    assert report["ok"] is True and report["pending_from_earlier_runs"] == 1
    # and a record the receiver holds that no item of the run explains is still reported
    assert outbox(first_id, receiver, drain_s=0)["stored_not_in_outbox"] == ["earlier-run-1"]


def test_desk_pacing_pauses_longest_before_keying_and_uniform_pauses_alike():
    from bench.scenarios.campaign import DESK_PACING, pacing

    desk = pacing("desk", (5.0, 15.0))
    # every action the simulated people take has a pause (the locustfile reads them by name)
    assert set(desk) == set(DESK_PACING) >= {"between", "open", "scan", "entry", "review", "approve"}
    assert min(desk["entry"]) > max(desk["attach"]) and min(desk["review"]) > max(desk["open"])
    assert all(low <= high for low, high in desk.values())
    assert set(map(tuple, pacing("uniform", (2.0, 6.0)).values())) == {(2.0, 6.0)}
