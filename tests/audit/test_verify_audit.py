"""The audit trail is hash-chained: editing or deleting any row is detected."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEvent


@pytest.fixture
def trail(world):
    world.record("approved")
    world.record("reviewed")
    return AuditEvent.objects.filter(kind="change").order_by("stream", "seq")


def run_verify():
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


def test_an_untouched_trail_verifies(trail):
    ok, output = run_verify()
    assert ok and "intact" in output


def test_an_updated_row_is_detected_and_named(trail):
    victim = trail.filter(action="approve").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_name = 'someone_else' WHERE id = %s", [victim.pk])
    ok, output = run_verify()
    assert not ok
    assert f"seq {victim.seq} (row id {victim.pk})" in output
    assert "content was changed" in output


def test_a_deleted_row_is_detected(trail):
    victim = trail.filter(action="enter").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    ok, output = run_verify()
    assert not ok
    assert f"row {victim.seq} is missing" in output


def test_deleting_the_last_row_is_detected_by_the_head(trail):
    last = AuditEvent.objects.order_by("-seq").filter(stream=trail.first().stream).first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    ok, output = run_verify()
    assert not ok and "the head says" in output


def test_a_rehashed_row_still_breaks_the_next_link(trail):
    """Rewriting a row and its own hash is not enough: the next row's prev_hash no longer matches."""
    victim, _follower = list(trail.filter(stream=trail.first().stream))[2:4]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, victim.pk])
    ok, output = run_verify()
    assert not ok and f"seq {victim.seq}" in output


def test_every_view_is_in_the_access_log(client, world):
    record = world.record("entered")
    client.force_login(world.clerk)
    client.get(f"/records/{record.pk}/")
    access = AuditEvent.objects.filter(kind="access", action="view_record", record_id_value=record.pk).get()
    assert access.actor == world.clerk and access.ip == "127.0.0.1"
