"""Finding 10: a rewrite of the trail with every later hash recomputed is caught by the daily anchors.

The chain is an HMAC keyed outside the database, so recomputing with plain SHA-256 (what the
finding did) breaks it at once; someone who also holds the key is caught by the anchors.
"""

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.anchors import anchor_path, anchor_write, read_anchors
from audit.chain import GENESIS, HASHED_FIELDS, _at, event_hash
from audit.models import AuditEvent, AuditHead


def run_verify():
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue() + err.getvalue()


@pytest.fixture
def stream(world):
    """A commune's stream with a dozen rows or more."""
    for state in ("approved", "reviewed", "entered"):
        world.record(state)
    stream = AuditEvent.objects.filter(unit_id_value=world.commune_a.pk).values_list("stream", flat=True)[0]
    assert AuditEvent.objects.filter(stream=stream).count() >= 12
    return stream


def plain_sha256(event):
    payload = {f: getattr(event, f) for f in HASHED_FIELDS}
    payload["at"] = _at(payload["at"])
    payload["prev"] = event.prev_hash
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def rewrite(stream, victim_seq, *, rehash=event_hash):
    """Change one row's actor name, then recompute its hash, every later hash and the head."""
    rows = list(AuditEvent.objects.filter(stream=stream, seq__gte=victim_seq).order_by("seq"))
    prev = AuditEvent.objects.filter(stream=stream, seq=victim_seq - 1).values_list("hash", flat=True).first()
    prev = prev or GENESIS
    rows[0].actor_name = "someone_else"
    for row in rows:
        row.prev_hash = prev
        row.hash = rehash(row)
        prev = row.hash
        AuditEvent.objects.filter(pk=row.pk).update(
            actor_name=row.actor_name, prev_hash=row.prev_hash, hash=row.hash
        )
    AuditHead.objects.filter(stream=stream).update(last_hash=prev)
    return rows[0]


def test_an_untouched_trail_with_anchors_verifies(world, stream):
    anchor_write()
    world.record("attached")
    anchor_write()
    ok, output = run_verify()
    assert ok, output
    assert "matches all 2 anchor(s)" in output


def test_without_anchors_the_trail_verifies_with_a_warning(stream):
    ok, output = run_verify()
    assert ok and "intact" in output
    assert "No anchors" in output


def test_a_rewrite_with_plain_sha256_as_in_the_finding_fails_even_without_anchors(stream):
    victim = rewrite(stream, 3, rehash=plain_sha256)
    ok, output = run_verify()
    assert not ok
    assert f"seq 3 (row id {victim.pk}): content was changed" in output


def test_a_rewrite_with_the_key_and_every_later_hash_recomputed_is_caught_by_the_anchor(world, stream):
    # Given the trail anchored (as the daily job does), and more work after the anchor
    anchor = anchor_write()
    anchored_seq = anchor.streams[stream][0]
    world.record("entered")
    # When someone holding the key changes row 5 and recomputes every later hash and the head
    rewrite(stream, 5)
    # Then the chain alone still looks intact ...
    from audit.verification import verify_chains

    assert list(verify_chains()) == []
    # ... but verify_audit, reading the anchors, fails and names the anchor and the rows
    ok, output = run_verify()
    assert not ok
    at_anchor = AuditEvent.objects.get(stream=stream, seq=anchored_seq)
    assert f"stream {stream}, seq {anchored_seq} (row id {at_anchor.pk})" in output
    assert "does not match anchor #1" in output
    assert f"a row between seq 1 and seq {anchored_seq} was changed" in output


def test_two_anchors_narrow_down_the_changed_rows(world, stream):
    first = anchor_write()
    first_seq = first.streams[stream][0]
    world.record("approved")
    second = anchor_write()
    second_seq = second.streams[stream][0]
    rewrite(stream, first_seq + 2)
    ok, output = run_verify()
    assert not ok
    assert f"a row between seq {first_seq + 1} and seq {second_seq} was changed" in output
    assert "anchor #2" in output


def test_rows_cut_from_the_end_with_the_head_moved_back_are_reported_missing(stream):
    anchor = anchor_write()
    last_seq = anchor.streams[stream][0]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = %s AND seq > %s", [stream, last_seq - 3])
    keep = AuditEvent.objects.get(stream=stream, seq=last_seq - 3)
    AuditHead.objects.filter(stream=stream).update(last_seq=last_seq - 3, last_hash=keep.hash)
    ok, output = run_verify()
    assert not ok
    assert f"rows {last_seq - 2} to {last_seq} are missing" in output


def test_a_row_deleted_and_inserted_again_under_a_new_id_is_reported(stream):
    anchor_write()
    row = AuditEvent.objects.get(stream=stream, seq=4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])
    row.pk = None
    row.save()
    ok, output = run_verify()
    assert not ok
    assert "was inserted after anchor #1" in output


def test_an_altered_or_removed_anchor_line_is_reported(world, stream):
    anchor_write()
    world.record("entered")
    anchor_write()
    world.record("entered")
    anchor_write()
    path = anchor_path()
    lines = path.read_text().splitlines()
    # the middle anchor removed
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    ok, output = run_verify()
    assert not ok
    assert "does not follow the anchor before it" in output
    # an anchor's recorded row count altered
    values = json.loads(lines[1])
    values["rows"] += 1
    path.write_text("\n".join([lines[0], json.dumps(values), lines[2]]) + "\n")
    ok, output = run_verify()
    assert not ok
    assert "was altered: its digest does not match" in output


def test_verifying_with_another_key_names_the_key(stream, settings):
    anchor_write()
    settings.AUDIT_CHAIN_KEY = "k" * 40
    ok, output = run_verify()
    assert not ok
    assert "written with key" in output


def test_anchors_append_and_record_only_the_streams_that_moved(world, stream):
    first = anchor_write()
    second = anchor_write()
    assert stream in first.streams and second.streams == {}
    world.record("entered")
    third = anchor_write()
    assert set(third.streams) == {stream}
    anchors, problems = read_anchors()
    assert [a.number for a in anchors] == [1, 2, 3] and problems == []
    assert third.rows == sum(h.last_seq for h in AuditHead.objects.all())
    assert third.last_id == AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]


def test_anchor_command_prints_the_short_digest(stream):
    out = StringIO()
    call_command("audit_anchor", stdout=out)
    anchor = read_anchors()[0][-1]
    assert anchor.short in out.getvalue()
    assert len(anchor.short) == 19
