"""Row locks never block the foreign-key checks of other transactions.

PostgreSQL checks a new row's foreign keys (deferred: at COMMIT) by taking FOR KEY SHARE on the
row referred to. FOR UPDATE conflicts with it; FOR NO KEY UPDATE does not. The app never changes
a primary key, so every row lock it takes is FOR NO KEY UPDATE, and only the rows of the model
locked (`of=("self",)` where related rows are joined). The campaign simulation (bench) found what
happens otherwise: a transaction holding a record (or, through a join, its commune's unit row)
FOR UPDATE waits on a second one's audit head or duplicate pairs, while the second waits at COMMIT
for its foreign-key check on that record or unit — a deadlock, and a 500 for one of two clerks.
"""

import re
import threading
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from config.demo import demo_scan_pdf
from registry.models import CivilRecord, DuplicatePair
from scans.intake import scan_store
from workflows import services as wf

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "api", "audit", "contracts", "duplicates", "forms", "imports", "jobs", "printing"]
APPS += ["registry", "reports", "scans", "transfer", "workflows"]
# Loading the official unit list locks every unit row while it rewrites codes and parents.
EXEMPT = {"registry/unit_loading.py"}


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel and rel not in EXEMPT:
                yield rel, path.read_text(encoding="utf-8")


def test_every_row_lock_of_the_app_is_for_no_key_update():
    offenders = []
    for rel, text in _sources():
        for match in re.finditer(r"select_for_update\(([^)]*)\)", text):
            if "no_key=True" not in match.group(1):
                offenders.append(f"{rel}:{text.count(chr(10), 0, match.start()) + 1}")
        # SQL written by hand (the audit heads' included): a FOR UPDATE that is not FOR NO KEY UPDATE.
        for match in re.finditer(r"(?<!KEY )FOR UPDATE(?: OF| SKIP|['\"])", text):
            offenders.append(f"{rel}:{text.count(chr(10), 0, match.start()) + 1} (SQL)")
    assert offenders == []


def test_locks_joined_to_related_rows_lock_only_their_own_model():
    offenders = []
    for rel, text in _sources():
        for match in re.finditer(r"select_for_update\(([^)]*)\)\s*\.select_related\(", text):
            if "of=" not in match.group(1):
                offenders.append(f"{rel}:{text.count(chr(10), 0, match.start()) + 1}")
    assert offenders == []


def _hold(lock, holding: threading.Event, release: threading.Event, errors: list) -> None:
    try:
        with transaction.atomic():
            lock()
            holding.set()
            release.wait(timeout=60)
    except Exception as exc:
        errors.append(exc)
        holding.set()
    finally:
        connections.close_all()


def _commit_a_row_referring_to(record: CivilRecord, other: CivilRecord) -> None:
    """A duplicate pair naming the locked record, committed with a 3 s lock timeout: its
    foreign-key check fails rather than waits if the record is locked FOR UPDATE."""
    low, high = sorted([record.pk, other.pk])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '3s'")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        DuplicatePair.objects.create(record_low_id=low, record_high_id=high, score=90)


@pytest.mark.parametrize("path", ["transition", "scan"])
@pytest.mark.django_db(transaction=True)
def test_a_record_locked_by_a_clerk_does_not_block_another_clerks_commit(world, path):
    # Given a clerk's transaction holding a record as a transition or a scan upload holds it
    record = world.record("collected")
    other = world.record("collected")
    locks = {
        "transition": lambda: wf._lock(record.pk, None),
        "scan": lambda: scan_store(record=record, actor=world.clerk, content=scan),
    }
    scan = demo_scan_pdf(title="TEST", lines=["1"])
    holding, release, errors = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=_hold, args=(locks[path], holding, release, errors))
    holder.start()
    try:
        assert holding.wait(timeout=60)
        # When another transaction writes a row naming that record (and its unit) and commits
        _commit_a_row_referring_to(record, other)
        # Then it committed without waiting for the first
        assert DuplicatePair.objects.filter(record_low_id=min(record.pk, other.pk)).exists()
    finally:
        release.set()
        holder.join(timeout=60)
    assert errors == []
