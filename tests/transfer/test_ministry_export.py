"""The Ministry's per-book Excel sheet and ZIP of scans, and their download."""

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from registry.ministry_format import columns_for, record_row, row_to_input, rows_from_sheet
from registry.record_data import clean_record_input, record_input_from
from scans.models import ScanFile
from tests.factories import birth_input, event_input
from transfer.exports import ministry_excel, ministry_records, ministry_zip
from transfer.models import ExportJob
from vietnamese.names import name_key

BIRTH_COLUMNS = [
    "so", "quyenSo", "trangSo", "ngayDangKy", "loaiDangKy", "noiDangKy", "nguoiKy", "chucVuNguoiKy",
    "nguoiThucHien", "ghiChu",
    "nksHoTen", "nksGioiTinh", "nksNgaySinh", "nksNgaySinhBangChu", "nksNoiSinh", "nksQueQuan", "nksDanToc",
    "nksQuocTich", "nksSoGiayToTuyThan",
    "meHoTen", "meNgaySinh", "meDanToc", "meQuocTich", "meNoiCuTru", "meSoGiayToTuyThan",
    "chaHoTen", "chaNgaySinh", "chaDanToc", "chaQuocTich", "chaNoiCuTru", "chaSoGiayToTuyThan",
]  # fmt: skip


def book_with(world, states, **kwargs):
    book = world.book(cases=len(states), **kwargs)
    for record, state in zip(book.records.order_by("entry_no"), states, strict=True):
        world.walk(record, state)
    return book


def test_the_excel_sheet_has_the_ministry_columns_and_one_row_per_approved_case(world):
    book = book_with(world, ["approved", "transferred", "approved", "entered"])
    content = ministry_excel(book=book, records=ministry_records(book))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == BIRTH_COLUMNS
    assert len(rows) == 1 + 3
    first = dict(zip(rows[0], rows[1], strict=True))
    record = book.records.get(entry_no=1)
    assert first["so"] == 1
    assert first["quyenSo"] == f"{book.book_no}/2020"
    assert first["ngayDangKy"] == "10.03.2020"
    subject, mother = record.subject(), record.parties.get(role="mother")
    born = subject.birth_date
    assert first["nksNgaySinh"] == f"{born.day:02d}.{born.month:02d}.2020"
    assert first["nksNgaySinhBangChu"].startswith("Ngày ")
    assert first["nksNgaySinhBangChu"].endswith(" năm hai nghìn không trăm hai mươi")
    assert first["nksHoTen"] == subject.full_name
    assert (first["nksGioiTinh"], first["loaiDangKy"]) == (1, 1)
    assert first["meHoTen"] == mother.full_name and first["meNgaySinh"] == "1995"


def test_death_and_marriage_sheets_carry_their_blocks():
    death = columns_for("death")
    for column in (
        "nktHoTen",
        "nktNgayChet",
        "nktGioPhutChet",
        "nktNoiChet",
        "nktNguyenNhanChet",
        "gbtLoai",
        "gbtSo",
        "gbtNgay",
        "gbtCoQuanCap",
    ):
        assert column in death
    marriage = columns_for("marriage")
    assert marriage[:10] == BIRTH_COLUMNS[:10]
    assert {"chongHoTen", "chongNgaySinh", "voHoTen", "voNgaySinh", "voNoiCuTru"} <= set(marriage)


def test_a_row_reads_back_into_the_same_data(world):
    data = birth_input(pin="001222012345", birth="02/03/2022", reg="10/03/2022")
    data.page_no = 7
    record = world.record("approved", data=data)
    row = record_row(record)
    again = row_to_input(row, "birth")
    assert (again.entry_no, again.page_no) == (record.entry_no, 7)
    assert clean_record_input(again.data, event_type="birth") == clean_record_input(
        record_input_from(record), event_type="birth"
    )
    assert again.data.parties["subject"]["pin"] == "001222012345"


def test_a_death_row_carries_the_notice_and_reads_back(world):
    record = world.record("approved", data=event_input("death"), event_type="death")
    row = record_row(record)
    assert (row["gbtLoai"], row["gbtSo"], row["gbtNgay"], row["gbtCoQuanCap"]) == (
        "Giấy báo tử",
        "12/GBT",
        "02.03.2020",
        "Trạm y tế xã An",
    )
    assert (row["nycHoTen"], row["nycQuanHe"]) == ("Nguyễn Văn Tài", "Con")
    again = row_to_input(row, "death").data
    assert again.details == record.details
    clean = clean_record_input(again, event_type="death")
    original = clean_record_input(record_input_from(record), event_type="death")
    assert (clean.event_date, clean.text, clean.details) == (
        original.event_date,
        original.text,
        original.details,
    )
    assert clean.parties[0] == original.parties[0]  # the deceased; the sheet has only the declarant's name


