"""The daily report's sign-off at 390 and 1280 px: the head writes and submits; nothing scrolls sideways."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from reports.models import DailyReport
from reports.services import reports_freeze_due
from tests.e2e.pages import submit
from tests.e2e.test_inbox_browser import signed_in
from tests.factories import make_unit
from tests.reports.conftest import at, clock

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_head_submits_the_narrative_in_a_browser(world, live_server, browser, width, vietnamese):
    make_unit("Xã Đông", "commune", world.district2)
    with clock(at(DAY - dt.timedelta(days=1), "10:00")):
        world.book(world.commune_a, cases=2)
    with clock(at(DAY, "18:30")):
        reports_freeze_due(days_back=0)
    report = DailyReport.objects.get(unit=world.commune_a, day=DAY)
    page = signed_in(browser, live_server, world.approver.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/progress/reports/{report.pk}/")
    page.get_by_label("Khó khăn, vướng mắc, đề xuất").fill("Cần thêm 01 máy quét.")
    submit(page.get_by_role("button", name="Gửi cấp trên"))
    assert "Đã gửi báo cáo." in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots = Path(settings.BASE_DIR) / "var" / "screenshots" / "e2e"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"report-signoff-{width}.png"), full_page=True)
    report.refresh_from_db()
    assert report.narrative == "Cần thêm 01 máy quét." and report.submitted_by == world.approver
    # the district's page lists the commune's narrative and the commune that has not started
    page = signed_in(browser, live_server, world.admin.username)
    page.set_viewport_size({"width": width, "height": 900})
    district = DailyReport.objects.get(unit=world.district2, day=DAY)
    page.goto(f"{live_server.url}/progress/reports/{district.pk}/")
    assert "Xã Đông" in page.content() and "Chưa bắt đầu" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(shots / f"report-district-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_civil_data_statistics_page_fits_the_screen(world, live_server, browser, width, vietnamese):
    from reports.civil_stats import civil_stats_rebuild
    from tests.factories import distinct_birth_input
    from tests.reports.conftest import walk
    from workflows import services as wf

    book = world.book(world.commune_a, cases=2)
    crew = {world.commune_a.pk: (world.clerk, world.reviewer, world.approver)}
    for record in book.records.all():
        walk(record, "scanned", crew)
        wf.record_enter(record=record, actor=world.clerk, data=distinct_birth_input(record.pk))
    civil_stats_rebuild()
    page = signed_in(browser, live_server, world.admin.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/progress/civil-data/?unit={world.province.pk}&rows=unit&columns=sex")
    assert "Thống kê dữ liệu hộ tịch" in page.content()
    assert page.locator("table.civil-stats tfoot th").last.inner_text() == "2"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots = Path(settings.BASE_DIR) / "var" / "screenshots" / "e2e"
    page.screenshot(path=str(shots / f"civil-data-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_monthly_report_fits_the_screen(world, live_server, browser, width, vietnamese):
    from reports.services import period_report_freeze

    with clock(at(dt.date(2026, 2, 27), "10:00")):
        world.book(world.commune_a, cases=2)
    with clock(at(dt.date(2026, 3, 31), "19:00")):
        report = period_report_freeze(unit=world.province, kind="month", day=dt.date(2026, 3, 1))
    page = signed_in(browser, live_server, world.admin.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/progress/reports/?kind=month")
    assert "01/03/2026 – 31/03/2026" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.goto(f"{live_server.url}/progress/periods/{report.pk}/")
    assert "Tỉnh Thử" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots = Path(settings.BASE_DIR) / "var" / "screenshots" / "e2e"
    page.screenshot(path=str(shots / f"period-report-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_rollout_plan_page_fits_the_screen(world, live_server, browser, width, vietnamese):
    from reports.plan import plan_set

    world.book(world.commune_a, cases=3)
    plan_set(unit=world.commune_a, phase=1, year=2026, deadline=dt.date(2026, 12, 31), actor=world.admin)
    page = signed_in(browser, live_server, world.admin.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/progress/plan/?unit={world.province.pk}")
    assert "Kế hoạch triển khai" in page.content() and "Xã An" in page.content()
    form = page.locator("form:has(input[name=deadline])")
    form.locator("select[name=unit]").select_option(value=str(world.commune_b.pk))
    form.locator("input[name=deadline]").fill("31/12/2025")
    form.locator("input[name=year]").fill("2026")
    submit(page.get_by_role("button", name="Lưu kế hoạch"))
    assert "Thời hạn trước năm kế hoạch." in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots = Path(settings.BASE_DIR) / "var" / "screenshots" / "e2e"
    page.screenshot(path=str(shots / f"rollout-plan-{width}.png"), full_page=True)
