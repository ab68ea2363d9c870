"""Lawful re-registration (đăng ký lại): linked to its original both ways, never refused or closed as a
duplicate; a second re-registration, or an ordinary second registration, is still a duplicate."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from registry.matching import open_candidates
from registry.models import DuplicatePair, RegistrationType
from tests.factories import birth_input
from workflows import services as wf

pytestmark = pytest.mark.django_db


def _scanned(world):
    return world.walk(world.book(cases=1).records.get(), "scanned")


@pytest.fixture
def original(world):
    return world.record("approved", data=birth_input())


def test_an_ordinary_second_registration_is_still_refused_as_a_duplicate(world, original):
    second = _scanned(world)
    with pytest.raises(wf.DuplicateRecordError) as exc:
        wf.record_enter(record=second, actor=world.clerk, data=birth_input())
    assert "already registered" in exc.value.messages[0]
    assert f"re-registration (đăng ký lại) of record {original.pk}" in exc.value.messages[0]


def test_a_re_registration_is_saved_linked_both_ways_and_passes_approval(world, original):
    again = _scanned(world)
    wf.record_mark_reregistration(
        record=again, actor=world.clerk, original=original, reason="Đăng ký lại khai sinh"
    )
    again = wf.record_enter(record=again, actor=world.clerk, data=birth_input())
    assert again.reregistration_of == original
    assert list(original.reregistrations.all()) == [again]
    assert again.registration_type == RegistrationType.REREGISTRATION
    # Not a likely duplicate of its original: nothing blocks approval, nothing closes it.
    assert open_candidates(again) == []
    assert not DuplicatePair.objects.filter(status="open").exists()
    wf.record_attach(record=again, actor=world.clerk)
    wf.record_review(record=again, actor=world.reviewer)
    wf.record_approve(record=again, actor=world.approver)
    again.refresh_from_db()
    assert again.state == "approved"
    rows = AuditEvent.objects.filter(action="reregistration_mark")
    assert {(r.record_id_value, tuple(r.changes)) for r in rows} >= {
        (again.pk, ("original", "registration_type")),
        (original.pk, ("reregistration",)),
    }


def test_a_second_re_registration_of_the_same_original_is_refused_as_a_duplicate(world, original):
    first = _scanned(world)
    wf.record_mark_reregistration(record=first, actor=world.clerk, original=original, reason="Đăng ký lại")
    second = _scanned(world)
    with pytest.raises(wf.DuplicateRecordError) as exc:
        wf.record_mark_reregistration(
            record=second, actor=world.clerk, original=original, reason="Đăng ký lại"
        )
    assert f"already re-registered by record {first.pk}" in exc.value.messages[0]
    second.refresh_from_db()
    assert second.reregistration_of is None
    with pytest.raises(wf.DuplicateRecordError):
        wf.record_enter(record=second, actor=world.clerk, data=birth_input())


def test_a_re_registration_needs_a_reason_an_original_of_the_same_event_and_the_right_role(world, original):
    again = _scanned(world)
    with pytest.raises(ValidationError):
        wf.record_mark_reregistration(record=again, actor=world.clerk, original=original, reason="")
    with pytest.raises(ValidationError) as exc:
        wf.record_mark_reregistration(record=again, actor=world.clerk, original=again, reason="x")
    assert "itself" in exc.value.messages[0]
    death = world.record("collected", event_type="death")
    with pytest.raises(ValidationError) as exc:
        wf.record_mark_reregistration(record=death, actor=world.clerk, original=original, reason="x")
    assert "same event" in exc.value.messages[0]
    with pytest.raises(wf.NotPermitted):
        wf.record_mark_reregistration(record=again, actor=world.reviewer, original=original, reason="x")


def test_the_link_is_made_and_shown_on_both_record_pages(client, world, original):
    again = _scanned(world)
    client.force_login(world.clerk)
    page = client.get(reverse("record_detail", args=[again.pk])).content.decode()
    assert "Mark as re-registration" in page
    client.post(
        reverse("record_action", args=[again.pk, "reregister"]),
        {"original": original.pk, "reason": "Đăng ký lại khai sinh", "version": again.version},
    )
    again.refresh_from_db()
    assert again.reregistration_of_id == original.pk
    assert "Re-registration of" in client.get(reverse("record_detail", args=[again.pk])).content.decode()
    original_page = client.get(reverse("record_detail", args=[original.pk])).content.decode()
    assert "Re-registered by" in original_page and f"record {again.pk}" in original_page
    refused = client.post(
        reverse("record_action", args=[_scanned(world).pk, "reregister"]),
        {"original": original.pk, "reason": "Đăng ký lại"},
        follow=True,
    )
    assert "a second re-registration of the same record is a duplicate" in refused.content.decode()


def test_a_clerk_marks_a_re_registration_from_the_likely_duplicates(client, world):
    original = world.record("approved", data=birth_input(pin=""))
    # A marriage has no hard key: the pair shows as a likely duplicate, and the clerk settles it.
    first = world.record("approved", event_type="marriage", data=_marriage())
    second = world.record("entered", event_type="marriage", data=_marriage())
    assert [c.record_id for c in open_candidates(second)] == [first.pk]
    client.force_login(world.clerk)
    page = client.get(reverse("record_duplicates", args=[second.pk])).content.decode()
    assert f"Lawful re-registration of record {first.pk}" in page
    client.post(
        reverse("record_action", args=[second.pk, "reregister"]),
        {"original": first.pk, "reason": "Đăng ký lại kết hôn", "version": second.version},
    )
    second.refresh_from_db()
    assert second.reregistration_of_id == first.pk and second.state == "entered"
    assert open_candidates(second) == []
    assert original.state == "approved"


def _marriage():
    from tests.factories import event_input

    return event_input("marriage")
