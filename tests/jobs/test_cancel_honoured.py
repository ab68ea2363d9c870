"""Each cancellable job stops at a safe point when asked, and says what it kept."""

from __future__ import annotations

import pytest

from imports import services as imports
from imports.models import ImportJob, ImportRow, ImportStatus
from jobs import services as runs
from jobs.models import Job, JobKind, JobState
from jobs.services import job_cancel_request
from registry.models import CivilRecord
from tests.imports.test_import import birth_rows, write_csv

pytestmark = pytest.mark.django_db

HELD_BACK = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # queued, never run
FIVE = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


def running(kind: str, object_id: int) -> Job:
    return Job.objects.get(kind=kind, object_id=object_id, state=JobState.RUNNING)


def stop_after_first_batch(kind: str, job: ImportJob, actor):
    def progress(_rows: int) -> None:
        run = Job.objects.filter(kind=kind, object_id=job.pk).order_by("-id").first()
        if run and run.cancel_requested_at is None:
            job_cancel_request(job=run, actor=actor)

    return progress


@pytest.fixture
def uploaded(world, tmp_path, monkeypatch, ticking_clock):
    monkeypatch.setattr(imports, "BATCH", 2)
    with write_csv(tmp_path, birth_rows(FIVE)).open("rb") as handle:
        return imports.import_job_create(
            actor=world.clerk, unit=world.commune_a, event_type="birth", upload=handle, original_name="so.csv"
        )


class TestImport:
    def test_a_stopped_check_keeps_no_row_and_can_be_run_again(self, world, uploaded):
        # Given a check of five rows, two per batch, stopped by its owner after the first batch
        imports.import_job_check(
            uploaded.pk, progress=stop_after_first_batch(JobKind.IMPORT_CHECK, uploaded, world.clerk)
        )
        # Then the file is back to "uploaded" with no row outcome, and the run says "cancelled"
        uploaded.refresh_from_db()
        assert uploaded.status == ImportStatus.UPLOADED and "stopped on request" in uploaded.message
        assert not ImportRow.objects.filter(job=uploaded).exists()
        run = Job.objects.get(kind=JobKind.IMPORT_CHECK, object_id=uploaded.pk)
        assert (run.state, run.done, run.total) == (JobState.CANCELLED, 2, 5)
        # And a new check runs to the end
        imports.import_job_check(uploaded.pk)
        uploaded.refresh_from_db()
        assert (uploaded.status, uploaded.total_rows) == (ImportStatus.CHECKED, 5)

    def test_a_stopped_import_keeps_whole_batches_and_resumes(self, world, uploaded):
        imports.import_job_check(uploaded.pk)
        uploaded.refresh_from_db()
        imports.import_job_start_commit(job=uploaded, actor=world.clerk)
        # When the owner stops the import after its first batch of two rows
        imports.import_job_commit(
            uploaded.pk, progress=stop_after_first_batch(JobKind.IMPORT_COMMIT, uploaded, world.clerk)
        )
        # Then exactly those two rows are records, and the job says how far it went and what to do
        uploaded.refresh_from_db()
        assert CivilRecord.objects.filter(book__custodian=world.commune_a).count() == 2
        assert uploaded.status == ImportStatus.FAILED and "after 2 rows" in uploaded.message
        assert Job.objects.filter(kind=JobKind.IMPORT_COMMIT, state=JobState.CANCELLED).count() == 1
        # And "Import" again does the rest, each row once
        imports.import_job_start_commit(job=uploaded, actor=world.clerk)
        imports.import_job_commit(uploaded.pk)
        uploaded.refresh_from_db()
        assert uploaded.status == ImportStatus.DONE
        assert CivilRecord.objects.filter(book__custodian=world.commune_a).count() == 5
        last = Job.objects.filter(kind=JobKind.IMPORT_COMMIT).order_by("-id").first()
        assert (last.state, last.percent) == (JobState.DONE, 100)


