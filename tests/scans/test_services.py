"""Storing scans, the naming rule, whole-book splits (with resume) and named batches."""

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from scans import batches, book_split, intake, naming
from scans import pdf as scan_pdf
from scans.models import ItemStatus, JobStatus, ScanFile
from tests import scan_samples as samples
from tests.factories import birth_input
from workflows import services as wf


def test_an_upload_is_stored_clean_and_small_with_its_hash_and_an_audit_row(world):
    record = world.record("collected")
    content = samples.with_javascript()

    scan = intake.scan_store(
        record=record, actor=world.clerk, content=content, original_name="../../etc/passwd.pdf"
    )

    assert scan.size <= 100 * 1024 * scan.pages
    assert scan.original_name == "passwd.pdf"
    assert scan.file.name.startswith(f"scans/{record.unit_id}/{record.pk}/") and ".." not in scan.file.name
    assert "JavaScript" in scan.processing["removed"]
    row = AuditEvent.objects.get(record_id_value=record.pk, action="scan_upload")
    assert row.changes["original_sha256"] == scan.original_sha256
    assert "JavaScript" in row.changes["removed"]


def test_the_same_file_uploaded_twice_for_a_case_is_recognized_and_not_stored_again(world):
    record = world.record("collected")
    content = samples.small_page_pdf("TWICE")
    intake.scan_store(record=record, actor=world.clerk, content=content)
    with pytest.raises(ValidationError) as refused:
        intake.scan_store(record=record, actor=world.clerk, content=content)
    assert refused.value.code == "same_file"
    assert "already the scan of this case" in refused.value.messages[0]
    assert record.scans.count() == 1


def test_the_same_file_on_another_case_is_stored_and_the_user_is_told(world):
    first, second = world.record("collected"), world.record("collected")
    content = samples.small_page_pdf("SHARED PAGE")
    intake.scan_store(record=first, actor=world.clerk, content=content)
    scan = intake.scan_store(record=second, actor=world.clerk, content=content)
    told = " ".join(intake.scan_outcome_message(scan, world.clerk))
    assert "The same file is also the scan of" in told and f"no. {first.entry_no}" in told


def test_a_scan_cannot_be_replaced_after_attach(world):
    record = world.record("attached")
    with pytest.raises(ValidationError) as refused:
        intake.scan_store(record=record, actor=world.clerk, content=samples.small_page_pdf("LATE"))
    assert refused.value.code == "not_storable"
    assert "return the case to scanning first" in refused.value.messages[0]


def test_an_outsider_cannot_store_a_scan(world):
    record = world.record("collected")
    with pytest.raises(ValidationError) as refused:
        intake.scan_store(record=record, actor=world.outsider, content=samples.small_page_pdf("OUT"))
    assert refused.value.code == "not_permitted"
    assert not record.scans.exists()


def test_at_attach_the_scan_takes_its_canonical_name(world):
    book = world.book(year=2020, book_no="01/A", cases=6)
    record = book.records.get(entry_no=5)
    world.walk(record, "entered", data=birth_input(name="Nguyễn Văn Đức", sex=1))
    assert record.scans.first().canonical_name == ""

    wf.record_attach(record=record, actor=world.clerk)

    assert record.scans.first().canonical_name == "KS.2020.01-A.0005.NguyenVanDuc.Nam.pdf"


def test_file_names_are_read_back_by_the_rule_or_as_book_and_entry():
    parsed = naming.scan_name_parse("KS.2020.01-A.0005.NguyenVanDuc.Nam.pdf")
    assert parsed == naming.ParsedName(
        entry_no=5, book_no="01-A", event_type="birth", year=2020, name="NguyenVanDuc"
    )
    assert naming.scan_name_parse("12_0007.pdf") == naming.ParsedName(entry_no=7, book_no="12")
    assert naming.scan_name_parse("holiday photo.jpg") is None


