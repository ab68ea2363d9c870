"""Files on S3-compatible storage (S3_BUCKET set): scans, book scans and extracts are stored in
the bucket, never on the web server's disk, and come back through the permission-checked views.

moto stands in for the object store (in-process, no network); the storage options are the ones
config/settings.py builds from the S3_* variables.
"""

from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto import mock_aws

from printing.services import extract_issue
from registry.models import EventType
from scans import book_split
from scans.models import JobStatus
from tests import scan_samples as samples
from tests.printing.data import ISSUE, extract_input

BUCKET = "civreg-test"


@pytest.fixture
def s3(settings, tmp_path):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "us-east-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "location": "civreg",
                    "default_acl": None,
                    "querystring_auth": True,
                    "file_overwrite": False,
                },
            },
        }
        settings.MEDIA_ROOT = str(tmp_path / "not-used")
        yield client


def _keys(client) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_scan_goes_to_the_bucket_and_downloads_through_the_checked_view(s3, world, client, tmp_path):
    record = world.record("attached")
    scan = record.scans.get()

    assert any(key.startswith("civreg/") and key.endswith(".pdf") for key in _keys(s3))
    assert not (tmp_path / "not-used").exists()
    client.force_login(world.reviewer)
    response = client.get(reverse("scan_download", args=[scan.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(world.outsider)
    assert client.get(reverse("scan_download", args=[scan.pk])).status_code == 404


def test_an_issued_extract_is_kept_in_the_bucket_and_reprinted_from_it(s3, world, client):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    printed = extract_issue(record=record, actor=world.counter, **ISSUE)

    assert printed.file.name in {k.removeprefix("civreg/") for k in _keys(s3)}
    client.force_login(world.counter)
    response = client.get(reverse("extract_issue_pdf", args=[printed.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_book_scan_in_the_bucket_splits_into_its_cases(s3, world):
    book = world.book(year=2019, book_no="09", cases=2)
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(3), content_type="application/pdf")
    book_scan = book_split.book_scan_upload(book=book, actor=world.clerk, upload=upload)
    ranges = book_split.split_ranges_parse("1: 1\n2: 2-3", book_scan=book_scan)

    job = book_split.split_job_create(book_scan=book_scan, actor=world.clerk, ranges=ranges)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert [r.scans.get().pages for r in book.records.order_by("entry_no")] == [1, 2]
    stored = {k.removeprefix("civreg/") for k in _keys(s3)}
    assert book_scan.file.name in stored
    assert {r.scans.get().file.name for r in book.records.all()} <= stored


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_legacy_file_in_the_bucket_is_checked_and_imported(s3, world, tmp_path, kind):
    from openpyxl import Workbook

    from imports.services import legacy_import
    from tests.imports.test_import import birth_rows, names_in_db, write_csv

    rows = birth_rows(["Nguyễn Văn Hùng", "Trần Thị Thuỷ"])
    path = write_csv(tmp_path, rows)
    if kind == "xlsx":
        sheet = (book := Workbook()).active
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append(list(row.values()))
        path = tmp_path / "book.xlsx"
        book.save(path)

    job = legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.clerk)

    assert job.committed_rows == 2
    assert names_in_db() == ["Nguyễn Văn Hùng", "Trần Thị Thuỷ"]
    assert job.file.name in {k.removeprefix("civreg/") for k in _keys(s3)}
