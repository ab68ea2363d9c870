"""People of communes B and C and a walker that uses them (the shared world works in commune A)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock

import pytest
from django.utils import timezone

from config.demo import demo_scan_pdf
from scans.intake import scan_store
from tests.factories import distinct_birth_input, make_user
from workflows import services as wf

ORDER = ["collected", "scanned", "entered", "attached", "reviewed", "approved", "transferred"]


@pytest.fixture
def crew(world):
    """Clerk, reviewer and approver per commune (A from the world, B and C made here)."""
    return {
        world.commune_a.pk: (world.clerk, world.reviewer, world.approver),
        world.commune_b.pk: (
            world.outsider,
            make_user("reviewer_b", "reviewer", world.commune_b),
            world.approver_b,
        ),
        world.commune_c.pk: (
            make_user("clerk_c", "clerk", world.commune_c),
            make_user("reviewer_c", "reviewer", world.commune_c),
            make_user("approver_c", "approver", world.commune_c),
        ),
        world.district1.pk: (world.clerk_d1, world.reviewer_d1, world.approver_d1),
    }


def walk(record, state, crew):
    clerk, reviewer, approver = crew[record.unit_id]
    start = ORDER.index(record.state)
    target = ORDER.index(state)
    for step in ORDER[start + 1 : target + 1]:
        if step == "scanned":
            scan_store(record=record, actor=clerk, content=demo_scan_pdf(title="T", lines=["1"]))
            wf.record_scan(record=record, actor=clerk)
        elif step == "entered":
            wf.record_enter(record=record, actor=clerk, data=distinct_birth_input(record.pk))
        elif step == "attached":
            wf.record_attach(record=record, actor=clerk)
        elif step == "reviewed":
            wf.record_review(record=record, actor=reviewer)
        elif step == "approved":
            wf.record_approve(record=record, actor=approver)
        elif step == "transferred":
            wf.record_transfer(record=record, receipt="T")
    record.refresh_from_db()
    return record


def at(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(h, m)))


@contextmanager
def clock(when: dt.datetime):
    """Make `timezone.now()` (audit times, book creation, counters' days) return `when`."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield
