"""Progress pages: scoping by unit, targets, inventory flags, downloads, query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from reports.models import DailyReport
from reports.selectors import books_to_check, quota_progress
from reports.services import quota_set, reports_freeze_due
from tests.reports.conftest import at, clock, walk
from workflows import services as wf


@pytest.fixture
def activity(world, crew):
    """Work in communes A, B and C and in the district's own books."""
    walk(world.book(world.commune_a, cases=2).records.first(), "approved", crew)
    walk(world.book(world.commune_b, cases=2).records.first(), "entered", crew)
    walk(world.book(world.commune_c, cases=3).records.first(), "scanned", crew)
    walk(world.book(world.district1, cases=1).records.first(), "scanned", crew)
    return world


def login(client, user):
    client.force_login(user)
    return client


def test_a_commune_sees_its_own_numbers_only(client, activity, world):
    login(client, world.clerk)
    page = client.get("/progress/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Xã An" in text and "Xã Bình" not in text and "Xã Cát" not in text
    assert page.context["totals"]["slots"] == 2
    for other in (world.commune_b, world.district1, world.province):
        assert client.get(f"/progress/?unit={other.pk}").status_code == 404
        assert client.get(f"/progress/inventory/?unit={other.pk}").status_code == 404
        assert client.get(f"/progress/statistics/?unit={other.pk}").status_code == 404


def test_a_district_sees_its_communes_and_not_the_others(client, activity, world):
    login(client, world.approver_d1)
    page = client.get("/progress/")
    names = [u.name for u, _ in page.context["by_child"]]
    assert names == ["Huyện Một", "Xã An", "Xã Bình"]
    assert page.context["totals"]["slots"] == 2 + 2 + 1
    assert client.get(f"/progress/?unit={world.commune_a.pk}").context["totals"]["slots"] == 2
    assert client.get(f"/progress/?unit={world.commune_c.pk}").status_code == 404
    assert client.get(f"/progress/?unit={world.province.pk}").status_code == 404


def test_the_province_sees_every_district(client, activity, world):
    login(client, world.auditor)
    page = client.get("/progress/")
    assert [u.name for u, _ in page.context["by_child"]] == ["Huyện Hai", "Huyện Một"]
    assert page.context["totals"]["slots"] == 8
    assert "<svg" in page.content.decode()
    fragment = client.get("/progress/?fragment=1")
    assert fragment.status_code == 200 and b"<html" not in fragment.content


def test_frozen_reports_are_scoped_and_downloadable(client, activity, world):
    day = timezone.localdate() + dt.timedelta(days=1)  # all of the work happened before its cut-off
    with clock(at(day, "18:30")):
        reports_freeze_due(days_back=0)
    district_report = DailyReport.objects.get(unit=world.district1, day=day)
    commune_a_report = DailyReport.objects.get(unit=world.commune_a, day=day)
    login(client, world.clerk)
    assert {r.unit_id for r in client.get("/progress/reports/").context["page"]} == {world.commune_a.pk}
    assert client.get(f"/progress/reports/{district_report.pk}/").status_code == 404
    assert client.get(f"/progress/reports/{district_report.pk}/xlsx/").status_code == 404
    login(client, world.approver_d1)
    units = {r.unit_id for r in client.get("/progress/reports/").context["page"]}
    assert units == {world.district1.pk, world.commune_a.pk, world.commune_b.pk}
    page = client.get(f"/progress/reports/{district_report.pk}/")
    assert page.status_code == 200 and "Xã Bình" in page.content.decode()
    response = client.get(f"/progress/reports/{commune_a_report.pk}/xlsx/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "Tổng hợp"
    assert AuditEvent.objects.filter(action="export_report_xlsx", actor=world.approver_d1).count() == 1


def test_targets_are_set_by_the_level_above_and_show_who_is_behind(client, world, crew):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="set by the level above"):
        quota_set(
            unit=world.commune_a, action="approve", target=5, start=today, end=today, actor=world.approver
        )
    with pytest.raises(ValidationError, match="set by the level above"):
        quota_set(unit=world.province, action="approve", target=5, start=today, end=today, actor=world.admin)
    quota_set(unit=world.commune_a, action="approve", target=2, start=today, end=today, actor=world.admin)
    quota_set(unit=world.commune_b, action="enter", target=4, start=today, end=today, actor=world.admin)
    quota_set(
        unit=world.district1,
        action="scan",
        target=20,
        per="period",
        start=today - dt.timedelta(days=9),
        end=today + dt.timedelta(days=10),
        actor=world.admin,
    )
    for record in world.book(world.commune_a, cases=2).records.all():
        walk(record, "approved", crew)
    walk(world.book(world.commune_b, cases=1).records.get(), "entered", crew)
    progress = {
        (p.quota.unit.name, p.quota.action): (p.due, p.done, p.behind)
        for p in quota_progress(world.province, today)
    }
    assert progress == {
        ("Xã An", "approve"): (2, 2, False),
        ("Xã Bình", "enter"): (4, 1, True),
        ("Huyện Một", "scan"): (10, 3, True),  # 10 of 20 days elapsed: 10 due
    }
    assert quota_progress(world.province, today)[0].quota.unit.name == "Xã Bình"  # furthest behind first
    login(client, world.admin)
    page = client.post(
        "/progress/quotas/",
        {
            "unit": world.commune_c.pk,
            "action": "enter",
            "per": "day",
            "target": "",
            "start": today.strftime("%d/%m/%Y"),
            "end": today.strftime("%d/%m/%Y"),
        },
    )
    assert page.status_code == 200 and page.context["form"].errors["target"]
    assert page.context["form"]["start"].value() == today.strftime("%d/%m/%Y")  # input kept
    login(client, world.clerk)
    page = client.get("/progress/quotas/")
    assert not page.context["can_set"]
    assert [p.quota.unit.name for p in page.context["progress"]] == ["Xã An"]


def test_a_finished_book_whose_count_differs_from_its_closing_total_is_flagged(world, crew):
    short = world.book(world.commune_a, cases=3, book_no="short")
    records = list(short.records.order_by("entry_no"))
    for record in records[:2]:
        walk(record, "entered", crew)
    assert books_to_check(world.commune_a) == []  # one case still waiting: not finished
    wf.record_reject(record=records[2], actor=world.approver, reason="Trang trống")
    fine = world.book(world.commune_a, cases=1, book_no="fine")
    walk(fine.records.get(), "entered", crew)
    flagged = books_to_check(world.province)
    assert [(f["book"].book_no, f["digitized"], f["difference"], f["why"]) for f in flagged] == [
        ("short", 2, -1, "digitized")
    ]


def test_inventory_and_statistics_pages(client, activity, world):
    login(client, world.admin)
    page = client.get("/progress/inventory/")
    rows = {
        (r.unit.name, r.event_type): (r.books, r.declared, r.states["remaining"])
        for r in page.context["rows"]
    }
    assert rows == {("Huyện Một", "birth"): (3, 5, 4), ("Huyện Hai", "birth"): (1, 3, 3)}
    page = client.get("/progress/statistics/", {"measure": "moves", "by": "person"})
    people = dict(page.context["rows"])
    assert people["clerk_a"]["enter"] == 1 and people["reviewer_a"]["review"] == 1
    page = client.get("/progress/statistics/", {"measure": "states", "by": "day"})
    assert "not per day or person" in page.content.decode()


def test_the_dashboard_costs_the_same_queries_for_more_work(client, world, crew):
    login(client, world.admin)
    walk(world.book(world.commune_a, cases=1).records.get(), "approved", crew)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/progress/").status_code == 200
    for unit in (world.commune_a, world.commune_b, world.commune_c, world.district1):
        for record in world.book(unit, cases=3).records.all():
            walk(record, "approved", crew)
    quota_set(
        unit=world.commune_a,
        action="approve",
        target=2,
        start=timezone.localdate(),
        end=timezone.localdate(),
        actor=world.admin,
    )
    with CaptureQueriesContext(connection) as large:
        assert client.get("/progress/").status_code == 200
    assert len(large) <= len(small) + 1  # + the targets query, which the small case skips
    assert not [q for q in large.captured_queries if "registry_civilrecord" in q["sql"]]


def test_dashboard_query_count(client, activity, world, django_assert_num_queries):
    login(client, world.admin)
    client.get("/progress/")
    # + the flagged scans (over the size limit, late scans waiting), + the rollout plan's lines,
    # + the people's own targets (none here: one query)
    with django_assert_num_queries(15):
        client.get("/progress/")
