"""The written condition report of the books: each defect kind counted per unit and in total, on the
page, in the Excel workbook and in the PDF; scoped to the user's subtree; downloads audited."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import AuditEvent
from registry.book_condition import ConditionChecklist
from registry.services import book_register
from reports.condition import condition_by_child

pytestmark = pytest.mark.django_db

PAGE = reverse("progress_condition")


@pytest.fixture
def books(world):
    """Commune A: torn and faded; water-damaged, 4 pages missing, to restore (phase 4); one not assessed.
    Commune B: torn; one without defects. Commune C: 2 pages missing, to restore."""

    def book(unit, no, checklist=None, year=2020, condition="worn"):
        return book_register(
            custodian=unit,
            event_type="birth",
            year=year,
            book_no=no,
            declared_cases=1,
            declared_pages=50,
            condition=condition,
            actor=world.admin,
            checklist=checklist,
        )

    return {
        "a1": book(world.commune_a, "A1", ConditionChecklist(torn=True, faded=True)),
        "a2": book(
            world.commune_a,
            "A2",
            ConditionChecklist(water_damaged=True, missing_page_numbers="5-8", needs_restoration=True),
            year=1990,
            condition="damaged",
        ),
        "a3": book(world.commune_a, "A3", condition="good"),
        "b1": book(world.commune_b, "B1", ConditionChecklist(torn=True)),
        "b2": book(world.commune_b, "B2", ConditionChecklist(), condition="good"),
        "c1": book(
            world.commune_c,
            "C1",
            ConditionChecklist(missing_page_count=2, needs_restoration=True),
            condition="damaged",
        ),
    }


def _row(rows, unit):
    return next(values for u, values in rows if u.pk == unit.pk)


EXPECTED_A = {
    "books": 3,
    "assessed": 2,
    "not_assessed": 1,
    "any_defect": 2,
    "torn": 1,
    "faded": 1,
    "water_damaged": 1,
    "missing_pages": 1,
    "needs_restoration": 1,
    "missing_page_total": 4,
}
EXPECTED_B = {"books": 2, "assessed": 2, "any_defect": 1, "torn": 1, "faded": 0, "missing_pages": 0}


def test_each_defect_kind_is_counted_per_unit_and_in_total(world, books):
    rows, total = condition_by_child(world.district1)
    assert [u.name for u, _v in rows] == ["Xã An", "Xã Bình"]
    assert _row(rows, world.commune_a).items() >= EXPECTED_A.items()
    assert _row(rows, world.commune_b).items() >= EXPECTED_B.items()
    rows, total = condition_by_child(world.province)
    assert (
        _row(rows, world.district2).items()
        >= {
            "books": 1,
            "missing_pages": 1,
            "missing_page_total": 2,
            "needs_restoration": 1,
        }.items()
    )
    assert (
        total.items()
        >= {
            "books": 6,
            "assessed": 5,
            "not_assessed": 1,
            "any_defect": 4,
            "torn": 2,
            "faded": 1,
            "water_damaged": 1,
            "missing_pages": 2,
            "needs_restoration": 2,
            "missing_page_total": 6,
            "good": 2,
            "worn": 2,
            "damaged": 2,
        }.items()
    )


def test_the_page_shows_the_counts_and_the_books_to_restore(client, world, books):
    client.force_login(world.admin)
    response = client.get(PAGE, {"unit": world.district1.pk})
    assert response.status_code == 200
    report = response.context["report"]
    assert _row(report.rows, world.commune_a).items() >= EXPECTED_A.items()
    assert report.total["torn"] == 2 and report.total["books"] == 5
    assert [b.book_no for b in report.to_restore] == ["A2"]
    page = response.content.decode()
    assert (
        "Books needing restoration before scanning" in page
        and reverse("book_detail", args=[books["a2"].pk]) in page
    )
    # The phase filter: phase 4 (1976–1998) holds only A2
    phased = client.get(PAGE, {"unit": world.district1.pk, "phase": 4}).context["report"]
    assert phased.total["books"] == 1 and phased.total["water_damaged"] == 1 and phased.total["torn"] == 0


def test_the_excel_workbook_counts_each_defect_kind_per_unit(client, world, books):
    client.force_login(world.admin)
    response = client.get(reverse("progress_condition_xlsx"), {"unit": world.province.pk})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Tổng hợp", "Sổ cần tu bổ", "Sổ có hư hỏng"]
    ws = wb["Tổng hợp"]
    table = [[c.value for c in row] for row in ws.iter_rows()]
    heads = next(row for row in table if row[0] == "Đơn vị")
    by_name = {row[0]: dict(zip(heads, row, strict=True)) for row in table if row[0]}
    assert by_name["Huyện Một"]["Rách"] == 2
    assert by_name["Huyện Một"]["Mất trang"] == 1 and by_name["Huyện Một"]["Tổng số trang bị mất"] == 4
    assert by_name["Huyện Hai"]["Cần tu bổ trước khi số hóa"] == 1
    total = by_name["Tổng cộng"]
    assert (total["Số sổ"], total["Đã đánh giá"], total["Chưa đánh giá"], total["Có hư hỏng"]) == (6, 5, 1, 4)
    assert (total["Rách"], total["Mờ, phai chữ"], total["Ẩm, ngấm nước"], total["Mất trang"]) == (2, 1, 1, 2)
    assert total["Cần tu bổ trước khi số hóa"] == 2 and total["Tổng số trang bị mất"] == 6
    restore = [
        row[1] for row in wb["Sổ cần tu bổ"].iter_rows(values_only=True) if row[0] in ("Xã An", "Xã Cát")
    ]
    assert restore == ["Sổ khai sinh 1990, quyển A2", "Sổ khai sinh 2020, quyển C1"]
    listed = [
        row[1]
        for row in wb["Sổ có hư hỏng"].iter_rows(values_only=True)
        if row[0] and row[0].startswith("Xã")
    ]
    assert len(listed) == 4
    (row,) = AuditEvent.objects.filter(action="export_condition_xlsx")
    assert row.actor_id == world.admin.pk and row.unit_id_value == world.province.pk


def test_the_written_report_is_a_pdf_with_header_summary_table_and_books_to_restore(client, world, books):
    client.force_login(world.admin)
    response = client.get(reverse("progress_condition_pdf"), {"unit": world.province.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in (
        "SỞ TƯ PHÁP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BÁO CÁO ĐÁNH GIÁ HIỆN TRẠNG SỔ HỘ TỊCH",
        "đang quản lý 6 (sáu) sổ hộ tịch",
        "đã đánh giá hiện trạng 5 (năm) sổ, chưa đánh giá 1 (một) sổ",
        "rách: 2 (hai) sổ",
        "Tổng số trang bị mất đã xác định được: 6 (sáu) trang",
        "Huyện Một",
        "Sổ khai sinh 1990, quyển A2",
        "NGƯỜI LẬP BÁO CÁO",
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(action="export_condition_pdf", actor=world.admin).count() == 1


def test_a_commune_user_sees_only_their_subtree(client, world, books):
    client.force_login(world.clerk)  # commune A
    response = client.get(PAGE)
    assert response.context["unit"] == world.commune_a
    assert response.context["report"].total["books"] == 3
    assert "B1" not in response.content.decode()
    for url in (PAGE, reverse("progress_condition_xlsx"), reverse("progress_condition_pdf")):
        assert client.get(url, {"unit": world.commune_b.pk}).status_code == 404
        assert client.get(url, {"unit": world.district1.pk}).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="export_condition").exists()


def test_a_bad_phase_is_a_message_not_an_error_page(client, world, books):
    client.force_login(world.admin)
    response = client.get(PAGE, {"unit": world.province.pk, "phase": "abc"})
    assert response.status_code == 200
    assert response.context["form"].errors["phase"]
    download = client.get(reverse("progress_condition_pdf"), {"unit": world.province.pk, "phase": "99"})
    assert download.status_code == 302


def test_the_progress_menu_links_the_condition_page(client, world, books):
    client.force_login(world.admin)
    page = client.get(reverse("progress_dashboard")).content.decode()
    assert f"{PAGE}?unit={world.province.pk}" in page
