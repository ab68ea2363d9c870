"""The rollout plan: plan against actual, a projected-late unit with its reason, re-phasing books."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from registry.models import DigitizationPhase, RegisterBook
from reports.models import BookStateCount
from reports.plan import phase_limits_set, plan_rows, plan_set, units_at_risk
from tests.reports.conftest import at, clock, walk

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def progress(world, crew):
    """Commune A: 10 cases of phase 1, 2 approved in the last 14 days. Commune B: 2 cases, both approved."""
    year = 2020  # phase 1 (from 2016) in the seeded phases
    with clock(at(TODAY - dt.timedelta(days=40), "09:00")):
        book_a = world.book(world.commune_a, cases=10, year=year)
        book_b = world.book(world.commune_b, cases=2, year=year)
    with clock(at(TODAY - dt.timedelta(days=3), "10:00")):
        for record in list(book_a.records.order_by("entry_no"))[:2]:
            walk(record, "approved", crew)
        for record in book_a.records.order_by("entry_no")[2:7]:
            walk(record, "scanned", crew)
        for record in book_b.records.all():
            walk(record, "approved", crew)
    return book_a.phase


def test_plan_against_actual_names_the_unit_projected_late_and_why(world, progress):
    with pytest.raises(ValidationError, match="level above"):
        plan_set(unit=world.commune_a, phase=progress, year=2026, deadline=TODAY, actor=world.approver)
    plan_set(
        unit=world.commune_a, phase=progress, year=2026, deadline=dt.date(2026, 7, 31), actor=world.admin
    )
    plan_set(
        unit=world.commune_b, phase=progress, year=2026, deadline=dt.date(2026, 7, 31), actor=world.admin
    )
    plan_set(
        unit=world.commune_c, phase=progress, year=2026, deadline=dt.date(2026, 12, 31), actor=world.admin
    )
    rows = {r.plan.unit.name: r for r in plan_rows(world.province, TODAY)}
    a = rows["Xã An"]
    # 10 cases, 2 approved in 14 days (5 scanned wait for entry, 3 for scanning):
    # 8 left at 1/7 a day -> 56 days, after 31/07
    assert (a.total, a.done, a.remaining, a.pace) == (10, 2, 8, 0.14)
    assert a.projected == TODAY + dt.timedelta(days=56)
    assert a.status == "at_risk" and a.reason == "behind on data entry"
    assert (rows["Xã Bình"].status, rows["Xã Bình"].percent) == ("done", 100.0)
    assert rows["Xã Cát"].status == "not_started"
    assert [r.plan.unit.name for r in units_at_risk(world.province, TODAY)] == ["Xã An"]
    # past the deadline with work left: late
    assert {r.plan.unit.name: r.status for r in plan_rows(world.province, dt.date(2026, 8, 1))}[
        "Xã An"
    ] == "late"
    assert AuditEvent.objects.filter(action="plan_set").count() == 3


def test_the_plan_page_and_the_dashboard_show_the_risk(world, progress, client):
    plan_set(
        unit=world.commune_a, phase=progress, year=2026, deadline=dt.date(2026, 7, 31), actor=world.admin
    )
    client.force_login(world.admin)
    with clock(at(TODAY, "12:00")):
        page = client.get(f"/progress/plan/?unit={world.province.pk}")
        assert [r.status for r in page.context["rows"]] == ["at_risk"]
        dashboard = client.get(f"/progress/?unit={world.province.pk}")
    assert "Units at risk against the rollout plan" in dashboard.content.decode()
    response = client.post(
        f"/progress/plan/?unit={world.province.pk}",
        {
            "action": "plan",
            "unit": world.commune_b.pk,
            "phase": progress,
            "year": "2026",
            "deadline": "31/12/2025",
        },
    )
    assert response.status_code == 200 and "before the plan year" in response.content.decode()
    client.force_login(world.outsider)
    assert client.get(f"/progress/plan/?unit={world.province.pk}").status_code == 404


def test_changing_a_phase_s_years_moves_its_books_and_recounts(world, progress):
    book = RegisterBook.objects.filter(custodian=world.commune_a).first()
    assert (book.year, book.phase) == (2020, 1)
    with pytest.raises(PermissionDenied):
        phase_limits_set(number=2, year_from=2006, year_to=2020, actor=world.clerk)
    with pytest.raises(ValidationError, match="overlap"):
        phase_limits_set(number=2, year_from=2006, year_to=2020, actor=world.admin)
    # phase 1 now starts in 2021: the 2020 book belongs to no phase until phase 2 takes 2020
    assert book.pk in phase_limits_set(number=1, year_from=2021, year_to=None, actor=world.admin)
    book.refresh_from_db()
    assert book.phase is None
    moved = phase_limits_set(number=2, year_from=2006, year_to=2020, actor=world.admin)
    book.refresh_from_db()
    assert book.phase == 2 and book.pk in moved
    assert set(BookStateCount.objects.filter(book=book).values_list("phase", flat=True)) == {2}
    assert list(
        AuditEvent.objects.filter(action="book_rephase", object_id=str(book.pk))
        .order_by("id")
        .values_list("changes", flat=True)
    ) == [{"phase": [1, None]}, {"phase": [None, 2]}]
    assert DigitizationPhase.objects.get(number=2).year_to == 2020
