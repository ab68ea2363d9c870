"""A day of work gives the expected frozen reports at commune, district and province level."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from reports.exports import SHEETS, report_pdf, report_xlsx
from reports.models import DailyReport
from reports.selectors import report_summary
from reports.services import report_freeze, reports_freeze_due
from tests.reports.conftest import at, clock, walk
from workflows import services as wf

DAY = dt.date(2026, 3, 10)
EVE = DAY - dt.timedelta(days=1)


@pytest.fixture
def day_of_work(world, crew):
    """Books registered the day before; work before and after the cut-offs of DAY."""
    with clock(at(EVE, "10:00")):
        a = world.book(world.commune_a, cases=5)
        c = world.book(world.commune_c, cases=3)
        d = world.book(world.district1, cases=2)
    ra = list(a.records.order_by("entry_no"))
    rc = list(c.records.order_by("entry_no"))
    rd = list(d.records.order_by("entry_no"))
    with clock(at(EVE, "16:00")):
        walk(ra[0], "approved", crew)  # before yesterday's cut-off: not in DAY's moves
    with clock(at(EVE, "17:30")):
        walk(ra[1], "scanned", crew)  # after yesterday's cut-off: counts for DAY
    with clock(at(DAY, "09:00")):
        walk(ra[2], "entered", crew)
        walk(rc[0], "approved", crew)
        walk(rd[0], "scanned", crew)
    with clock(at(DAY, "16:59")):
        b = world.book(world.commune_b, cases=2)
        rb = list(b.records.order_by("entry_no"))
        walk(rb[0], "scanned", crew)
    with clock(at(DAY, "17:05")):  # the scheduler's 17:00 run freezes the communes only
        frozen = reports_freeze_due(days_back=0)
    with clock(at(DAY, "17:10")):
        walk(ra[3], "scanned", crew)  # after the communes' cut-off
        walk(rd[1], "scanned", crew)  # before the district's cut-off: in the district's own line
        walk(rb[1], "scanned", crew)
    with clock(at(DAY, "18:40")):
        walk(rc[1], "scanned", crew)  # after every cut-off
        frozen += reports_freeze_due(days_back=0)
    return {"frozen": frozen, "a": ra, "b": rb, "c": rc, "d": rd}


def figures(report, *keys):
    total = report_summary(report).total
    return {k: total[k] for k in keys}


KEYS = (
    "books",
    "declared_cases",
    "slots",
    "d_collect",
    "d_scan",
    "d_enter",
    "d_approve",
    "st_collected",
    "st_scanned",
    "st_entered",
    "st_approved",
    "remaining",
    "done",
)


def test_each_level_reports_its_day_as_of_its_cut_off(world, day_of_work):
    reports = {r.unit_id: r for r in DailyReport.objects.filter(day=DAY)}
    assert set(reports) == {
        world.commune_a.pk,
        world.commune_b.pk,
        world.commune_c.pk,
        world.district1.pk,
        world.district2.pk,
        world.province.pk,
    }
    commune_a = reports[world.commune_a.pk]
    assert timezone.localtime(commune_a.cutoff_at).strftime("%H:%M") == "17:00"
    assert figures(commune_a, *KEYS) == {
        "books": 1,
        "declared_cases": 5,
        "slots": 5,
        "d_collect": 0,
        "d_scan": 2,
        "d_enter": 1,
        "d_approve": 0,
        "st_collected": 2,
        "st_scanned": 1,
        "st_entered": 1,
        "st_approved": 1,
        "remaining": 4,
        "done": 1,
    }
    # Commune B was frozen at 17:05 too: its 17:10 scan is not in it.
    assert figures(
        reports[world.commune_b.pk], "books", "d_collect", "d_scan", "st_scanned", "st_collected"
    ) == {"books": 1, "d_collect": 2, "d_scan": 1, "st_scanned": 1, "st_collected": 1}
    assert figures(reports[world.commune_c.pk], "d_scan", "d_approve", "st_approved", "st_collected") == {
        "d_scan": 1,
        "d_approve": 1,
        "st_approved": 1,
        "st_collected": 2,
    }
    district1 = reports[world.district1.pk]
    assert timezone.localtime(district1.cutoff_at).strftime("%H:%M") == "17:30"
    summary = report_summary(district1)
    rows = {u.name: (v["d_scan"], v["st_scanned"]) for u, v in summary.by_child}
    # Own books up to 17:30 (two scans, one at 17:10); communes exactly as they reported at 17:00.
    assert rows == {"Huyện Một": (2, 2), "Xã An": (2, 1), "Xã Bình": (1, 1)}
    assert figures(district1, "books", "declared_cases", "d_scan", "d_enter") == {
        "books": 3,
        "declared_cases": 9,
        "d_scan": 5,
        "d_enter": 1,
    }
    province = reports[world.province.pk]
    assert timezone.localtime(province.cutoff_at).strftime("%H:%M") == "18:00"
    assert [u.name for u, _ in report_summary(province).by_child] == ["Huyện Hai", "Huyện Một"]
    assert figures(
        province, "books", "declared_cases", "slots", "d_scan", "d_approve", "st_approved", "done"
    ) == {
        "books": 4,
        "declared_cases": 12,
        "slots": 12,
        "d_scan": 6,
        "d_approve": 1,
        "st_approved": 2,
        "done": 2,
    }


def test_a_frozen_report_does_not_change_when_work_continues(world, crew, day_of_work):
    report = DailyReport.objects.get(unit=world.commune_a, day=DAY)
    before = figures(report, *KEYS)
    with clock(at(DAY, "19:00")):
        walk(day_of_work["a"][4], "approved", crew)
        wf.record_reject(record=day_of_work["a"][3], actor=world.approver, reason="Trang trống")
        again = report_freeze(unit=world.commune_a, day=DAY)
    assert again.pk == report.pk
    assert figures(DailyReport.objects.get(pk=report.pk), *KEYS) == before


def test_a_late_run_reports_the_same_numbers_as_a_run_at_the_cut_off(world, crew, day_of_work):
    DailyReport.objects.filter(day=DAY).delete()
    with clock(at(DAY + dt.timedelta(days=1), "08:00")):
        walk(day_of_work["a"][4], "entered", crew)
        reports_freeze_due(days_back=1)
    commune_a = DailyReport.objects.get(unit=world.commune_a, day=DAY)
    assert figures(commune_a, "d_scan", "d_enter", "st_collected", "st_scanned", "st_entered") == {
        "d_scan": 2,
        "d_enter": 1,
        "st_collected": 2,
        "st_scanned": 1,
        "st_entered": 1,
    }
    assert figures(DailyReport.objects.get(unit=world.province, day=DAY), "d_scan", "done") == {
        "d_scan": 6,
        "done": 2,
    }


def test_a_report_cannot_be_frozen_before_its_cut_off(world):
    with clock(at(DAY, "16:00")), pytest.raises(ValidationError, match="only after its cut-off at 17:00"):
        report_freeze(unit=world.commune_a, day=DAY)
    assert not DailyReport.objects.exists()


def test_the_excel_file_has_the_expected_sheets_and_totals(world, day_of_work):
    province = DailyReport.objects.get(unit=world.province, day=DAY)
    wb = load_workbook(io.BytesIO(report_xlsx(province)))
    assert wb.sheetnames == SHEETS
    ws = wb["Tổng hợp"]
    assert ws["A1"].value == "BÁO CÁO TIẾN ĐỘ SỐ HÓA SỔ HỘ TỊCH"
    heads = [c.value for c in ws[5]]
    total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "Tổng cộng")
    got = dict(zip(heads, total, strict=True))
    assert (
        got["Số sổ"],
        got["Số trường hợp theo sổ"],
        got["Quét trong ngày"],
        got["Lũy kế đã phê duyệt"],
    ) == (4, 12, 6, 2)
    units = [row[0] for row in ws.iter_rows(min_row=6, values_only=True)]
    assert units == ["Huyện Hai", "Huyện Một", "Tổng cộng"]
    detail = [row[0] for row in wb["Chi tiết đơn vị"].iter_rows(min_row=6, values_only=True)]
    assert detail[-1] == "Tổng cộng" and {"Xã An", "Xã Bình", "Xã Cát", "Huyện Một"} <= set(detail)


@pytest.mark.slow
def test_the_pdf_is_a_pdf_with_the_units_in_it(world, day_of_work):
    from pypdf import PdfReader

    pdf = report_pdf(DailyReport.objects.get(unit=world.district1, day=DAY))
    assert pdf.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "BÁO CÁO TIẾN ĐỘ" in text and "Xã An" in text and "Tổng cộng" in text


def test_the_daily_job_anchors_the_audit_trail_and_each_report_prints_the_digest(world, crew, client):
    from audit.anchors import read_anchors
    from audit.verification import verify_chains
    from reports.tasks import freeze_due_reports

    with clock(at(EVE, "10:00")):
        book = world.book(world.commune_a, cases=2)
    with clock(at(DAY, "09:00")):
        walk(book.records.order_by("entry_no").first(), "scanned", crew)
    with clock(at(DAY, "16:30")):  # before the first cut-off: nothing yet
        freeze_due_reports.call(days_back=0)
    assert read_anchors() == ([], [])
    with clock(at(DAY, "17:05")):
        freeze_due_reports.call(days_back=0)
    with clock(at(DAY, "18:40")):  # later runs the same day write no second anchor
        freeze_due_reports.call(days_back=0)
    anchors, problems = read_anchors()
    assert len(anchors) == 1 and problems == []
    commune = DailyReport.objects.get(unit=world.commune_a, day=DAY)
    province = DailyReport.objects.get(unit=world.province, day=DAY)
    assert commune.audit_anchor == province.audit_anchor == anchors[0].short
    assert list(verify_chains(anchors=anchors)) == []

    client.force_login(world.admin)
    page = client.get(f"/progress/reports/{province.pk}/").content.decode()
    assert f"Audit trail anchor: <code>{anchors[0].short}</code> (written 10/03/2026 17:05" in page
    xlsx = load_workbook(io.BytesIO(report_xlsx(province)))
    line = f"Mốc nhật ký kiểm toán: {anchors[0].short} (ghi lúc 17:05 10/03/2026)"
    assert xlsx["Tổng hợp"]["A4"].value == line
