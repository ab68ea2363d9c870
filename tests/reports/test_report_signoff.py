"""Daily reports: every unit listed (not started too), the head's narrative, sign-off by the level above."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import AuditEvent
from reports.exports import report_pdf, report_xlsx
from reports.models import DailyReport
from reports.selectors import report_status, report_summary
from reports.services import report_confirm, report_narrative_save, report_return, reports_freeze_due
from tests.factories import make_unit
from tests.reports.conftest import at, clock, walk

DAY = dt.date(2026, 3, 10)
NARRATIVE = "Sổ năm 1998 bị ẩm mốc, cần phục chế trước khi quét.\nĐề nghị bổ sung 01 máy quét."


@pytest.fixture
def frozen(world, crew):
    """Commune A works; commune D (district 2) has registered no book; all reports of DAY frozen."""
    commune_d = make_unit("Xã Đông", "commune", world.district2)
    with clock(at(DAY - dt.timedelta(days=1), "10:00")):
        book_a = world.book(world.commune_a, cases=3)
        world.book(world.commune_c, cases=2)
    with clock(at(DAY, "09:00")):
        walk(book_a.records.order_by("entry_no").first(), "scanned", crew)
    with clock(at(DAY, "18:30")):
        reports_freeze_due(days_back=0)
    reports = {r.unit_id: r for r in DailyReport.objects.filter(day=DAY)}
    return reports, commune_d


def test_a_unit_without_books_is_listed_as_not_started(world, frozen, client, vietnamese):
    reports, commune_d = frozen
    assert commune_d.pk in reports and reports[commune_d.pk].started is False
    assert reports[world.commune_a.pk].started is True
    district2 = reports[world.district2.pk]
    rows = {u.name: v["books"] for u, v in report_summary(district2).by_child}
    assert rows == {"Xã Cát": 1, "Xã Đông": 0}
    client.force_login(world.admin)
    page = client.get(f"/progress/reports/{district2.pk}/").content.decode()
    assert "Xã Đông" in page
    assert "chưa bắt đầu" in page.lower()


def test_the_head_submits_and_the_level_above_confirms(world, frozen, client):
    reports, _ = frozen
    report = reports[world.commune_a.pk]
    client.force_login(world.clerk)  # a clerk is not the unit's head
    page = client.post(
        f"/progress/reports/{report.pk}/", {"action": "submit", "narrative": "x"}, follow=True
    ).content.decode()
    report.refresh_from_db()
    assert report.submitted_at is None and report.narrative == ""
    assert "Only the head of Xã An may write its report." in page

    client.force_login(world.approver)
    with clock(at(DAY, "19:00")):
        client.post(f"/progress/reports/{report.pk}/", {"action": "save", "narrative": NARRATIVE})
        report.refresh_from_db()
        assert report.narrative == NARRATIVE and report.submitted_at is None
        client.post(f"/progress/reports/{report.pk}/", {"action": "submit", "narrative": NARRATIVE})
    report.refresh_from_db()
    assert report.submitted_by == world.approver and not report.submitted_late
    # Submitted: the narrative can no longer be changed by the unit.
    with pytest.raises(ValidationError, match="submitted"):
        report_narrative_save(report=report, actor=world.approver, narrative="khác", submit=False)

    # The commune's approver holds nothing at the district: cannot confirm its own report.
    with pytest.raises(PermissionDenied):
        report_confirm(report=report, actor=world.approver)
    client.force_login(world.approver_d1)
    page = client.get(f"/progress/reports/{report.pk}/").content.decode()
    assert 'value="confirm"' in page and "Sổ năm 1998 bị ẩm mốc" in page
    with clock(at(DAY, "20:00")):
        client.post(f"/progress/reports/{report.pk}/", {"action": "confirm"})
    report.refresh_from_db()
    assert report.confirmed_by == world.approver_d1
    assert report_status(report)[0] == "confirmed"
    actions = list(
        AuditEvent.objects.filter(object_id=str(report.pk), action__startswith="report_")
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [
        ("report_narrative", "approver_a"),
        ("report_submit", "approver_a"),
        ("report_confirm", "approver_d1"),
    ]


def test_a_returned_report_goes_back_with_its_reason_and_a_late_submission_is_flagged(world, frozen):
    reports, _ = frozen
    report = reports[world.commune_a.pk]
    late = report.submit_deadline + dt.timedelta(hours=1)
    with clock(late):
        report_narrative_save(report=report, actor=world.approver, narrative="Ít việc.", submit=True)
    report.refresh_from_db()
    assert report.submitted_late
    assert report_status(report, late)[1] == "Submitted (late)"
    with pytest.raises(ValidationError, match="Say why"):
        report_return(report=report, actor=world.approver_d1, reason="  ")
    report_return(report=report, actor=world.approver_d1, reason="Ghi rõ số sổ cần phục chế.")
    report.refresh_from_db()
    assert report.submitted_at is None and report.returned_reason == "Ghi rõ số sổ cần phục chế."
    with pytest.raises(ValidationError, match="not submitted"):
        report_confirm(report=report, actor=world.approver_d1)
    report_narrative_save(
        report=report, actor=world.approver, narrative="Sổ 12/1998 cần phục chế.", submit=True
    )
    # The province admin holds the district too, but whoever submitted never confirms.
    report.refresh_from_db()
    report_confirm(report=report, actor=world.admin)
    assert DailyReport.objects.get(pk=report.pk).confirmed_by == world.admin


def test_unsubmitted_reports_become_overdue(world, frozen):
    reports, _ = frozen
    report = reports[world.commune_b.pk] if world.commune_b.pk in reports else reports[world.commune_c.pk]
    assert report_status(report, report.submit_deadline - dt.timedelta(minutes=1))[0] == "draft"
    assert report_status(report, report.submit_deadline + dt.timedelta(minutes=1))[0] == "overdue"


def test_the_province_report_rolls_up_the_narratives_below(world, frozen, client):
    reports, _ = frozen
    report_narrative_save(
        report=reports[world.commune_a.pk], actor=world.approver, narrative=NARRATIVE, submit=True
    )
    province = reports[world.province.pk]
    client.force_login(world.auditor)
    page = client.get(f"/progress/reports/{province.pk}/").content.decode()
    assert "Sổ năm 1998 bị ẩm mốc" in page and "Xã Đông" in page
    sheet = load_workbook(io.BytesIO(report_xlsx(province)))["Khó khăn, đề xuất"]
    rows = {row[0]: (row[1], row[2]) for row in sheet.iter_rows(min_row=6, values_only=True) if row[0]}
    assert rows["Xã An"][0].startswith("Đã gửi") and "ẩm mốc" in rows["Xã An"][1]
    assert rows["Xã Đông"][0].startswith("Chưa bắt đầu")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report_pdf(province))).pages)
    assert "Khó khăn, vướng mắc, đề xuất" in text and "ẩm mốc" in text


def test_a_too_long_narrative_is_refused_and_nothing_is_lost(world, frozen, client):
    reports, _ = frozen
    report = reports[world.commune_a.pk]
    report_narrative_save(report=report, actor=world.approver, narrative="Bản nháp.", submit=False)
    client.force_login(world.approver)
    response = client.post(f"/progress/reports/{report.pk}/", {"action": "submit", "narrative": "a" * 6000})
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.narrative == "Bản nháp." and report.submitted_at is None
    assert "a" * 100 in response.content.decode()  # what was typed is shown again to shorten