@pytest.mark.slow
def test_a_300_page_book_splits_into_its_150_cases(world, settings):
    # Under the per-page size rule (as before the per-case default): each page within 100 KB.
    settings.SCAN_SIZE_LIMIT_PER = "page"
    book = world.book(year=2019, book_no="07", cases=150)
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(300), content_type="application/pdf")
    book_scan = book_split.book_scan_upload(
        book=book, actor=world.clerk, upload=upload, original_name="book.pdf"
    )
    assert book_scan.pages == 300
    text = "entry_no,first_page,last_page\n" + "\n".join(f"{n},{2 * n - 1},{2 * n}" for n in range(1, 151))

    ranges = book_split.split_ranges_parse(text, book_scan=book_scan)
    job = book_split.split_job_create(book_scan=book_scan, actor=world.clerk, ranges=ranges)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert book_split.split_job_progress(job)["done"] == 150
    assert set(book.records.values_list("state", flat=True)) == {"scanned"}
    scan = book.records.get(entry_no=42).scans.get()
    assert scan.pages == 2 and scan.size <= 2 * 100 * 1024 and scan.source == "book_split"
    # Its pages are the book's pages 83 and 84, copied byte for byte (no second JPEG generation).
    assert [p["copied"] for p in scan.processing["pages"]] == [True, True]
    with pikepdf.open(book_scan.file.path) as whole, pikepdf.open(scan.file.path) as case:
        assert [_jpeg(case, 0), _jpeg(case, 1)] == [_jpeg(whole, 82), _jpeg(whole, 83)]


def _jpeg(pdf, index):
    (image,) = pdf.pages[index].obj.Resources.XObject.values()
    return bytes(image.read_raw_bytes())


def test_a_split_that_fails_midway_keeps_finished_cases_and_resumes(world, monkeypatch):
    book = world.book(year=2019, book_no="08", cases=5)
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(5), content_type="application/pdf")
    book_scan = book_split.book_scan_upload(book=book, actor=world.clerk, upload=upload)
    ranges = book_split.split_ranges_parse("1: 1\n2: 2\n3: 3\n4: 4\n5: 4-5", book_scan=book_scan)
    real = scan_pdf.pdf_extract_clean
    calls = []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(scan_pdf, "pdf_extract_clean", crash_on_third)
    job = book_split.split_job_create(book_scan=book_scan, actor=world.clerk, ranges=ranges)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "disk full" in job.error
    assert list(job.items.values_list("status", flat=True)) == [
        "done",
        "done",
        "pending",
        "pending",
        "pending",
    ]
    assert list(book.records.order_by("entry_no").values_list("state", flat=True)) == [
        "scanned",
        "scanned",
        "collected",
        "collected",
        "collected",
    ]

    monkeypatch.setattr(scan_pdf, "pdf_extract_clean", real)
    book_split.split_job_resume(job=job, actor=world.clerk)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert set(book.records.values_list("state", flat=True)) == {"scanned"}
    assert ScanFile.objects.filter(record__book=book).count() == 5
    assert book.records.get(entry_no=5).scans.get().pages == 2


def test_bad_ranges_are_all_reported_with_their_line(world):
    book = world.book(year=2019, book_no="09", cases=3)
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(4), content_type="application/pdf")
    book_scan = book_split.book_scan_upload(book=book, actor=world.clerk, upload=upload)
    with pytest.raises(ValidationError) as refused:
        book_split.split_ranges_parse("1: 1-2\n1: 3\n9: 4\n2: 3-8\nhello", book_scan=book_scan)
    messages = refused.value.messages
    assert any("Line 2: entry 1 is already given on line 1" in m for m in messages)
    assert any("Line 3: the book has no open case with entry number 9" in m for m in messages)
    assert any("Line 4: pages 3–8 are not within the scan's 4 pages" in m for m in messages)
    assert any("Line 5" in m for m in messages)


def test_a_hostile_book_scan_is_refused(world):
    book = world.book(year=2019, book_no="10", cases=3)
    for content, code in (
        (samples.encrypted(), "encrypted"),
        (samples.truncated(), "truncated"),
        (samples.png_page(), "not_pdf"),
    ):
        with pytest.raises(ValidationError) as refused:
            book_split.book_scan_upload(
                book=book, actor=world.clerk, upload=SimpleUploadedFile("b.pdf", content)
            )
        assert refused.value.code == code
    assert not book.scan_uploads.exists()


