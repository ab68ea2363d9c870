"""Targets per person ("rõ việc, rõ người"): who sets them, what counts, ahead/behind, the ranking for
commendation, their place in the frozen daily report, and the quality counts beside a person's work."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from audit.models import AuditEvent
from reports.exports import report_xlsx
from reports.models import Action, DailyReport
from reports.selectors import people_ranking, productivity
from reports.services import person_quality_count, quota_set, report_freeze
from tests.factories import make_user
from tests.reports.conftest import at, clock, walk
from workflows import services as wf

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def second_clerk(world):
    return make_user("clerk_a2", "clerk", world.commune_a)


def set_target(world, person, action, target, **kw):
    return quota_set(
        unit=world.commune_a,
        person=person,
        action=action,
        target=target,
        start=DAY,
        end=DAY,
        actor=world.admin,
        **kw,
    )


def test_a_person_target_is_set_by_who_manages_their_unit_and_only_for_its_staff(world, second_clerk):
    quota = set_target(world, world.clerk, "scan", 3)
    event = AuditEvent.objects.filter(action="quota_set").latest("seq")
    assert event.changes["person"] == world.clerk.pk and event.changes["target"] == [None, 3]
    # Setting it again replaces it (one target per person, measure and dates).
    set_target(world, world.clerk, "scan", 4)
    assert list(world.clerk.quotas.values_list("target", flat=True)) == [4]
    assert not type(quota).objects.filter(pk=quota.pk).exists()
    # Someone of another commune does not work in commune A.
    with pytest.raises(ValidationError) as refused:
        set_target(world, world.outsider, "scan", 3)
    assert "person" in refused.value.message_dict
    # A clerk manages nothing: they cannot set a target, not even their own.
    with pytest.raises(ValidationError) as refused:
        quota_set(
            unit=world.commune_a,
            person=world.clerk,
            action="scan",
            target=9,
            start=DAY,
            end=DAY,
            actor=world.clerk,
        )
    assert "unit" in refused.value.message_dict


def test_ranking_says_who_is_ahead_or_behind_and_who_exceeds_the_target(world, crew, second_clerk):
    crew[world.commune_a.pk] = (second_clerk, world.reviewer, world.approver)
    with clock(at(DAY - dt.timedelta(days=1), "09:00")):
        book = world.book(world.commune_a, cases=6)
    records = list(book.records.order_by("entry_no"))
    with clock(at(DAY, "09:00")):
        set_target(world, world.clerk, "scan", 2)
        set_target(world, world.clerk, "enter", 2)
        set_target(world, second_clerk, "scan", 2)
        # The first clerk scans 3 and enters 2: past both targets.
        crew_first = dict(crew)
        crew_first[world.commune_a.pk] = (world.clerk, world.reviewer, world.approver)
        for record in records[:3]:
            walk(record, "scanned", crew_first)
        for record in records[:2]:
            walk(record, "entered", crew_first)
        # The second clerk scans 1 of 2.
        walk(records[3], "scanned", crew)
        ranking = people_ranking(world.province, DAY)
    usernames = dict(get_user_model().objects.values_list("pk", "username"))
    assert [(usernames[p.person_id], p.rank, p.due, p.done, p.ahead, p.exceeds) for p in ranking] == [
        ("clerk_a", 1, 4, 5, 1, True),
        ("clerk_a2", 2, 2, 1, -1, False),
    ]
    # Work elsewhere (commune B's outsider) never counts; another province's view of commune B is empty.
    assert people_ranking(world.commune_b, DAY) == []


def test_the_daily_report_freezes_each_persons_target_and_the_excel_shows_it(world, crew):
    with clock(at(DAY - dt.timedelta(days=1), "09:00")):
        book = world.book(world.commune_a, cases=3)
    with clock(at(DAY, "09:00")):
        set_target(world, world.clerk, "scan", 2)
        quota_set(unit=world.commune_a, action="scan", target=5, start=DAY, end=DAY, actor=world.admin)
        walk(book.records.order_by("entry_no").first(), "scanned", crew)
    with clock(at(DAY, "17:05")):
        report = report_freeze(unit=world.commune_a, day=DAY)
    targets = {(t.person_id, t.action): (t.target, t.done, t.holder) for t in report.targets.all()}
    name = world.clerk.get_full_name() or world.clerk.username
    assert targets == {
        (None, "scan"): (5, 1, world.commune_a.name),
        (world.clerk.pk, "scan"): (2, 1, f"{name} ({world.commune_a.name})"),
    }
    workbook = load_workbook(io.BytesIO(report_xlsx(DailyReport.objects.get(pk=report.pk))))
    sheet = workbook.worksheets[3]
    rows = [tuple(c.value for c in row[:5]) for row in sheet.iter_rows() if row[0].value]
    assert (f"{name} ({world.commune_a.name})", "Quét", "mỗi ngày", 2, 1) in rows
    assert (world.commune_a.name, "Quét", "mỗi ngày", 5, 1) in rows


def test_quality_counts_stand_beside_the_persons_work(world, crew):
    with clock(at(DAY, "09:00")):
        book = world.book(world.commune_a, cases=2)
        walk(book.records.order_by("entry_no").first(), "entered", crew)
        person_quality_count(
            actor_id=world.clerk.pk, unit=world.commune_a, action=Action.KEYING_OVERRULED, n=2
        )
        person_quality_count(actor_id=world.clerk.pk, unit=world.commune_a, action=Action.ACCEPTANCE_ERROR)
        with pytest.raises(ValueError):
            person_quality_count(actor_id=world.clerk.pk, unit=world.commune_a, action=Action.ENTER)
        rows = {p.user_id: p for p in productivity(world.province, DAY, DAY)}
    clerk = rows[world.clerk.pk]
    assert (clerk.counts["enter"], clerk.keying_overruled, clerk.acceptance_errors) == (1, 2, 1)


def test_quota_page_sets_a_persons_target_and_lists_the_ranking(world, client):
    client.force_login(world.admin)
    page = client.get("/progress/quotas/")
    assert world.clerk in page.context["form"].fields["person"].queryset
    answer = client.post(
        "/progress/quotas/",
        {
            "unit": world.commune_a.pk,
            "person": world.clerk.pk,
            "action": "attach",
            "per": "day",
            "target": "7",
            "start": "01/01/2026",
            "end": "31/12/2030",
        },
    )
    assert answer.status_code == 302
    assert world.clerk.quotas.get().action == "attach"
    page = client.get(answer["Location"])
    assert [p.name for p in page.context["ranking"]] == [world.clerk.get_full_name() or world.clerk.username]
    assert "7" in page.content.decode()
    # The person of another commune is refused with the field's message, nothing saved.
    answer = client.post(
        "/progress/quotas/",
        {
            "unit": world.commune_a.pk,
            "person": world.outsider.pk,
            "action": "attach",
            "per": "day",
            "target": "7",
            "start": "01/01/2026",
            "end": "31/12/2030",
        },
    )
    assert answer.status_code == 200
    assert not world.outsider.quotas.exists()


def test_a_case_passed_in_review_and_returned_by_the_approver_counts_against_the_reviewer(world, crew):
    with clock(at(DAY, "09:00")):
        book = world.book(world.commune_a, cases=2)
        first, second = book.records.order_by("entry_no")
        walk(first, "reviewed", crew)
        walk(second, "reviewed", crew)
        wf.record_return(record=first, actor=world.approver, reason="Sai ngày sinh so với sổ")
        people = {p.user_id: p for p in productivity(world.province, DAY, DAY)}
    reviewer = people[world.reviewer.pk]
    assert (reviewer.counts["review"], reviewer.counts["review_missed"], reviewer.review_missed_rate) == (
        2,
        1,
        50.0,
    )
    # The clerk's entry went back too (their return rate), the approver is not counted as missing anything
    assert people[world.clerk.pk].counts["work_returned"] == 1
    assert "review_missed" not in people[world.approver.pk].counts
