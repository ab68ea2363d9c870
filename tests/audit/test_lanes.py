"""Audit lanes: one unit's claims go to several chains, so they do not wait on one head row,
and every lane is verified, anchored and tamper-evident as lane 0 always was."""

import contextlib
import random
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from audit import streams
from audit.actions import AuditAction
from audit.anchors import anchor_write
from audit.models import AuditEvent, AuditHead
from audit.services import audit_change
from audit.streams import LANE_STRIDE, lane_of, stream_of, unit_of, unit_streams

UNIT = 4242


@pytest.fixture(autouse=True)
def eight_lanes(settings):
    """Eight lanes (the default) whatever the environment running the tests sets."""
    settings.AUDIT_LANES = 8


def run_verify():
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


def claim_row(n=0, *, unit=UNIT):
    return audit_change(action=AuditAction.TASK_CLAIM, unit_id=unit, changes={"n": n}, any_lane=True)


@pytest.fixture
def lane(db):
    """A unit with rows in lane 0 (ordered writers) and six in one other lane (claims)."""
    for n in range(3):
        audit_change(action=AuditAction.TASK_RELEASE, unit_id=UNIT, changes={"n": n})
    rows = [claim_row(n) for n in range(6)]
    stream = rows[0].stream
    assert {row.stream for row in rows} == {stream}  # one transaction's rows stay in one lane
    assert lane_of(stream) > 0 and unit_of(stream) == UNIT
    return stream


def test_streams_encode_unit_and_lane():
    assert stream_of(UNIT) == UNIT and stream_of(None) == 0  # lane 0 is the stream as before lanes
    assert stream_of(UNIT, 3) == 3 * LANE_STRIDE + UNIT
    assert (unit_of(stream_of(UNIT, 3)), lane_of(stream_of(UNIT, 3))) == (UNIT, 3)
    assert unit_of(stream_of(None, 2)) is None
    assert unit_streams(UNIT)[:2] == [UNIT, LANE_STRIDE + UNIT]


def test_ordered_writers_stay_in_lane_0(db):
    event = audit_change(action=AuditAction.TASK_RELEASE, unit_id=UNIT)
    assert event.stream == UNIT


def test_with_one_lane_configured_claims_go_to_lane_0(db, settings):
    settings.AUDIT_LANES = 1
    assert claim_row().stream == UNIT


def test_a_laned_trail_verifies_and_a_unit_finds_all_its_rows(lane):
    ok, output = run_verify()
    assert ok, output
    assert AuditEvent.objects.filter(unit_id_value=UNIT).count() == 9
    assert AuditEvent.objects.filter(stream__in=unit_streams(UNIT)).count() == 9
    assert AuditHead.objects.get(stream=lane).last_seq == 6


def test_an_edited_row_in_a_lane_is_detected(lane):
    victim = AuditEvent.objects.get(stream=lane, seq=3)
    AuditEvent.objects.filter(pk=victim.pk).update(actor_name="someone_else")
    ok, output = run_verify()
    assert not ok
    assert f"stream {lane} (unit {UNIT}, lane {lane_of(lane)}), seq 3 (row id {victim.pk})" in output
    assert "content was changed" in output


def test_a_deleted_row_in_a_lane_is_detected(lane):
    AuditEvent.objects.filter(stream=lane, seq=2).delete()
    ok, output = run_verify()
    assert not ok and "row 2 is missing" in output


def test_reordered_rows_in_a_lane_are_detected(lane):
    first, second = AuditEvent.objects.filter(stream=lane, seq__in=[2, 3]).order_by("seq")
    with connection.cursor() as cursor:  # swap their places in the chain
        cursor.execute("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [first.pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [second.pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [first.pk])
    ok, output = run_verify()
    assert not ok and f"stream {lane} (unit {UNIT}, lane {lane_of(lane)}), seq 2" in output


def test_a_lanes_tail_cut_is_detected_by_its_head(lane):
    AuditEvent.objects.filter(stream=lane, seq__gte=5).delete()
    ok, output = run_verify()
    assert not ok and "the head says 6 rows but 4 are there" in output


def test_a_lanes_tail_cut_with_its_head_moved_back_is_caught_by_the_anchor(lane):
    anchor_write()
    AuditEvent.objects.filter(stream=lane, seq__gte=5).delete()
    fourth = AuditEvent.objects.get(stream=lane, seq=4)
    AuditHead.objects.filter(stream=lane).update(last_seq=4, last_hash=fourth.hash)
    ok, output = run_verify()
    assert not ok and "rows 5 to 6 are missing" in output


def test_a_whole_lane_dropped_with_its_head_is_caught_by_the_anchor(lane):
    anchor_write()
    AuditEvent.objects.filter(stream=lane).delete()
    AuditHead.objects.filter(stream=lane).delete()
    ok, output = run_verify()
    assert not ok
    assert (
        f"stream {lane} (unit {UNIT}, lane {lane_of(lane)}), seq 1 (head): rows 1 to 6 are missing" in output
    )


def _hold_a_claim_open(holding: threading.Event, release: threading.Event, stream: list[int]) -> None:
    try:
        with transaction.atomic():
            stream.append(claim_row(1).stream)
            holding.set()
            release.wait(timeout=60)
    finally:
        connections.close_all()


@pytest.fixture
def same_starting_lane(monkeypatch):
    """Every connection starts its lane search at the same lane: the worst case of the per-connection
    start (two claimers whose backends' pids agree modulo the lane count)."""
    monkeypatch.setattr(streams, "_connection_number", lambda: 0)


def _claim_while_another_is_open() -> tuple[int, AuditEvent]:
    """A claim of UNIT held open on another connection (its stream), and a second claim written
    meanwhile on this one, which fails rather than waits if it needs anything the first holds."""
    holding, release = threading.Event(), threading.Event()
    first: list[int] = []
    holder = threading.Thread(target=_hold_a_claim_open, args=(holding, release, first))
    holder.start()
    try:
        assert holding.wait(timeout=60)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            second = claim_row(2)
        assert AuditEvent.objects.filter(pk=second.pk).exists()  # committed while the first is open
    finally:
        release.set()
        holder.join(timeout=60)
    return first[0], second


@pytest.mark.django_db(transaction=True)
def test_two_claims_of_one_unit_commit_while_the_other_is_open(same_starting_lane):
    # Given a claim of the unit whose transaction is still open: it created the unit's first lane,
    # uncommitted, and holds it
    # When a second claim of the same unit, starting at the same lane, is written meanwhile
    first, second = _claim_while_another_is_open()
    # Then it committed, in another lane
    assert second.stream != first
    assert {unit_of(first), unit_of(second.stream)} == {UNIT}
    assert lane_of(first) > 0 and lane_of(second.stream) > 0
    # And the trail verifies, both lanes included
    ok, output = run_verify()
    assert ok, output
    assert AuditEvent.objects.filter(unit_id_value=UNIT).count() == 2


@pytest.mark.django_db(transaction=True)
def test_when_every_claim_lane_is_held_a_claim_queues_on_lane_0(settings):
    # Given one claim lane (AUDIT_LANES = 2), held by an open claim
    settings.AUDIT_LANES = 2
    # When a second claim of the unit is written meanwhile
    first, second = _claim_while_another_is_open()
    # Then it went to lane 0, as every claim did before lanes, without waiting for the first
    assert lane_of(first) == 1 and second.stream == stream_of(UNIT)
    ok, output = run_verify()
    assert ok, output


class _Undo(Exception):
    """Raised inside a writer's transaction to undo it after its audit rows were written."""


def _writer(number: int, rounds: int, start: threading.Barrier, committed: list, errors: list) -> None:
    """A clerk on its own connection: transactions of one to three claim rows of UNIT, like a claim
    next, some with a transition before or after a claim (its row goes to the unit's lane 0); some
    undone whole after writing, some with a savepoint undone after writing (a claim refused half-way)."""
    rng = random.Random(number)
    try:
        start.wait(timeout=60)
        for _round in range(rounds):
            kept = 0
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '20s'")
                    for n in range(rng.randint(1, 3)):
                        if rng.random() < 0.15:  # a transition before the claim (its next item)
                            audit_change(action=AuditAction.TASK_RELEASE, unit_id=UNIT, changes={"n": n})
                            kept += 1
                        if rng.random() < 0.2:
                            with contextlib.suppress(_Undo), transaction.atomic():
                                claim_row(n)
                                raise _Undo
                        claim_row(n)
                        kept += 1
                        if rng.random() < 0.25:  # a transition after the claim: the unit's lane 0
                            audit_change(action=AuditAction.TASK_RELEASE, unit_id=UNIT, changes={"n": n})
                            kept += 1
                    if rng.random() < 0.15:
                        raise _Undo
            except _Undo:
                kept = 0
            committed.append(kept)
    except Exception as exc:  # reported by the test
        errors.append(f"writer {number}: {exc!r}")
    finally:
        connections.close_all()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lanes", [3, 8])
def test_many_concurrent_claimers_of_one_unit_leave_every_lane_whole(settings, lanes):
    # Given 12 clerks of one unit, each on its own connection, writing claims (and some transitions)
    # at the same moment, more of them than there are lanes, some of whose transactions and
    # savepoints are undone after they wrote
    settings.AUDIT_LANES = lanes
    start, committed, errors = threading.Barrier(12), [], []
    writers = [threading.Thread(target=_writer, args=(n, 30, start, committed, errors)) for n in range(12)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
    # Then none failed (no deadlock, no lock timeout) and every committed row is there
    assert errors == []
    rows = AuditEvent.objects.filter(unit_id_value=UNIT)
    assert rows.count() == sum(committed)
    assert len({lane_of(stream) for stream in rows.values_list("stream", flat=True)}) > 2
    # And every lane is a whole chain: no sequence number lost, repeated or skipped
    ok, output = run_verify()
    assert ok, output