def test_a_named_batch_is_matched_to_its_cases_and_the_rest_is_listed(world):
    book = world.book(year=2020, book_no="03", cases=5)
    other = world.book(year=2021, book_no="03", cases=5)  # same book number, another year
    entered = book.records.get(entry_no=4)
    world.walk(entered, "entered", data=birth_input(name="Lê Văn Tám"))
    files = [
        ("KS.2020.03.0001.pdf", samples.small_page_pdf("B1")),
        ("KS.2020.03.0002.TranThiBa.Nu.pdf", samples.small_page_pdf("B2")),
        ("KS.2020.03.0004.TranThiBa.Nu.pdf", samples.small_page_pdf("B4")),  # data says Le Van Tam
        ("03_0005.pdf", samples.small_page_pdf("B5")),  # book 03 exists in 2020 and 2021
        ("KS.2020.03.0099.pdf", samples.small_page_pdf("B99")),
        ("KS.2020.03.0003.pdf", samples.truncated()),
    ]

    batch = batches.batch_create(actor=world.clerk, files=files)

    result = {i.original_name: (i.status, i.record_id) for i in batch.items.all()}
    assert result["KS.2020.03.0001.pdf"] == (ItemStatus.DONE, book.records.get(entry_no=1).pk)
    assert result["KS.2020.03.0002.TranThiBa.Nu.pdf"][0] == ItemStatus.DONE
    assert result["KS.2020.03.0004.TranThiBa.Nu.pdf"][0] == ItemStatus.AMBIGUOUS
    assert result["03_0005.pdf"][0] == ItemStatus.AMBIGUOUS
    assert result["KS.2020.03.0099.pdf"][0] == ItemStatus.UNMATCHED
    assert result["KS.2020.03.0003.pdf"][0] == ItemStatus.REFUSED
    assert book.records.get(entry_no=1).state == "scanned"
    loose = batch.items.get(original_name="03_0005.pdf")
    assert sorted(loose.candidates) == sorted(
        [book.records.get(entry_no=5).pk, other.records.get(entry_no=5).pk]
    )

    # A person settles the ambiguous one.
    batches.batch_item_settle(item=loose, record=other.records.get(entry_no=5), actor=world.clerk)
    loose.refresh_from_db()
    assert loose.status == ItemStatus.DONE and other.records.get(entry_no=5).state == "scanned"
    assert not loose.file


def test_a_batch_inside_one_book_matches_by_entry_number_alone(world):
    book = world.book(year=2020, book_no="04", cases=3)
    batch = batches.batch_create(
        actor=world.clerk,
        book=book,
        files=[("2.pdf", samples.small_page_pdf("E2")), ("3.jpg", samples.png_page())],
    )
    assert set(batch.items.values_list("status", flat=True)) == {ItemStatus.DONE}
    assert list(book.records.order_by("entry_no").values_list("state", flat=True)) == [
        "collected",
        "scanned",
        "scanned",
    ]


def test_a_split_left_running_by_a_killed_worker_can_be_resumed_after_a_while(world):
    import datetime as dt

    from django.utils import timezone

    from scans.models import ScanSplitJob

    book = world.book(year=2019, book_no="12", cases=2)
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(2), content_type="application/pdf")
    book_scan = book_split.book_scan_upload(book=book, actor=world.clerk, upload=upload)
    job = ScanSplitJob.objects.create(
        book_scan=book_scan, created_by=world.clerk, status=JobStatus.RUNNING, started_at=timezone.now()
    )
    job.items.create(record=book.records.get(entry_no=1), first_page=1, last_page=2)
    with pytest.raises(ValidationError, match="The split is running"):
        book_split.split_job_resume(job=job, actor=world.clerk)
    ScanSplitJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(hours=1))
    book_split.split_job_resume(job=job, actor=world.clerk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert book.records.get(entry_no=1).state == "scanned"


def test_an_upload_that_cannot_stay_legible_within_the_limit_is_stored_flagged_and_shown(world, client):
    # Given the default per-case rule and a scan of pure noise (no legible encoding fits 100 KB)
    from PIL import Image

    from scans.intake import scan_store

    noise = Image.merge("RGB", [Image.effect_noise((2480, 3508), 120).convert("L") for _ in range(3)])
    record = world.record("collected")
    scan = scan_store(
        record=record,
        actor=world.clerk,
        content=samples.pdf_of_jpegs([samples.jpeg_bytes(noise, quality=90)]),
    )

    # Then it is stored with the flag and its reason, never silently over the limit
    assert scan.over_limit and scan.size > 100 * 1024
    assert scan.over_limit_reason().startswith("over the size limit:")
    assert "the limit is 100 KB per case" in scan.over_limit_reason()
    # ... shown on the record, in the record list and counted on the progress dashboard
    client.force_login(world.clerk)
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert "over the size limit:" in page
    listing = client.get(f"/records/?book={record.book_id}").content.decode()
    assert "scan over the size limit" in listing
    from reports.selectors import scan_flags

    assert scan_flags(world.commune_a)["over_limit"] == 1
