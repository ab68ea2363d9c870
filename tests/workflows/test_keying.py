"""Double keying with arbitration: two keyers, one arbitrator, the disagreement counted against the
keyer who was wrong; single entry unchanged where the setting is off."""

import dataclasses
import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections
from django.utils import timezone

from audit.models import AuditEvent
from config.demo import demo_scan_pdf
from registry.models import DigitizationPhase
from registry.services import book_double_keying_set, phase_double_keying_set
from reports.models import ActorDailyCount
from reports.selectors import productivity
from reports.services import progress_rebuild
from scans.intake import scan_store
from tests.factories import birth_input, make_user
from workflows import claims, inbox, services
from workflows.claims import ClaimRefused
from workflows.keying import keyer_counts, keying_arbitrate, keying_submit, normalized
from workflows.machine import TransitionRefused
from workflows.models import Keying, KeyingDisagreement, RecordTask


def open_task(record):
    return RecordTask.objects.filter(record=record, status__in=["NEW", "ASSIGNED"]).exclude(stage="").get()


def scanned_case(world, *, double=True):
    book = world.book(cases=1)
    if double:
        book_double_keying_set(book=book, actor=world.admin, double_keying=True, reason="Hợp đồng số hoá")
    record = book.records.get()
    scan_store(record=record, actor=world.clerk, content=demo_scan_pdf(title="TEST", lines=["1"]))
    services.record_scan(record=record, actor=world.clerk)
    record.refresh_from_db()
    return record


def key(record, user, data):
    task = open_task(record)
    claims.task_claim(task=task, actor=user)
    return keying_submit(record=record, actor=user, data=data)


def test_two_keyers_and_an_arbitrator(world):
    record = scanned_case(world)
    keyer_a, keyer_b, arbitrator = world.clerk, world.clerk2, world.reviewer
    assert open_task(record).stage == "enter"

    # Keyer A keys; the case waits for a second keying, not in A's queue, still empty
    assert key(record, keyer_a, birth_input("Nguyễn Văn Hòa", mother="Trần Thị Bình")) == "first"
    second = open_task(record)
    assert second.stage == "key_second"
    assert not inbox.queue_for(keyer_a).filter(pk=second.pk).exists()
    assert inbox.queue_for(keyer_b).filter(pk=second.pk).exists()
    with pytest.raises(ClaimRefused, match="You keyed this case already"):
        claims.task_claim(task=second, actor=keyer_a)
    with pytest.raises(TransitionRefused, match="You keyed this case already"):
        keying_submit(record=record, actor=keyer_a, data=birth_input())
    record.refresh_from_db()
    assert record.state == "scanned" and not record.parties.exists()

    # Keyer B: the names agree after normalization (case, spaces, tone placement) but the subject's
    # name loses its diacritics: one field disagrees
    b_data = birth_input("nguyen van hoa", mother="  trần  thị   bình ")
    assert key(record, keyer_b, b_data) == "arbitrate"
    rows = list(KeyingDisagreement.objects.filter(record=record))
    assert [r.field for r in rows] == ["party.subject.full_name"]
    assert (rows[0].value_a, rows[0].value_b) == ("Nguyễn Văn Hòa", "nguyen van hoa")
    task = open_task(record)
    assert (
        task.stage == "arbitrate" and RecordTask.objects.filter(record=record, stage="arbitrate").count() == 1
    )
    # Neither keyer arbitrates
    for keyer in (keyer_a, keyer_b):
        assert not inbox.queue_for(keyer).filter(pk=task.pk).exists()
        with pytest.raises(TransitionRefused, match="someone else arbitrates"):
            keying_arbitrate(record=record, actor=keyer, resolutions={"party.subject.full_name": "X"})
    assert inbox.queue_for(arbitrator).filter(pk=task.pk).exists()

    # The arbitrator picks keyer A's value: it is what is saved; the case is entered and goes to attach
    claims.task_claim(task=task, actor=arbitrator)
    keying_arbitrate(
        record=record, actor=arbitrator, resolutions={"party.subject.full_name": "Nguyễn Văn Hòa"}
    )
    record.refresh_from_db()
    assert record.state == "entered" and record.entered_by == arbitrator
    assert record.parties.get(role="subject").full_name == "Nguyễn Văn Hòa"
    assert record.parties.get(role="mother").full_name == "Trần Thị Bình"
    assert open_task(record).stage == "attach"
    row = KeyingDisagreement.objects.get(record=record)
    assert (row.right, row.resolved_value, row.arbitrator) == ("a", "Nguyễn Văn Hòa", arbitrator)

    # The disagreement counts against keyer B, not A
    now = timezone.now()
    counts = {
        c.user_id: c for c in keyer_counts(unit_path=record.unit_path, start=now - dt.timedelta(1), end=now)
    }
    assert (counts[keyer_a.pk].cases, counts[keyer_a.pk].disagreements, counts[keyer_a.pk].wrong) == (1, 1, 0)
    assert (counts[keyer_b.pk].cases, counts[keyer_b.pk].disagreements, counts[keyer_b.pk].wrong) == (1, 1, 1)
    assert counts[keyer_a.pk].fields > 10
    # ... and stands beside keyer B's work on the dashboards (quality per person, issue 17 item 4)
    today = timezone.localdate()
    people = {p.user_id: p for p in productivity(record.unit, today, today)}
    assert people[keyer_b.pk].keying_overruled == 1
    assert keyer_a.pk not in people or people[keyer_a.pk].keying_overruled == 0
    # Each keying and the arbitration are in the audit trail; the keyers may not review (four eyes)
    actions = list(AuditEvent.objects.filter(record_id_value=record.pk).values_list("action", flat=True))
    assert actions.count("keying_submit") == 2 and "keying_arbitrate" in actions
    services.record_attach(record=record, actor=world.clerk_d1)
    review = open_task(record)
    assert {keyer_a.pk, keyer_b.pk, arbitrator.pk} <= set(review.excluded_user_ids)