def test_a_stopped_batch_print_makes_no_pdf(world, settings, ticking_clock):
    from printing.models import ExtractBatch
    from printing.services import extract_batch_create, extract_batch_run
    from tests.printing.data import ISSUE

    settings.TASKS = HELD_BACK  # the worker has not started it
    record = world.record("approved")
    batch = extract_batch_create(actor=world.counter, record_ids=[record.pk], **ISSUE)
    queued = Job.objects.get(kind=JobKind.BATCH_PRINT, object_id=batch.pk)
    assert queued.state == JobState.QUEUED and queued.owner == world.counter
    # When the clerk stops it before the worker reaches it, the worker renders nothing
    job_cancel_request(job=queued, actor=world.counter)
    extract_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == ExtractBatch.Status.CANCELLED and not batch.file
    assert "no PDF was made" in batch.error
    assert Job.objects.get(pk=queued.pk).state == JobState.CANCELLED


def test_a_stopped_datacentre_copy_stores_no_file(world, settings, monkeypatch, ticking_clock):
    from transfer import export_services
    from transfer.models import ExportStatus

    settings.TASKS = HELD_BACK
    world.book(world.commune_a, cases=3)
    job = export_services.export_request(actor=world.admin, kind="datacentre_full", unit=world.province)
    real_progress = runs.job_progress

    def progress(run, *, done, total=None):  # the supervisor presses "stop" once the first record is written
        if done == 1:
            job_cancel_request(job=run, actor=world.admin)
        return real_progress(run, done=done, total=total)

    monkeypatch.setattr(runs, "job_progress", progress)
    export_services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED and not job.file and "no file was kept" in job.error
    run = Job.objects.get(kind=JobKind.DATACENTRE_COPY, object_id=job.pk)
    assert (run.state, run.done, run.total) == (JobState.CANCELLED, 1, 3)


def test_a_stopped_book_split_keeps_what_it_stored_and_resumes(world, settings, monkeypatch, ticking_clock):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from scans import book_split
    from scans.models import ItemStatus, JobStatus
    from tests import scan_samples as samples

    settings.TASKS = HELD_BACK
    book = world.book(year=2019, book_no="07", cases=2)
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(4), content_type="application/pdf")
    book_scan = book_split.book_scan_upload(
        book=book, actor=world.clerk, upload=upload, original_name="book.pdf"
    )
    ranges = book_split.split_ranges_parse("entry_no,first_page,last_page\n1,1,2\n2,3,4", book_scan=book_scan)
    job = book_split.split_job_create(book_scan=book_scan, actor=world.clerk, ranges=ranges)
    run = Job.objects.get(kind=JobKind.BOOK_SPLIT, object_id=job.pk)
    real_split_one = book_split._split_one

    def split_one(job, item, source):  # the clerk presses "stop" while the first case is being cut
        job_cancel_request(job=run, actor=world.clerk)
        real_split_one(job, item, source)

    monkeypatch.setattr(book_split, "_split_one", split_one)
    book_split.split_job_run(job.pk)
    monkeypatch.undo()
    job.refresh_from_db()
    # The first case is stored whole, the second waits; the split says "stopped" and may be resumed
    assert list(job.items.order_by("id").values_list("status", flat=True)) == [
        ItemStatus.DONE,
        ItemStatus.PENDING,
    ]
    assert job.status == JobStatus.PENDING and job.error == "stopped on request"
    assert Job.objects.get(pk=run.pk).state == JobState.CANCELLED
    book_split.split_job_resume(job=job, actor=world.clerk)
    book_split.split_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.items.filter(status=ItemStatus.DONE).count() == 2
    assert Job.objects.filter(kind=JobKind.BOOK_SPLIT, object_id=job.pk).latest("id").percent == 100


def test_a_reconciliation_run_is_listed_with_its_outcome(world):
    from tests.transfer.test_reconciliation import CSV
    from transfer.reconciliation_runs import reconciliation_run

    extract = reconciliation_run(
        actor=world.approver, unit=world.commune_a, content=CSV.encode(), filename="dc.csv"
    )
    run = Job.objects.get(kind=JobKind.RECONCILIATION)
    assert (run.object_id, run.state, run.owner, run.title) == (
        extract.pk,
        JobState.DONE,
        world.approver,
        "dc.csv",
    )
    assert "differences" in run.message and run.result_url == "/transfer/reconciliation/"
    with pytest.raises(Exception, match="at least hoTen"):
        reconciliation_run(
            actor=world.approver, unit=world.commune_a, content=b"a,b\n1,2\n", filename="bad.csv"
        )
    failed = Job.objects.filter(kind=JobKind.RECONCILIATION).latest("id")
    assert failed.state == JobState.FAILED and "at least hoTen" in failed.message
