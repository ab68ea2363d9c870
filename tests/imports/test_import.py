"""Legacy import: Ministry round trip, legacy encodings, bad files, duplicates, re-import, permissions."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from audit.models import AuditEvent
from audit.verification import verify_chains
from imports import reading
from imports.models import ImportJob, ImportRow, ImportStatus, RowStatus
from imports.services import (
    import_job_check,
    import_job_commit,
    import_job_create,
    import_job_start_commit,
    legacy_import,
)
from registry.ministry_format import columns_for, record_row
from registry.models import CivilRecord, DuplicatePair, Party, RegisterBook
from tests.factories import birth_input
from transfer.exports import ministry_excel, ministry_records
from vietnamese.legacy_encodings import TCVN3, VNI, from_unicode

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn Hùng", "Trần Thị Thuỷ", "Lê Quốc Việt", "Phạm Thị Ngọc Mai", "Đặng Hữu Phước"]


def birth_rows(names=NAMES, *, year=2005, start=1):
    rows = []
    for i, name in enumerate(names, start=start):
        row = dict.fromkeys(columns_for("birth"), "")
        row.update({
            "so": i, "quyenSo": f"01/{year}", "trangSo": i, "ngayDangKy": f"{10 + i % 15:02d}.03.{year}",
            "loaiDangKy": 1, "noiDangKy": "UBND xã Hòa Bình", "nguoiKy": "Lê Văn Cường",
            "chucVuNguoiKy": "Chủ tịch", "nksHoTen": name, "nksGioiTinh": 2 if "Thị" in name else 1,
            "nksNgaySinh": f"{1 + i % 28:02d}.{1 + (i // 28) % 12:02d}.{year - 1}",
            "nksDanToc": "Kinh", "nksQuocTich": "Việt Nam",
            "meHoTen": f"Hoàng Thị Lan {chr(64 + i % 26 + 1)}", "meNgaySinh": "1980",
        })  # fmt: skip
        rows.append(row)
    return rows


def write_csv(tmp_path, rows, *, name="book.csv", encoding="utf-8", delimiter=",", legacy=None, header=True):
    columns = list(rows[0]) if rows else columns_for("birth")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([from_unicode(str(row[c]), legacy) if legacy else row[c] for c in columns])
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def upload(world, path, *, actor=None, **kwargs):
    with path.open("rb") as handle:
        return import_job_create(actor=actor or world.clerk, unit=world.commune_a, event_type="birth",
                                 upload=handle, original_name=path.name, **kwargs)  # fmt: skip


def names_in_db():
    return sorted(
        CivilRecord.objects.filter(parties__role="subject").values_list("parties__full_name", flat=True)
    )


class TestRoundTrip:
    def test_a_book_exported_in_the_ministry_format_imports_back_identical(
        self, world, tmp_path, django_db_blocker
    ):
        # Given an approved book exported as the Ministry sheet
        book = world.book(cases=2, year=2020)
        for record, name in zip(
            book.records.order_by("entry_no"), ["Nguyễn Văn Hùng", "Trần Thị Thuỷ"], strict=False
        ):
            world.walk(record, "approved", data=birth_input(name=name))
        records = list(ministry_records(book))
        before = [record_row(r) for r in records]
        path = tmp_path / "export.xlsx"
        path.write_bytes(ministry_excel(book=book, records=records))
        # When the database is emptied of records and the sheet is imported as approved by the province admin
        from tests.imports.cleaning import wipe_records

        wipe_records()
        job = legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.admin,
                            target_state="approved")  # fmt: skip
        # Then the records are identical, row for row
        assert job.committed_rows == 2
        book = RegisterBook.objects.get(custodian=world.commune_a, book_no=book.book_no, year=2020)
        after = [record_row(r) for r in ministry_records(book)]
        assert after == before
        assert set(CivilRecord.objects.values_list("state", flat=True)) == {"approved"}
        # and each record's audit trail says it was imported as approved, from which file and row
        events = AuditEvent.objects.filter(action="import").order_by("record_id_value")
        assert [e.record_id_value for e in events] == sorted(CivilRecord.objects.values_list("pk", flat=True))
        assert {(e.changes["imported_as"], e.changes["file"]) for e in events} == {
            ("approved", "export.xlsx")
        }
        assert sorted(e.changes["row"] for e in events) == [2, 3]  # the sheet rows under its header
        assert all("already-approved source" in e.reason for e in events)
        assert list(verify_chains()) == []


class TestLegacyEncodings:
    @pytest.mark.parametrize("legacy", [TCVN3, VNI])
    def test_a_legacy_encoded_csv_imports_with_correct_vietnamese_names(
        self, world, tmp_path, legacy, django_capture_on_commit_callbacks
    ):
        # Given a CSV typed in an old font, written as Windows-1252 bytes
        path = write_csv(tmp_path, birth_rows(), encoding="cp1252", legacy=legacy)
        # When it is uploaded, the preview shows the columns detected in that encoding
        job = upload(world, path)
        assert job.text_encoding == "cp1252"
        assert job.column_encodings["nksHoTen"] == legacy
        import_job_check(job.pk)
        job.refresh_from_db()
        assert job.error_rows == 0, list(ImportRow.objects.filter(job=job).values_list("problems", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            import_job_start_commit(job=job, actor=world.clerk)
        # Then the names are stored in NFC Unicode exactly
        assert names_in_db() == sorted(NAMES)
        assert set(CivilRecord.objects.values_list("state", flat=True)) == {"entered"}

    def test_nfd_and_cp1258_files_become_nfc(self, world, tmp_path):
        import unicodedata

        nfd = [unicodedata.normalize("NFD", n) for n in NAMES]
        path = write_csv(tmp_path, birth_rows(nfd), encoding="utf-8")
        legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.clerk)
        assert names_in_db() == sorted(NAMES)

    def test_a_file_in_no_known_encoding_asks_the_user(self, world, tmp_path):
        path = tmp_path / "odd.csv"
        path.write_bytes(b"so,nksHoTen\n1," + bytes([0x81, 0x8D, 0x8F, 0x90]) + b"\n")
        job = upload(world, path)
        assert "Choose its encoding" in job.message
        assert job.status == ImportStatus.UPLOADED


class TestBadInput:
    def assert_refused(self, world, path, message):
        with pytest.raises(reading.ImportFileError, match=message):
            legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.clerk)
        assert CivilRecord.objects.count() == 0

    def test_empty_file(self, world, tmp_path):
        path = tmp_path / "empty.csv"
        path.write_bytes(b"")
        self.assert_refused(world, path, "The file is empty")

    def test_wrong_delimiter(self, world, tmp_path):
        path = write_csv(tmp_path, birth_rows(), delimiter="|")
        self.assert_refused(world, path, "Only one column was found.*“\\|”")

    def test_missing_header(self, world, tmp_path):
        path = write_csv(tmp_path, birth_rows(), header=False)
        self.assert_refused(world, path, "The first line holds data")

    def test_a_row_with_300_columns(self, world, tmp_path):
        path = write_csv(tmp_path, birth_rows())
        with path.open("a") as handle:
            handle.write(",".join(["x"] * 300) + "\n")
        self.assert_refused(world, path, "Row 7 has 300 cells but the header has")

    def test_formulas_in_excel_cells_are_reported_per_row_and_nothing_half_imported(self, world, tmp_path):
        rows = birth_rows()
        rows[1]["nksHoTen"] = '=HYPERLINK("http://x","Trần")'
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append(list(row.values()))
        path = tmp_path / "book.xlsx"
        workbook.save(path)
        job = upload(world, path)
        import_job_check(job.pk)
        job.refresh_from_db()
        assert job.error_rows == 1
        problem = ImportRow.objects.get(job=job, row_no=3).problems[0]
        assert problem[0] == "nksHoTen" and "formula" in problem[1] and "Paste Special" in problem[2]
        with pytest.raises(ValidationError, match="1 rows have problems"):
            import_job_start_commit(job=job, actor=world.clerk)
        assert CivilRecord.objects.count() == 0

    def test_dates_in_mixed_formats(self, world, tmp_path):
        rows = birth_rows()
        rows[0]["nksNgaySinh"] = "2005-02-02"  # ISO, from a database export
        rows[1]["nksNgaySinh"] = "03/02/2005"
        rows[2]["nksNgaySinh"] = "02/30/2005"  # month/day order: refused, not guessed
        path = write_csv(tmp_path, rows)
        job = upload(world, path)
        import_job_check(job.pk)
        bad = ImportRow.objects.get(job=job, status=RowStatus.INVALID)
        assert bad.row_no == 4 and bad.problems[0][0] == "nksNgaySinh"
        assert "month 30 does not exist" in bad.problems[0][1]
        assert ImportRow.objects.filter(job=job, status=RowStatus.VALID).count() == 4


def _footprint() -> dict[str, int]:
    from transfer.models import TransferItem
    from workflows.models import RecordProcess, RecordTask

    return {
        "records": CivilRecord.objects.count(),
        "people": Party.objects.count(),
        "processes": RecordProcess.objects.count(),
        "tasks": RecordTask.objects.count(),
        "record audit rows": AuditEvent.objects.filter(record_id_value__isnull=False).count(),
        "pairs": DuplicatePair.objects.count(),
        "outbox": TransferItem.objects.count(),
    }


class TestDuplicatesAndReimport:
    def test_reimporting_the_same_file_creates_nothing_new(self, world, tmp_path):
        path = write_csv(tmp_path, birth_rows())
        legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.clerk)
        before = _footprint()
        job = legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.clerk)
        assert CivilRecord.objects.count() == 5
        assert job.committed_rows == 0
        assert ImportRow.objects.filter(job=job, status=RowStatus.ALREADY).count() == 5
        # no record, person, work item, audit row of a record, duplicate pair or outbox item either
        assert _footprint() == before

    def test_hard_duplicates_in_the_file_and_database_are_refused_with_the_row(self, world, tmp_path):
        rows = birth_rows()
        rows.append({**rows[0], "so": 6})  # same person again
        rows.append({**rows[1], "nksHoTen": "Bùi Văn Khang"})  # same entry number
        path = write_csv(tmp_path, rows)
        job = upload(world, path)
        import_job_check(job.pk)
        problems = {r.row_no: r.problems[0][1] for r in ImportRow.objects.filter(job=job, status="invalid")}
        assert "Row 2 registers the same person" in problems[7]
        assert "Row 3 already has entry no. 2" in problems[8]

    def test_likely_duplicates_go_to_the_resolution_queue(self, world, tmp_path):
        existing = world.record(
            "entered",
            data=birth_input(
                name="Nguyễn Văn Hùng", birth="02/01/2019", reg="10/03/2020", mother="Hoàng Thị Lan B"
            ),
        )
        rows = birth_rows(["Nguyen Van Hung"], year=2020)  # the same child typed without diacritics
        job = legacy_import(write_csv(tmp_path, rows), unit=world.commune_a, event_type="birth",
                            actor=world.clerk)  # fmt: skip
        assert job.committed_rows == 1
        imported = CivilRecord.objects.exclude(pk=existing.pk).get(state="entered")
        pair = DuplicatePair.objects.get()
        assert {pair.record_low_id, pair.record_high_id} == {existing.pk, imported.pk}
        assert pair.status == "open"

    def test_a_likely_duplicate_of_a_row_in_an_earlier_batch_is_found_and_queued(
        self, world, tmp_path, monkeypatch
    ):
        # Given a file whose 4th case is the 1st typed again without diacritics, in batches of 2
        from imports import services

        monkeypatch.setattr(services, "BATCH", 2)
        rows = birth_rows(["Nguyễn Văn Hùng", "Trần Thị Thuỷ", "Lê Quốc Việt"])
        rows.append({**rows[0], "so": 4, "trangSo": 4, "nksHoTen": "Nguyen Van Hung"})
        job = upload(world, write_csv(tmp_path, rows))
        # When it is checked, the row is flagged with the earlier row as its candidate
        import_job_check(job.pk)
        flagged = ImportRow.objects.get(job=job, row_no=5)
        assert flagged.status == "likely_duplicate"
        assert [(kind, row) for kind, row, _score in flagged.candidates] == [("row", 2)]
        # and once imported, both records stand and the pair waits for a supervisor
        import_job_start_commit(job=ImportJob.objects.get(pk=job.pk), actor=world.clerk)
        import_job_commit(job.pk)  # the job the start queued (queued on commit, which tests never reach)
        assert CivilRecord.objects.count() == 4
        pair = DuplicatePair.objects.get()
        first, again = (
            CivilRecord.objects.get(parties__role="subject", parties__full_name=name)
            for name in ("Nguyễn Văn Hùng", "Nguyen Van Hung")
        )
        assert {pair.record_low_id, pair.record_high_id} == {first.pk, again.pk}
        assert pair.status == "open"


class TestPermissions:
    def test_approved_import_needs_a_province_admin(self, world, tmp_path):
        path = write_csv(tmp_path, birth_rows())
        with pytest.raises(PermissionDenied, match="province administrator"):
            upload(world, path, target_state="approved")

    def test_an_outsider_cannot_import_into_another_commune(self, world, tmp_path):
        path = write_csv(tmp_path, birth_rows())
        with pytest.raises(PermissionDenied):
            upload(world, path, actor=world.outsider)
        assert ImportJob.objects.count() == 0


class TestCounters:
    def test_progress_counts_the_imported_cases_in_their_states_as_a_rebuild_would(self, world, tmp_path):
        # Given a file of five births imported as entered
        from reports.models import BookStateCount, DailyCount, UnitStateCount
        from reports.services import progress_rebuild

        legacy_import(write_csv(tmp_path, birth_rows()), unit=world.commune_a, event_type="birth",
                      actor=world.clerk)  # fmt: skip

        def counts():
            return (
                sorted(BookStateCount.objects.filter(n__gt=0).values_list("book_id", "state", "n")),
                sorted(UnitStateCount.objects.filter(n__gt=0).values_list("unit_id", "state", "n")),
                sorted(DailyCount.objects.filter(n__gt=0).values_list("day", "unit_id", "action", "n")),
            )

        # Then the book's progress shows five entered cases, collected today, without a rebuild
        added = counts()
        book = RegisterBook.objects.get(custodian=world.commune_a, book_no="01", year=2005)
        assert (book.pk, "entered", 5) in added[0]
        # and rebuilding every counter from the records and the audit trail changes nothing
        progress_rebuild()
        assert counts() == added


class TestStreaming:
    def test_rows_are_read_checked_and_written_a_batch_at_a_time(self, world, tmp_path, monkeypatch):
        # Given a file of 7 rows and batches of 3
        from imports import services

        monkeypatch.setattr(services, "BATCH", 3)
        pulled = []
        read = reading.iter_rows

        def counting(source):
            for row in read(source):
                pulled.append(row.row_no)
                yield row

        monkeypatch.setattr(services.reading, "iter_rows", counting)
        job = upload(world, write_csv(tmp_path, birth_rows([*NAMES, "Võ Thị Hạnh", "Bùi Văn Khang"])))
        seen = []

        def check_progress(done):
            seen.append((done, len(pulled), ImportRow.objects.filter(job=job).count()))

        # When it is checked, then each batch is read from the file only when its turn comes
        # and its outcomes are written before the next is read
        import_job_check(job.pk, progress=check_progress)
        assert seen == [(3, 3, 3), (6, 6, 6), (7, 7, 7)]
        # When it is committed, then each batch's records are written (committed) before the next,
        # from the rows the check kept: the file is not read (nor validated) again
        pulled.clear()
        seen.clear()
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)

        def commit_progress(row_no):
            seen.append((len(pulled), CivilRecord.objects.count()))

        services.import_job_commit(job.pk, progress=commit_progress)
        assert seen == [(0, 3), (0, 6), (0, 7)]
