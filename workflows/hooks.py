"""The hook points of the workflow layer: what higher apps add to a transition, an import, an approval.

The lists are empty here and filled in one place, `config.wiring`, in the order they run;
a hook runs inside the caller's transaction, so a failing hook rolls the whole step back.
"""

from __future__ import annotations

from typing import Protocol

from audit.actors import Actor
from registry.models import CivilRecord, RegisterBook


class TransitionHook(Protocol):
    """Runs after a transition is saved and audited, with the record still locked."""

    def __call__(self, record: CivilRecord, event: str, actor: Actor | None, /) -> None: ...


class DataSavedHook(Protocol):
    """Runs after a record's data is saved without a transition (a draft, a correction while entered),
    with the record still locked."""

    def __call__(self, record: CivilRecord, actor: Actor | None, /) -> None: ...


class ImportHook(Protocol):
    """Runs after a batch of imported cases is saved: what transition hooks do, for many records."""

    def __call__(self, book: RegisterBook, records: list[CivilRecord], actor: Actor, /) -> None: ...


class ApprovalCheck(Protocol):
    """Returns why the record may not be approved yet, or None."""

    def __call__(self, record: CivilRecord, /) -> str | None: ...


class LateScanHook(Protocol):
    """Runs when the check of a late scan ends (`outcome`: "passed", "returned" or "cancelled", with
    the checker's reason), with the record locked, inside the check's transaction."""

    def __call__(
        self, record: CivilRecord, scan_id: int, outcome: str, actor: Actor | None, reason: str, /
    ) -> None: ...


class ArbitrationHook(Protocol):
    """Runs when the arbitrator of a double keying settles a case: `overruled` says, per keyer, how
    many of the fields they keyed the arbitrator did not take (inside the arbitration's transaction)."""

    def __call__(self, record: CivilRecord, overruled: dict[int, int], actor: Actor, /) -> None: ...


TRANSITION_HOOKS: list[TransitionHook] = []
ARBITRATION_HOOKS: list[ArbitrationHook] = []
DATA_SAVED_HOOKS: list[DataSavedHook] = []
LATE_SCAN_HOOKS: list[LateScanHook] = []
IMPORT_HOOKS: list[ImportHook] = []
APPROVAL_CHECKS: list[ApprovalCheck] = []