def test_agreeing_keyings_save_the_data_and_go_on_to_attach(world):
    record = scanned_case(world)
    key(record, world.clerk, birth_input(pin="001220012345"))
    assert key(record, world.clerk2, birth_input(pin="0012 2001 2345")) == "agreed"
    record.refresh_from_db()
    assert record.state == "entered" and record.entered_by == world.clerk2
    assert record.parties.get(role="subject").full_name == "Nguyễn Văn An"
    assert not KeyingDisagreement.objects.filter(record=record).exists()
    assert Keying.objects.filter(record=record).count() == 2
    assert open_task(record).stage == "attach"


def test_a_value_neither_keyer_typed_counts_against_both(world):
    record = scanned_case(world)
    key(record, world.clerk, birth_input(birth="02/03/2020"))
    key(record, world.clerk2, birth_input(birth="03/02/2020"))
    claims.task_claim(task=open_task(record), actor=world.reviewer)
    # Unsettled fields are refused by field; an invalid typed value by the same checks as entry
    with pytest.raises(Exception, match="Pick the first or the second"):
        keying_arbitrate(record=record, actor=world.reviewer, resolutions={})
    with pytest.raises(Exception):  # noqa: B017
        keying_arbitrate(
            record=record, actor=world.reviewer, resolutions={"party.subject.birth_date": "32/13/2020"}
        )
    keying_arbitrate(
        record=record, actor=world.reviewer, resolutions={"party.subject.birth_date": "04/03/2020"}
    )
    record.refresh_from_db()
    assert record.state == "entered"
    assert KeyingDisagreement.objects.get(record=record).right == "neither"
    now = timezone.now()
    counts = keyer_counts(unit_path=record.unit_path, start=now - dt.timedelta(1), end=now)
    assert [c.wrong for c in counts] == [1, 1]
    # Both keyers' overruled field is in their quality counters, and a rebuild from the trail agrees
    overruled = ActorDailyCount.objects.filter(action="keying_overruled")
    counted = sorted(overruled.values_list("actor_id", "n"))
    assert counted == sorted([(world.clerk.pk, 1), (world.clerk2.pk, 1)])
    progress_rebuild()
    assert sorted(overruled.values_list("actor_id", "n")) == counted


def test_single_entry_is_unchanged_without_the_setting(world):
    record = scanned_case(world, double=False)
    with pytest.raises(TransitionRefused, match="keyed once"):
        keying_submit(record=record, actor=world.clerk, data=birth_input())
    services.record_enter(record=record, actor=world.clerk, data=birth_input())
    record.refresh_from_db()
    assert record.state == "entered" and not Keying.objects.exists()


def test_a_double_keyed_case_cannot_be_entered_directly(world):
    record = scanned_case(world)
    with pytest.raises(TransitionRefused, match="keyed twice"):
        services.record_enter(record=record, actor=world.clerk, data=birth_input())
    with pytest.raises(TransitionRefused, match="keyed twice"):
        services.record_data_save(record=record, actor=world.clerk, data=birth_input())


def test_the_phase_setting_applies_unless_the_book_says_otherwise(world):
    with pytest.raises(PermissionDenied):
        phase_double_keying_set(number=1, double_keying=True, actor=world.clerk)
    book = world.book(cases=1)
    phase_double_keying_set(number=book.phase, double_keying=True, actor=world.admin)
    assert DigitizationPhase.objects.get(number=book.phase).double_keying
    book.refresh_from_db()
    assert book.double_keying_on()
    with pytest.raises(PermissionDenied):
        book_double_keying_set(book=book, actor=world.clerk, double_keying=False, reason="x")
    book_double_keying_set(book=book, actor=world.admin, double_keying=False, reason="Sổ ít trường hợp")
    book.refresh_from_db()
    assert not book.double_keying_on()
    assert AuditEvent.objects.filter(action__in=["book_keying_set", "phase_keying_set"]).count() == 2


def test_normalization_keeps_diacritics():
    assert normalized("party.subject.full_name", "Hòa") != normalized("party.subject.full_name", "Hoa")
    assert normalized("party.subject.full_name", " hoà ") == normalized("party.subject.full_name", "Hòa")
    assert normalized("registration_date", "2/3/2020") == normalized("registration_date", "02/03/2020")
    assert normalized("party.subject.pin", "0123 4567") != normalized("party.subject.pin", "123 4567")


@pytest.mark.django_db(transaction=True)
def test_two_people_cannot_both_take_the_second_keying():
    from tests.factories import make_world

    world = make_world()
    record = scanned_case(world)
    key(record, world.clerk, birth_input())
    third = make_user("clerk3_a", "clerk", world.commune_a)
    task = open_task(record)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def take(user):
        close_old_connections()
        try:
            barrier.wait()
            keying_submit(record=record, actor=user, data=dataclasses.replace(birth_input()))
            results.append("keyed")
        except (TransitionRefused, ClaimRefused) as exc:
            results.append(str(exc))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=take, args=(u,)) for u in (world.clerk2, third)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("keyed") == 1, results
    assert Keying.objects.filter(record=record, slot="b").count() == 1
    assert RecordTask.objects.get(pk=task.pk).status == "DONE"
