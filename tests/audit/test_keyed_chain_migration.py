"""audit 0003: a trail written with plain SHA-256 is re-chained with the key, and verifies after it."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from audit.models import AuditEvent, AuditHead
from audit.verification import verify_chains

rechain = importlib.import_module("audit.migrations.0003_keyed_chain_user_agent")


def as_before_the_migration():
    """Re-hash every stream the way the previous release did (SHA-256 over the old fields)."""
    for stream in AuditEvent.objects.values_list("stream", flat=True).distinct():
        prev = rechain.GENESIS
        for event in AuditEvent.objects.filter(stream=stream).order_by("seq"):
            digest = rechain._sha256(prev, event, rechain.OLD_FIELDS)
            AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
            prev = digest
        AuditHead.objects.filter(stream=stream).update(last_hash=prev)


@pytest.fixture
def legacy_trail(world):
    world.record("approved")
    world.record("entered")
    as_before_the_migration()
    assert list(verify_chains()) != []  # the old hashes are not keyed


def test_an_untouched_legacy_trail_verifies_after_the_migration(legacy_trail):
    with connection.schema_editor() as editor:
        rechain.forward(apps, editor)
    assert list(verify_chains()) == []


def test_the_migration_refuses_to_rechain_a_trail_altered_before_it(legacy_trail):
    victim = AuditEvent.objects.order_by("stream", "seq")[3]
    AuditEvent.objects.filter(pk=victim.pk).update(reason="changed by hand")
    with connection.schema_editor() as editor, pytest.raises(RuntimeError, match=f"row id {victim.pk}"):
        rechain.forward(apps, editor)


def test_the_migration_reverses_to_the_old_hashes(legacy_trail):
    before = dict(AuditEvent.objects.values_list("id", "hash"))
    with connection.schema_editor() as editor:
        rechain.forward(apps, editor)
        rechain.backward(apps, editor)
    assert dict(AuditEvent.objects.values_list("id", "hash")) == before
