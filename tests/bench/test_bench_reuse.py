"""The bench reuses a seeded database only when what was seeded still holds, audit key included.

A database seeded by another checkout (another var/audit-chain.key) holds audit rows chained under
that key: the campaign's audit check would find every one of them "changed" (CI found this).
"""

from __future__ import annotations

import argparse

import pytest

from audit.chain import key_id
from bench import cli, db, seed


class _Bench:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cores = 1

    def log(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A database that exists with the given meta; records whether it was recreated."""
    state: dict = {"recreated": False, "meta": {}}
    monkeypatch.setattr(db, "database_exists", lambda name: True)
    monkeypatch.setattr(db, "meta_read", lambda: dict(state["meta"]))
    monkeypatch.setattr(db, "meta_write", lambda meta: state.update(written=meta))
    monkeypatch.setattr(db, "database_recreate", lambda name: state.update(recreated=True))
    monkeypatch.setattr(seed, "seed", lambda n, **kw: {"seed_s": 1.0})
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **kw: None)
    return state


def _args() -> argparse.Namespace:
    return argparse.Namespace(records=100, reseed=False, database="civreg_bench_reuse_test")


def _meta(**overrides: str) -> dict:
    meta = {
        "records": "100",
        "seed_version": seed.SEED_VERSION,
        "migrations": cli.migrations_fingerprint(),
        "audit_key": key_id(),
    }
    return {**meta, **overrides}


def test_same_seed_and_key_is_reused(seeded: dict) -> None:
    seeded["meta"] = _meta()
    assert cli.prepare_database(_args(), _Bench()) == {"seeded_now": False, "seed_s": 0.0}
    assert not seeded["recreated"]


def test_a_database_seeded_under_another_audit_key_is_seeded_again(seeded: dict) -> None:
    seeded["meta"] = _meta(audit_key="0123456789ab")
    assert cli.prepare_database(_args(), _Bench())["seeded_now"] is True
    assert seeded["recreated"]
    assert seeded["written"]["audit_key"] == key_id()


def test_a_database_seeded_before_the_key_was_recorded_is_seeded_again(seeded: dict) -> None:
    meta = _meta()
    del meta["audit_key"]
    seeded["meta"] = meta
    assert cli.prepare_database(_args(), _Bench())["seeded_now"] is True
