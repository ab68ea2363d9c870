"""The progress bar on each job's page at 390 and 1280 px: a data-centre copy stopped from the exports
page, and the queued bars of a batch print and a book split."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from jobs.models import Job, JobKind, JobState
from tests import scan_samples as samples
from tests.e2e.test_inbox_browser import signed_in
from transfer.models import ExportStatus

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots" / "e2e"
HELD_BACK = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def held_back(settings):
    """The worker is not running: queued jobs stay queued until the test runs them."""
    settings.TASKS = HELD_BACK
    settings.LANGUAGE_CODE = "vi"
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_supervisor_stops_a_datacentre_copy_from_the_exports_page(
    world, live_server, browser, held_back, width
):
    from transfer.export_services import export_request, export_run

    world.book(world.commune_a, cases=3)
    export = export_request(actor=world.admin, kind="datacentre_full", unit=world.province)
    page = signed_in(browser, live_server, world.admin.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/transfer/exports/")
    bar = page.locator(".job-progress")
    expect(bar.locator("[data-j=state_label]")).to_have_text("Đang chờ")
    page.screenshot(path=str(SHOTS / f"exports-queued-{width}.png"), full_page=True)
    # When the admin presses "stop", the page says the job is stopping
    bar.get_by_role("button", name="Dừng tác vụ này").click()
    page.wait_for_url("**/transfer/exports/")
    expect(page.locator(".messages")).to_contain_text("tác vụ sẽ dừng ở điểm an toàn kế tiếp")
    expect(page.locator(".job-stopping")).to_be_visible()
    # and once the worker reaches it, it stops before writing anything; the page shows it by itself
    export_run(job_id=export.pk)
    expect(page.locator("main")).to_contain_text("Đã dừng theo yêu cầu: không giữ tệp nào", timeout=15_000)
    # ... then reloads itself (the bar reloads its page when the job ends): the ended run has no bar
    expect(page.locator(".job-progress")).to_have_count(0, timeout=15_000)
    page.wait_for_load_state()
    export.refresh_from_db()
    assert export.status == ExportStatus.CANCELLED and not export.file
    assert Job.objects.get(kind=JobKind.DATACENTRE_COPY, object_id=export.pk).state == JobState.CANCELLED
    page.screenshot(path=str(SHOTS / f"exports-stopped-{width}.png"), full_page=True)
    # The admin's list of the jobs of the province's units shows it, stopped
    page.goto(f"{live_server.url}/jobs/?who=units")
    expect(page.locator(".job-list .job-progress[data-state=cancelled]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"unit-jobs-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_batch_print_and_book_split_pages_show_their_queued_bar(
    world, live_server, browser, held_back, width
):
    from printing.services import extract_batch_create
    from scans import book_split
    from tests.printing.data import ISSUE

    record = world.record("approved")
    batch = extract_batch_create(actor=world.counter, record_ids=[record.pk], **ISSUE)
    page = signed_in(browser, live_server, world.counter.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/counter/batches/{batch.pk}/")
    expect(page.locator(".job-progress [data-j=counts]")).to_have_text("0/1 trích lục")
    expect(page.get_by_role("button", name="Dừng tác vụ này")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"batch-queued-{width}.png"), full_page=True)

    book = world.book(year=2019, book_no="07", cases=2)
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(4), content_type="application/pdf")
    book_scan = book_split.book_scan_upload(
        book=book, actor=world.clerk, upload=upload, original_name="book.pdf"
    )
    ranges = book_split.split_ranges_parse("entry_no,first_page,last_page\n1,1,2\n2,3,4", book_scan=book_scan)
    job = book_split.split_job_create(book_scan=book_scan, actor=world.clerk, ranges=ranges)
    page = signed_in(browser, live_server, world.clerk.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/scan-splits/{job.pk}/")
    expect(page.locator(".job-progress [data-j=counts]")).to_have_text("0/2 trường hợp")
    # The worker cuts the two cases: the bar reaches 100 % on the open page
    book_split.split_job_run(job.pk)
    expect(page.locator(".job-progress progress")).to_have_attribute("aria-valuenow", "100", timeout=15_000)
    expect(page.locator(".card")).to_contain_text("2 / 2", timeout=10_000)  # reloaded with the split's counts
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"split-done-{width}.png"), full_page=True)
