"""The record lifecycle: the only place that decides which transition is legal.

    collected --scan--> scanned --enter--> entered --attach--> attached
        --review--> reviewed --approve--> approved --transfer--> transferred

`return_for_rework` sends an attached, reviewed or approved record back to entry
(state scanned) or to scanning (state collected); `reject` and `mark_duplicate`
close an open record; `cross_out` digitizes a case the registrar crossed out in
the book (before its data is attached; `restore` undoes a mistaken one); `amend`
reopens an approved or transferred record for review after an edit;
`transfer_refused` brings an approved record back to the approver when the
national database permanently refuses it.

Refusals raise `TransitionRefused` with a message for the user. The machine
never saves: services in `workflows.services` lock, call it and save.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from audit.actors import Actor
from registry.models import RecordState
from workflows.four_eyes import APPROVE, REVIEW, Authors, four_eyes_refusal


class TransitionRefused(Exception):
    """A transition that the rules do not allow; the message is for the user."""


OPEN = ("collected", "scanned", "entered", "attached", "reviewed", "approved")
# The states a case from an older system's export may be created in (no transition: the record
# is new): entered, so that it still goes through attach, review and approval; or approved, for
# an official, already-approved source (a province administrator's decision).
IMPORT_STATES = (RecordState.ENTERED.value, RecordState.APPROVED.value)


def import_state_check(state: str) -> None:
    """Refuse a state that an imported case may not be created in."""
    if state not in IMPORT_STATES:
        raise TransitionRefused(
            _("An imported case starts as entered or approved, not “%(state)s”.")
            % {"state": RecordState(state).label if state in RecordState.values else state}
        )


class RecordMachine(StateMachine):
    collected = State(value=RecordState.COLLECTED.value, initial=True)
    scanned = State(value=RecordState.SCANNED.value)
    entered = State(value=RecordState.ENTERED.value)
    attached = State(value=RecordState.ATTACHED.value)
    reviewed = State(value=RecordState.REVIEWED.value)
    approved = State(value=RecordState.APPROVED.value)
    transferred = State(value=RecordState.TRANSFERRED.value)
    rejected = State(value=RecordState.REJECTED.value, final=True)
    duplicate = State(value=RecordState.DUPLICATE.value, final=True)
    crossed_out = State(value=RecordState.CROSSED_OUT.value)

    scan = collected.to(scanned)
    enter = scanned.to(entered)
    attach = entered.to(attached)
    review = attached.to(reviewed, validators="four_eyes_review")
    approve = reviewed.to(approved, validators=["four_eyes_approve", "competent"])
    transfer = approved.to(transferred)
    return_for_rework = (
        attached.to(scanned, cond="to_entry", validators="has_reason")
        | reviewed.to(scanned, cond="to_entry", validators="has_reason")
        | approved.to(scanned, cond="to_entry", validators="has_reason")
        | attached.to(collected, cond="to_scan", validators="has_reason")
        | reviewed.to(collected, cond="to_scan", validators="has_reason")
        | approved.to(collected, cond="to_scan", validators="has_reason")
    )
    reject = (
        collected.to(rejected, validators="has_reason")
        | scanned.to(rejected, validators="has_reason")
        | entered.to(rejected, validators="has_reason")
        | attached.to(rejected, validators="has_reason")
        | reviewed.to(rejected, validators="has_reason")
        | approved.to(rejected, validators="has_reason")
    )
    mark_duplicate = (
        collected.to(duplicate, validators=["has_reason", "has_original"])
        | scanned.to(duplicate, validators=["has_reason", "has_original"])
        | entered.to(duplicate, validators=["has_reason", "has_original"])
        | attached.to(duplicate, validators=["has_reason", "has_original"])
        | reviewed.to(duplicate, validators=["has_reason", "has_original"])
        | approved.to(duplicate, validators=["has_reason", "has_original"])
    )
    cross_out = (
        collected.to(crossed_out, validators="has_reason")
        | scanned.to(crossed_out, validators="has_reason")
        | entered.to(crossed_out, validators="has_reason")
    )
    restore = crossed_out.to(scanned, cond="has_scan") | crossed_out.to(collected, unless="has_scan")
    amend = approved.to(attached, validators="has_reason") | transferred.to(attached, validators="has_reason")
    transfer_refused = approved.to(reviewed, validators="has_reason")

    # --- conditions and validators (receive the event's keyword arguments) ---------
    def to_entry(self, stage: str = "entry", **kwargs: Any) -> bool:
        return stage == "entry"

    def to_scan(self, stage: str = "entry", **kwargs: Any) -> bool:
        return stage == "scan"

    def has_scan(self, has_scan: bool = False, **kwargs: Any) -> bool:
        return has_scan

    def has_reason(self, reason: str = "", **kwargs: Any) -> None:
        if not (reason or "").strip():
            raise TransitionRefused(_("Give a reason: it is shown to the person who must act on it."))

    def has_original(self, original: Any = None, **kwargs: Any) -> None:
        if original is None:
            raise TransitionRefused(_("Name the record this one duplicates."))
        if original.pk == self.model.pk:
            raise TransitionRefused(_("A record cannot be a duplicate of itself."))

    def four_eyes_review(
        self, actor: Actor | None = None, authors: Authors | None = None, **kwargs: Any
    ) -> None:
        self._four_eyes(REVIEW, actor, authors)

    def four_eyes_approve(
        self, actor: Actor | None = None, authors: Authors | None = None, **kwargs: Any
    ) -> None:
        self._four_eyes(APPROVE, actor, authors)

    def _four_eyes(self, stage: str, actor: Actor | None, authors: Authors | None) -> None:
        """The one rule (`workflows.four_eyes`), over the authors the service read from the audit
        trail, and at least the people the record's columns name."""
        known = Authors.from_columns(self.model) | (authors or Authors())
        problem = four_eyes_refusal(
            stage=stage, user_id=actor.pk if actor is not None else None, authors=known
        )
        if problem:
            raise TransitionRefused(problem)

    def competent(self, competent: bool = True, **kwargs: Any) -> None:
        if not competent:
            raise TransitionRefused(
                _("This record is approved at %(level)s level; your approval role does not reach that level.")
                % {"level": self.model.get_competence_display()}
            )