@pytest.mark.parametrize(
    ("written", "kind"),
    [("Giấy báo tử", "notice"), ("GIAY BAO TU", "notice"), ("replacement", "replacement")],
)
def test_the_kind_of_death_notice_is_read_from_words_or_code(written, kind):
    row = {"ngayDangKy": "10.03.2020", "nktHoTen": "Nguyễn Văn Lực", "gbtLoai": written}
    assert row_to_input(row, "death").data.details == {"notice_type": kind}


def test_an_unknown_kind_of_death_notice_is_reported_not_guessed():
    row = {"ngayDangKy": "10.03.2020", "nktHoTen": "Nguyễn Văn Lực", "gbtLoai": "Giấy khác"}
    data = row_to_input(row, "death").data
    with pytest.raises(ValidationError) as refused:
        clean_record_input(data, event_type="death")
    assert "details.notice_type" in refused.value.message_dict


def test_the_sheet_itself_reads_back(world):
    book = book_with(world, ["approved", "approved"])
    sheet = openpyxl.load_workbook(
        io.BytesIO(ministry_excel(book=book, records=ministry_records(book)))
    ).active
    values = list(sheet.iter_rows(values_only=True))
    rows = rows_from_sheet(values[0], values[1:])
    names = [row_to_input(r, "birth").data.parties["subject"]["full_name"] for r in rows]
    assert names == [r.subject().full_name for r in ministry_records(book)]


def test_the_zip_holds_one_pdf_per_case_named_by_the_rule(world):
    book = book_with(world, ["approved", "approved", "transferred"])
    first = book.records.get(entry_no=1)
    ScanFile.objects.filter(record=first).update(canonical_name="KS.2020.01.2020-03-10.01.pdf")
    content, missing = ministry_zip(book=book, records=ministry_records(book))
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    assert len(names) == 3 and missing == []
    assert "KS.2020.01.2020-03-10.01.pdf" in names
    third = book.records.get(entry_no=3)
    ascii_name = name_key(third.subject().full_name).title().replace(" ", "")
    assert f"KS.2020.{book.book_no}.0003.{ascii_name}.Nam.pdf" in names  # the naming rule of attach
    for name in names:
        assert archive.read(name).startswith(b"%PDF-")


def test_an_approver_downloads_the_sheet_and_the_download_is_logged(world, client):
    book = book_with(world, ["approved", "approved"])
    client.force_login(world.approver)
    response = client.get(reverse("transfer_ministry", args=[book.pk, "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert openpyxl.load_workbook(io.BytesIO(response.content)).active.max_row == 3
    event = AuditEvent.objects.get(action="export_ministry_xlsx")
    assert (event.actor_name, event.object_id, event.changes["records"]) == ("approver_a", str(book.pk), 2)


@pytest.mark.parametrize("who", ["clerk", "approver_b"])
def test_people_without_the_export_role_on_the_book_get_nothing(world, client, who):
    book = book_with(world, ["approved"])
    client.force_login(getattr(world, who))
    assert client.get(reverse("transfer_ministry", args=[book.pk, "zip"])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_id=str(book.pk)).exists()


def test_a_large_book_is_exported_in_the_background(world, client, settings):
    settings.EXPORT_INLINE_MAX_RECORDS = 1
    book = book_with(world, ["approved", "approved"])
    client.force_login(world.approver)
    response = client.get(reverse("transfer_ministry", args=[book.pk, "zip"]))
    assert response.status_code == 302
    job = ExportJob.objects.get(book=book)
    assert (job.status, job.record_count) == ("done", 2)  # ImmediateBackend in tests
    page = client.get(reverse("transfer_exports"))
    assert job.filename in page.content.decode()
    download = client.get(reverse("transfer_export_download", args=[job.pk]))
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()) == 2
    assert AuditEvent.objects.filter(action="download_export", object_id=str(job.pk)).exists()
    client.force_login(world.approver_b)
    assert client.get(reverse("transfer_export_download", args=[job.pk])).status_code == 404


def test_a_book_without_approved_cases_says_what_to_do(world, client):
    book = book_with(world, ["entered"])
    client.force_login(world.approver)
    response = client.get(reverse("transfer_ministry", args=[book.pk, "xlsx"]), follow=True)
    assert "has no approved cases yet: approve them first" in response.content.decode()


def test_text_that_looks_like_a_formula_stays_text(world):
    data = birth_input()
    data.text["note"] = '=HYPERLINK("http://example.invalid","x")'
    record = world.record("approved", data=data)
    content = ministry_excel(book=record.book, records=ministry_records(record.book))
    cell = openpyxl.load_workbook(io.BytesIO(content)).active["J2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://example.invalid","x")', "s")
