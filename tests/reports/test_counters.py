"""The progress counters follow every slot creation and transition, and a rebuild agrees with them."""

from django.utils import timezone

from reports.models import ActorDailyCount, BookStateCount, DailyCount, UnitDailyCount, UnitStateCount
from reports.services import progress_rebuild
from tests.reports.conftest import walk
from workflows import services as wf


def states(book=None):
    rows = BookStateCount.objects.all() if book is None else BookStateCount.objects.filter(book=book)
    out = {}
    for state, n in rows.values_list("state", "n"):
        out[state] = out.get(state, 0) + n
    return {s: n for s, n in out.items() if n}


def today(**filters):
    rows = DailyCount.objects.filter(day=timezone.localdate(), **filters)
    out = {}
    for action, n in rows.values_list("action", "n"):
        out[action] = out.get(action, 0) + n
    return out


def person(user):
    return dict(ActorDailyCount.objects.filter(actor=user).values_list("action", "n"))


def snapshot():
    return (
        sorted(
            BookStateCount.objects.exclude(n=0).values_list("book_id", "state", "n", "unit_path", "phase")
        ),
        sorted(DailyCount.objects.values_list("day", "unit_id", "event_type", "phase", "action", "n")),
        sorted(ActorDailyCount.objects.values_list("day", "unit_id", "actor_id", "action", "n")),
        sorted(UnitDailyCount.objects.values_list("day", "unit_id", "unit_path", "action", "n")),
        sorted(
            UnitStateCount.objects.exclude(n=0).values_list("unit_id", "event_type", "phase", "state", "n")
        ),
    )


def test_registering_a_book_counts_its_slots_as_collected(world):
    book = world.book(cases=5, year=2020)
    assert states(book) == {"collected": 5}
    row = BookStateCount.objects.get(book=book, state="collected")
    assert (row.unit_id, row.unit_path, row.event_type, row.phase, row.year) == (
        world.commune_a.pk,
        world.commune_a.path,
        "birth",
        1,
        2020,
    )
    assert today(unit=world.commune_a) == {"collect": 5}
    assert person(world.admin) == {"collect": 5}


def test_each_transition_moves_one_case_and_is_counted_for_the_day_and_the_person(world):
    record = world.record("approved")
    assert states(record.book) == {"approved": 1}
    unit_states = UnitStateCount.objects.filter(unit=world.commune_a).exclude(n=0)
    assert list(unit_states.values_list("event_type", "phase", "state", "n")) == [("birth", 1, "approved", 1)]
    assert today(unit=world.commune_a) == {
        "collect": 1,
        "scan": 1,
        "enter": 1,
        "attach": 1,
        "review": 1,
        "approve": 1,
    }
    assert person(world.clerk) == {"scan": 1, "enter": 1, "attach": 1}
    assert person(world.reviewer) == {"review": 1}
    assert person(world.approver) == {"approve": 1}
    assert dict(UnitDailyCount.objects.filter(unit=world.commune_a).values_list("action", "n")) == today(
        unit=world.commune_a
    )


def test_a_return_counts_against_the_person_whose_work_went_back(world):
    record = world.record("reviewed")
    wf.record_return(record=record, actor=world.approver, reason="Sai tên")
    assert states(record.book) == {"scanned": 1}
    assert person(world.clerk)["work_returned"] == 1
    assert person(world.approver) == {"return": 1}
    record = world.record("attached")
    wf.record_return(record=record, actor=world.reviewer, reason="Bản quét mờ", stage="scan")
    assert person(world.clerk)["work_returned"] == 2
    assert states(record.book) == {"collected": 1}


def test_closing_and_system_transfers_are_counted(world):
    record = world.record("transferred")
    blank = world.book(cases=1).records.get()
    wf.record_reject(record=blank, actor=world.approver, reason="Trang trống")
    assert states() == {"transferred": 1, "rejected": 1}
    assert today()["transfer"] == 1 and today()["reject"] == 1
    assert record.book_id != blank.book_id


def test_a_rebuild_from_records_and_audit_gives_the_same_counters(world, crew):
    world.record("approved")
    walk(world.book(world.commune_c, cases=1).records.get(), "transferred", crew)
    r = walk(world.book(world.commune_b, cases=2).records.first(), "reviewed", crew)
    wf.record_return(record=r, actor=world.approver_b, reason="Sai")
    world.book(cases=4, unit=world.district1)
    before = snapshot()
    progress_rebuild()
    assert snapshot() == before
