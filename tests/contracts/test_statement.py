"""The payment statement, its Excel and PDF, and the closing summary (issue 17, item 5)."""

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import AuditEvent
from contracts import services
from contracts.models import DefectKind, FindingKind, ItemKind, LotStatus
from contracts.services import FindingInput
from contracts.statements import payment_statement, statement_pdf, statement_xlsx

SCAN_BLUR = FindingInput(FindingKind.SCAN_DEFECT, DefectKind.ILLEGIBLE)


def decide(cw, records, *, bad: bool):
    """A lot of `records` handed over, sampled in full (lots of ≤ 5 at AQL 10: plan C, n = 5 capped at the
    lot, Ac 1 Re 2), every sampled case blurred when `bad`."""
    lot = services.lot_handover(contract=cw.contract, records=records, actor=cw.staff)
    services.lot_draw_sample(lot=lot, actor=cw.world.admin, seed=5)
    for case in lot.cases.filter(in_sample=True):
        services.case_inspect(lot_case=case, findings=[SCAN_BLUR] if bad else [], actor=cw.world.reviewer)
    return services.lot_decide(lot=lot, actor=cw.world.admin)


@pytest.fixture
def decided(cw):
    """Lot 1 accepted: 3 cases of a 2020 book and 2 of a 2012 book by the staff, 2 cases by the
    commune's own clerk (no volume for the contractor); lot 2 returned: 2 cases. A keying price for
    the 2012 book's phase."""
    world = cw.world
    book2020, book2012, clerk_book, bad_book = cw.book(3), cw.book(2, year=2012), cw.book(2), cw.book(2)
    assert book2020.phase != book2012.phase and book2012.phase is not None
    services.unit_price_set(
        contract=cw.contract, kind=ItemKind.CASE_KEYED, phase=book2012.phase, price=4_000, actor=world.admin
    )
    good = [*cw.work(book2020), *cw.work(book2012, by=cw.staff2), *cw.work(clerk_book, by=world.clerk)]
    accepted = decide(cw, good, bad=False)
    returned = decide(cw, cw.work(bad_book), bad=True)
    assert (accepted.status, returned.status) == (LotStatus.ACCEPTED, LotStatus.RETURNED)
    return accepted, returned


def test_the_statement_equals_the_hand_computation(cw, decided):
    statement = payment_statement(
        contract=cw.contract, date_from=timezone.localdate(), date_to=timezone.localdate()
    )
    # By hand: keyed 3 × 3.500 + 2 × 4.000 (the 2012 book's phase) = 18.500; pages 5 × 1.200 = 6.000;
    # attached 5 × 800 = 4.000; the clerk's 2 cases bring nothing; the returned lot nothing.
    assert [(line.kind, line.quantity, line.price, line.amount) for line in statement.lines] == [
        (ItemKind.CASE_KEYED, 3, 3_500, 10_500),
        (ItemKind.CASE_KEYED, 2, 4_000, 8_000),
        (ItemKind.PAGE_SCANNED, 5, 1_200, 6_000),
        (ItemKind.CASE_ATTACHED, 5, 800, 4_000),
    ]
    assert statement.total == statement.payable == 28_500
    assert statement.handed_over == {"case_keyed": 7, "page_scanned": 7, "case_attached": 7}
    assert statement.rejected == {"case_keyed": 2, "page_scanned": 2, "case_attached": 2}
    assert statement.accepted == {"case_keyed": 5, "page_scanned": 5, "case_attached": 5}
    assert [(r.lot.number, r.amount) for r in statement.lots] == [(1, 28_500), (2, 0)]
    assert statement.payable_words == "Hai mươi tám nghìn năm trăm đồng"


def test_the_ceiling_and_the_earlier_periods(cw, decided):
    accepted, _returned = decided
    # Given the accepted lot was decided last month and the ceiling is 30.000
    accepted.decided_at = timezone.now() - dt.timedelta(days=40)
    accepted.save(update_fields=["decided_at"])
    cw.contract.ceiling = 30_000
    cw.contract.save(update_fields=["ceiling"])
    today = timezone.localdate()
    now = payment_statement(contract=cw.contract, date_from=today - dt.timedelta(days=7), date_to=today)
    assert (now.total, now.previous, now.payable) == (0, 28_500, 0) and [r.lot.number for r in now.lots] == [
        2
    ]
    cw.contract.ceiling = 20_000
    cw.contract.save(update_fields=["ceiling"])
    whole = payment_statement(contract=cw.contract)
    assert (whole.total, whole.payable, whole.ceiling_left) == (28_500, 20_000, 0)


def test_the_excel_opens_and_the_pdf_renders(cw, decided, tmp_path):
    statement = payment_statement(contract=cw.contract)
    book = load_workbook(io.BytesIO(statement_xlsx(statement)))
    sheet = book["Bang ke thanh toan"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ("Tổng cộng", 28_500) in [(r[0], r[5]) for r in rows]
    assert ("Hồ sơ nhập liệu", "giai đoạn 2", 2, 4_000, 8_000) in [
        (r[0], r[1], r[3], r[4], r[5]) for r in rows
    ]
    assert [r[0] for r in book["Cac lo"].iter_rows(min_row=2, values_only=True)] == [1, 2]
    pdf = statement_pdf(statement)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in (
        "BIÊN BẢN NGHIỆM THU",
        cw.contract.number,
        "28.500",
        "Hai mươi tám nghìn năm trăm đồng",
        "ĐẠI DIỆN BÊN B",
    ):
        assert expected in text
    closing = statement_pdf(statement, closing=True)
    assert "BIÊN BẢN THANH LÝ HỢP ĐỒNG" in PdfReader(io.BytesIO(closing)).pages[0].extract_text()
    if shutil.which("pdftoppm"):  # it rasterizes, as a viewer would
        (tmp_path / "statement.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", tmp_path / "statement.pdf", tmp_path / "page"], check=True
        )
        assert sorted(p.name for p in tmp_path.glob("page-*.png")) == ["page-1.png", "page-2.png"]


def test_downloads_are_audited_and_closing_locks_the_staff_out(cw, decided):
    admin = Client()
    admin.force_login(cw.world.admin)
    url = reverse("contract_statement", args=[cw.contract.pk])
    xlsx = admin.get(url, {"date_from": "", "date_to": "", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    pdf = admin.get(url, {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export_statement", actor=cw.world.admin).count() == 2
    assert admin.post(reverse("contract_closing", args=[cw.contract.pk])).status_code == 302
    cw.contract.refresh_from_db()
    assert cw.contract.status == "closed"
    assert AuditEvent.objects.filter(action="contract_close").exists()
    staff = Client()
    staff.force_login(cw.staff)
    book_id = decided[0].cases.first().book_id_value
    assert staff.get(reverse("book_detail", args=[book_id])).status_code == 404
