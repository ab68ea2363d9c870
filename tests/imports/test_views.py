"""The import pages: upload, check, report, import; scoping; the clean-up worklist."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from imports.models import ImportJob, ImportStatus
from registry.event_fields import field_label
from registry.models import CivilRecord, Party
from scans.models import ScanFile
from tests.imports.test_import import birth_rows, write_csv
from vietnamese.legacy_encodings import TCVN3

pytestmark = pytest.mark.django_db


def upload_page(client, world, path, **extra):
    with path.open("rb") as handle:
        return client.post(
            reverse("import_list"),
            {"file": handle, "unit": world.commune_a.pk, "event_type": "birth", "target_state": "entered",
             "book_no": "", "book_year": "", "profile": "", **extra},
        )  # fmt: skip


class TestImportPages:
    def test_upload_check_report_and_import_valid_rows(
        self, world, client, tmp_path, django_capture_on_commit_callbacks
    ):
        # Given a CSV of five births, one with an impossible registration date
        rows = birth_rows()
        rows[2]["ngayDangKy"] = "31.02.2005"
        path = write_csv(tmp_path, rows)
        client.force_login(world.clerk)
        # When the clerk uploads it, the job page previews the columns with converted names
        response = upload_page(client, world, path)
        job = ImportJob.objects.get()
        assert response.status_code == 302
        page = client.get(reverse("import_job", args=[job.pk]))
        assert "Nguyễn Văn Hùng" in page.text
        assert "nksHoTen" in page.text
        # And runs the check (dry run)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("import_job_check", args=[job.pk]))
        job.refresh_from_db()
        assert job.status == ImportStatus.CHECKED
        assert (job.total_rows, job.error_rows) == (5, 1)
        assert CivilRecord.objects.count() == 0
        # Then the report lists the bad row, its Ministry column, the problem and the fix
        report = client.get(reverse("import_job_report", args=[job.pk]))
        assert report.status_code == 200
        sheet = load_workbook(io.BytesIO(report.content)).active
        lines = list(sheet.iter_rows(min_row=2, values_only=True))
        assert lines and {line[0] for line in lines} == {4}
        assert lines[0][1] == "ngayDangKy"
        assert lines[0][2]
        assert AuditEvent.objects.filter(action="import_report", actor=world.clerk).exists()
        # Importing without "valid rows only" is refused with the reason
        refused = client.post(reverse("import_job_commit", args=[job.pk]), follow=True)
        assert "1 rows have problems" in refused.text
        assert CivilRecord.objects.count() == 0
        # With "valid rows only", the four valid rows become entered records
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("import_job_commit", args=[job.pk]), {"skip_invalid": "1"})
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE
        assert job.committed_rows == 4
        assert set(CivilRecord.objects.values_list("state", flat=True)) == {"entered"}
        assert "Imported" in client.get(reverse("import_job", args=[job.pk])).text

    def test_a_clerk_may_not_choose_approved(self, world, client, tmp_path):
        client.force_login(world.clerk)
        response = upload_page(client, world, write_csv(tmp_path, birth_rows()), target_state="approved")
        assert response.status_code == 200
        assert not ImportJob.objects.exists()

    def test_mapping_is_saved_as_a_profile(self, world, client, tmp_path):
        client.force_login(world.clerk)
        upload_page(client, world, write_csv(tmp_path, birth_rows()))
        job = ImportJob.objects.get()
        client.post(
            reverse("import_job_configure", args=[job.pk]),
            {"text_encoding": "utf-8", "map:nksHoTen": "nksHoTen", "map:so": "so", "enc:nksHoTen": "",
             "save_profile_as": "Old software v1"},
        )  # fmt: skip
        job.refresh_from_db()
        assert job.profile is not None and job.profile.name == "Old software v1"
        assert job.mapping == {"nksHoTen": "nksHoTen", "so": "so"}

    def test_choosing_the_file_encoding_detects_the_columns_again(self, world, client, tmp_path):
        # Given a TCVN3 file whose columns were not shown (the encoding was unknown)
        path = write_csv(tmp_path, birth_rows(), encoding="cp1252", legacy=TCVN3)
        client.force_login(world.clerk)
        upload_page(client, world, path)
        job = ImportJob.objects.get()
        ImportJob.objects.filter(pk=job.pk).update(text_encoding="", column_encodings={})
        # When the clerk chooses the encoding
        client.post(reverse("import_job_configure", args=[job.pk]), {"text_encoding": "cp1252"})
        # Then the names column is read as TCVN3 and the preview shows proper Vietnamese
        job.refresh_from_db()
        assert job.column_encodings["nksHoTen"] == TCVN3
        assert "Nguyễn Văn Hùng" in client.get(reverse("import_job", args=[job.pk])).text

    def test_another_communes_user_gets_404(self, world, client, tmp_path):
        client.force_login(world.clerk)
        upload_page(client, world, write_csv(tmp_path, birth_rows()))
        job = ImportJob.objects.get()
        client.force_login(world.outsider)
        for name in ("import_job", "import_job_report"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404
        for name in ("import_job_check", "import_job_commit", "import_job_configure"):
            assert client.post(reverse(name, args=[job.pk])).status_code == 404
        assert job.original_name not in client.get(reverse("import_list")).text
        job.refresh_from_db()
        assert job.status == ImportStatus.UPLOADED


class TestCleanupWorklist:
    def test_lists_an_approved_record_without_a_scan_and_not_a_complete_one(self, world, client):
        complete = world.record("approved")
        lacking = world.record("approved")
        ScanFile.objects.filter(record=lacking).delete()
        client.force_login(world.clerk)
        response = client.get(reverse("import_cleanup"))
        assert response.status_code == 200
        urls = {reverse("record_detail", args=[r.pk]) for r in (complete, lacking)}
        assert reverse("record_detail", args=[lacking.pk]) in response.text
        assert reverse("record_detail", args=[complete.pk]) not in response.text
        assert len(urls) == 2
        client.force_login(world.outsider)
        assert reverse("record_detail", args=[lacking.pk]) not in client.get(reverse("import_cleanup")).text

    def test_lists_what_the_event_type_requires_and_the_record_lacks(self, world, client):
        # Given an approved birth whose child's name was never written (the book had none)
        unnamed = world.record("approved")
        Party.objects.filter(record=unnamed, role="subject").update(full_name="")
        # When a clerk opens the worklist
        client.force_login(world.clerk)
        response = client.get(reverse("import_cleanup"))
        # Then it lists the record with the field its event type requires (registry.event_fields)
        assert reverse("record_detail", args=[unnamed.pk]) in response.text
        assert field_label("birth", "party.subject.full_name") in response.text

    def test_the_worklist_costs_the_same_queries_for_one_record_or_many(self, world, client):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(world.clerk)
        lacking = [world.record("approved") for _ in range(3)]
        ScanFile.objects.filter(record=lacking[0]).delete()
        with CaptureQueriesContext(connection) as one:
            client.get(reverse("import_cleanup"))
        ScanFile.objects.filter(record__in=lacking).delete()
        with CaptureQueriesContext(connection) as three:
            response = client.get(reverse("import_cleanup"))
        assert all(reverse("record_detail", args=[r.pk]) in response.text for r in lacking)
        assert len(three) == len(one)
