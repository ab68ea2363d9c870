"""Monthly, quarterly and yearly reports: frozen after the last cut-off, equal to the sum of the days."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.exports import period_report_xlsx, report_pdf
from reports.models import DailyReport, PeriodReport
from reports.selectors import report_summary
from reports.services import (
    period_bounds,
    period_report_freeze,
    periods_freeze_due,
    quota_set,
)
from tests.reports.conftest import at, clock, walk

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_period_bounds():
    assert period_bounds("month", dt.date(2026, 2, 14)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_bounds("month", dt.date(2024, 12, 31)) == (dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    assert period_bounds("quarter", dt.date(2026, 5, 9)) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert period_bounds("quarter", dt.date(2026, 12, 1)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert period_bounds("year", dt.date(2026, 7, 7)) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ValidationError):
        period_bounds("week", dt.date(2026, 7, 7))


@pytest.fixture
def march(world, crew):
    """Work on several days of March 2026 in communes A and C; a quota for commune A."""
    with clock(at(dt.date(2026, 2, 27), "10:00")):
        book_a = world.book(world.commune_a, cases=6)
        book_c = world.book(world.commune_c, cases=3)
    quota_set(
        unit=world.commune_a,
        action="scan",
        target=1,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 10),
        actor=world.admin,
    )
    ra, rc = list(book_a.records.order_by("entry_no")), list(book_c.records.order_by("entry_no"))
    for day, record, state in [
        (dt.date(2026, 3, 2), ra[0], "approved"),
        (dt.date(2026, 3, 2), rc[0], "scanned"),
        (dt.date(2026, 3, 15), ra[1], "entered"),
        (dt.date(2026, 3, 31), ra[2], "scanned"),
        (dt.date(2026, 4, 1), ra[3], "scanned"),  # next month: not in March
    ]:
        with clock(at(day, "09:00")):
            walk(record, state, crew)
    return ra, rc


def test_a_month_is_the_sum_of_its_days(world, march):
    with clock(at(dt.date(2026, 3, 31), "16:00")), pytest.raises(ValidationError, match="only after"):
        period_report_freeze(unit=world.province, kind="month", day=dt.date(2026, 3, 5))
    with clock(at(dt.date(2026, 4, 2), "08:00")):
        made = periods_freeze_due(days_back=3)
    assert {(r.unit.name, r.kind) for r in made} >= {("Tỉnh Thử", "month"), ("Xã An", "month")}
    province = PeriodReport.objects.get(unit=world.province, kind="month", start=MARCH[0])
    assert (province.start, province.end) == MARCH
    days = DailyReport.objects.filter(unit=world.province, day__range=MARCH)
    assert days.count() == 31
    month = report_summary(province).total
    moves = ["d_scan", "d_enter", "d_approve", "d_review", "d_attach"]
    for key in moves:
        assert month[key] == sum(report_summary(d).total[key] for d in days), key
    last_day = report_summary(days.get(day=MARCH[1])).total
    for key in ("books", "declared_cases", "st_scanned", "st_entered", "st_approved", "slots"):
        assert month[key] == last_day[key], key
    assert month["d_scan"] == 4 and month["d_approve"] == 1  # ra0, rc0, ra1, ra2 scanned in March
    # the quota asked 1 scan a day for ten days of March; commune A scanned 2 of them
    commune_a = PeriodReport.objects.get(unit=world.commune_a, kind="month", start=MARCH[0])
    target = commune_a.targets.get()
    assert (target.target, target.done) == (10, 3)
    # repeated runs change nothing
    with clock(at(dt.date(2026, 4, 3), "08:00")):
        assert periods_freeze_due(days_back=3) == []
    assert PeriodReport.objects.filter(unit=world.province, kind="month").count() == 1


def test_the_quarter_report_and_its_documents(world, march, client):
    with clock(at(dt.date(2026, 3, 31), "19:00")):
        quarter = period_report_freeze(unit=world.province, kind="quarter", day=dt.date(2026, 2, 1))
    assert (quarter.start, quarter.end) == (dt.date(2026, 1, 1), MARCH[1])
    workbook = load_workbook(io.BytesIO(period_report_xlsx(quarter)))
    assert workbook.sheetnames == [
        "Tổng hợp",
        "Cấp xã",
        "Cấp huyện",
        "Cấp tỉnh",
        "Theo loại và giai đoạn",
        "Kế hoạch – thực hiện",
    ]
    assert workbook["Tổng hợp"]["A1"].value == "BÁO CÁO TIẾN ĐỘ SỐ HÓA SỔ HỘ TỊCH QUÝ I/2026"
    communes = {row[0]: row for row in workbook["Cấp xã"].iter_rows(min_row=6, values_only=True) if row[0]}
    assert set(communes) >= {"Xã An", "Xã Cát", "Tổng cộng"}
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(report_pdf(quarter))).pages)
    assert "QUÝ I/2026" in text
    client.force_login(world.auditor)
    page = client.get("/progress/reports/?kind=quarter")
    listed = {r.unit.name for r, _ in page.context["rows"]}
    assert listed == {"Tỉnh Thử", "Huyện Một", "Huyện Hai", "Xã An", "Xã Bình", "Xã Cát"}
    assert client.get(f"/progress/periods/{quarter.pk}/").status_code == 200
    download = client.get(f"/progress/periods/{quarter.pk}/xlsx/")
    assert load_workbook(io.BytesIO(download.content)).sheetnames[0] == "Tổng hợp"
    assert download["Content-Disposition"].endswith('-20260101.xlsx"')
    client.force_login(world.outsider)  # commune B sees only its own
    assert client.get(f"/progress/periods/{quarter.pk}/").status_code == 404
    assert client.get(f"/progress/periods/{quarter.pk}/xlsx/").status_code == 404