class _Slot:
    """The model a cached machine is built on: it reads and writes the state of the record bound
    to it for the current call."""

    __slots__ = ("record",)

    def __init__(self) -> None:
        self.record: Any = None

    @property
    def state(self) -> Any:
        return self.record.state

    @state.setter
    def state(self, value: Any) -> None:
        self.record.state = value


class _Bound(threading.local):
    """One machine per thread, with the slot it reads the state through."""

    slot: _Slot | None = None
    machine: RecordMachine | None = None


_bound = _Bound()


def machine_for(record: Any) -> RecordMachine:
    """The record's machine: one per thread, built once (registering its callbacks costs ~1 ms,
    sending an event ~0.15 ms) and bound to `record` for this call.

    Between calls the machine keeps nothing but whether a final state stopped it: the state is
    read from and written to the bound record through `_Slot`, and the validators read the record
    as `self.model`. RecordMachine's callbacks are all its own methods (the record defines none of
    the names python-statemachine looks for on a model), so binding another record changes nothing
    else. The machine stays the only decider: this only spares rebuilding it per call.
    """
    if _bound.machine is None or _bound.slot is None or _bound.machine.is_terminated:
        # First call in this thread, or the last record reached a final state (rejected,
        # duplicate), which stops a machine for good: build a new one.
        _bound.slot = _Slot()
        _bound.slot.record = SimpleNamespace(state=RecordState.COLLECTED.value)
        _bound.machine = RecordMachine(_bound.slot, state_field="state")
    _bound.slot.record = record
    _bound.machine.model = record
    return _bound.machine


def apply_transition(record: Any, event: str, **kwargs: Any) -> None:
    """Run `event` on the record's machine, translating refusals into `TransitionRefused`."""
    machine = machine_for(record)
    try:
        machine.send(event, **kwargs)
    except TransitionNotAllowed:
        raise TransitionRefused(
            _("“%(event)s” is not possible while the record is “%(state)s”.")
            % {"event": EVENT_LABELS.get(event, event), "state": record.get_state_display()}
        ) from None


def allowed_events(record: Any) -> list[str]:
    """Events whose source state matches the record (conditions and validators not evaluated)."""
    return [e.id for e in machine_for(record).allowed_events]


EVENT_LABELS = {
    "scan": _l("Scan"),
    "enter": _l("Enter data"),
    "attach": _l("Attach scan"),
    "review": _l("Pass review"),
    "approve": _l("Approve"),
    "transfer": _l("Transfer"),
    "return_for_rework": _l("Return for rework"),
    "reject": _l("Reject"),
    "mark_duplicate": _l("Close as duplicate"),
    "amend": _l("Edit after approval"),
    "cross_out": _l("Crossed out in the book"),
    "restore": _l("Not crossed out: restore"),
    "transfer_refused": _l("Refused by the national database"),
}
