"""The state machine on its own, no database: which transitions exist and what they refuse."""

from types import SimpleNamespace

import pytest

from workflows.machine import RecordMachine, TransitionRefused, allowed_events, apply_transition


class FakeRecord(SimpleNamespace):
    def get_state_display(self):
        return self.state

    def get_competence_display(self):
        return self.competence


def record(state: str, **kw) -> FakeRecord:
    defaults = {"pk": 1, "state": state, "entered_by_id": 10, "reviewed_by_id": 20, "competence": "district"}
    return FakeRecord(**{**defaults, **kw})


ALICE = SimpleNamespace(pk=10)
BOB = SimpleNamespace(pk=20)
CAROL = SimpleNamespace(pk=30)

HAPPY_PATH = [
    ("collected", "scan", {}, "scanned"),
    ("scanned", "enter", {}, "entered"),
    ("entered", "attach", {}, "attached"),
    ("attached", "review", {"actor": BOB}, "reviewed"),
    ("reviewed", "approve", {"actor": CAROL}, "approved"),
    ("approved", "transfer", {}, "transferred"),
    ("attached", "return_for_rework", {"reason": "sai tên", "stage": "entry"}, "scanned"),
    ("reviewed", "return_for_rework", {"reason": "ảnh mờ", "stage": "scan"}, "collected"),
    ("approved", "return_for_rework", {"reason": "sai", "stage": "entry"}, "scanned"),
    ("entered", "reject", {"reason": "trang trống"}, "rejected"),
    ("approved", "amend", {"reason": "cải chính"}, "attached"),
    ("transferred", "amend", {"reason": "cải chính"}, "attached"),
    ("approved", "transfer_refused", {"reason": "thiếu trường"}, "reviewed"),
]


@pytest.mark.parametrize(("start", "event", "kwargs", "end"), HAPPY_PATH)
def test_every_legal_transition_reaches_its_state(start, event, kwargs, end):
    rec = record(start)
    apply_transition(rec, event, **kwargs)
    assert rec.state == end


def test_mark_duplicate_needs_the_original_and_not_itself():
    rec = record("entered")
    with pytest.raises(TransitionRefused, match="Name the record"):
        apply_transition(rec, "mark_duplicate", reason="trùng")
    with pytest.raises(TransitionRefused, match="itself"):
        apply_transition(rec, "mark_duplicate", reason="trùng", original=SimpleNamespace(pk=1))
    apply_transition(rec, "mark_duplicate", reason="trùng", original=SimpleNamespace(pk=2))
    assert rec.state == "duplicate"


ILLEGAL = [
    ("collected", "enter"),
    ("collected", "approve"),
    ("scanned", "attach"),
    ("entered", "review"),
    ("attached", "approve"),
    ("reviewed", "transfer"),
    ("transferred", "approve"),
    ("rejected", "scan"),
    ("duplicate", "enter"),
    ("rejected", "reject"),
    ("entered", "amend"),
]


@pytest.mark.parametrize(("start", "event"), ILLEGAL)
def test_illegal_transitions_are_refused_with_a_message_naming_the_state(start, event):
    rec = record(start)
    with pytest.raises(TransitionRefused) as excinfo:
        apply_transition(rec, event, reason="x", actor=CAROL)
    assert start in str(excinfo.value)
    assert rec.state == start


def test_whoever_entered_cannot_review():
    rec = record("attached", entered_by_id=ALICE.pk)
    with pytest.raises(TransitionRefused, match="four eyes"):
        apply_transition(rec, "review", actor=ALICE)
    assert rec.state == "attached"


def test_whoever_reviewed_cannot_approve():
    rec = record("reviewed", reviewed_by_id=BOB.pk)
    with pytest.raises(TransitionRefused, match="four eyes"):
        apply_transition(rec, "approve", actor=BOB)
    assert rec.state == "reviewed"


def test_approval_below_competence_is_refused():
    rec = record("reviewed")
    with pytest.raises(TransitionRefused, match="district level"):
        apply_transition(rec, "approve", actor=CAROL, competent=False)
    assert rec.state == "reviewed"


@pytest.mark.parametrize("event", ["return_for_rework", "reject", "amend"])
def test_reasons_are_required(event):
    start = {"return_for_rework": "attached", "reject": "scanned", "amend": "approved"}[event]
    rec = record(start)
    with pytest.raises(TransitionRefused, match="reason"):
        apply_transition(rec, event, reason="   ")
    assert rec.state == start


def test_allowed_events_follow_the_state():
    assert set(allowed_events(record("attached"))) == {
        "review",
        "return_for_rework",
        "reject",
        "mark_duplicate",
    }
    assert set(allowed_events(record("transferred"))) == {"amend"}
    assert allowed_events(record("rejected")) == []


def test_machine_never_saves():
    rec = record("collected")
    rec.save = lambda **kw: pytest.fail("the machine must not save")
    RecordMachine(rec, state_field="state").send("scan")
    assert rec.state == "scanned"


def test_one_machine_serves_records_one_after_another_even_after_a_final_state():
    # Given a record just rejected (a final state stops a state machine for good)
    closed = record("entered")
    apply_transition(closed, "reject", reason="trang trống")
    # When other records move next, in the same thread
    first, second = record("approved"), record("collected")
    apply_transition(first, "amend", reason="cải chính")
    apply_transition(second, "scan")
    # Then each moved from its own state, and the closed one refuses further events
    assert (closed.state, first.state, second.state) == ("rejected", "attached", "scanned")
    with pytest.raises(TransitionRefused, match="not possible"):
        apply_transition(closed, "scan")
    assert allowed_events(record("entered")) == ["attach", "reject", "mark_duplicate", "cross_out"]
