"""Must show (issue 21, item 7): a progress bar reaching 100 % on an import, in a browser.

The worker is held back (the dummy task backend only records the queued task), so the page first
shows the run queued at 0 %; the test then runs the check and the import the way the worker
would, in this process, and the open page's bar follows by polling until it reads 100 %.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from imports import services as imports
from imports.models import ImportJob, ImportStatus
from registry.models import CivilRecord
from tests.e2e.pages import submit
from tests.e2e.test_inbox_browser import signed_in
from tests.imports.test_import import birth_rows, write_csv

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NAMES = [
    f"{family} {given}"
    for family in ("Nguyễn Văn", "Trần Thị", "Lê Quốc")
    for given in ("An", "Bình", "Cường", "Dũng")
]
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "e2e"


def slowly(_rows: int) -> None:  # a batch takes a moment, as on a real file: the bar is seen moving
    time.sleep(0.4)


@pytest.mark.parametrize("width", [390, 1280])
def test_an_import_s_bar_reaches_100_percent(
    world, live_server, browser, settings, tmp_path, monkeypatch, width
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.LANGUAGE_CODE = "vi"  # the pages in their default language
    monkeypatch.setattr(imports, "BATCH", 3)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = write_csv(tmp_path, birth_rows(NAMES), name="so-khai-sinh.csv")
    page = signed_in(browser, live_server, world.clerk.username)
    page.set_viewport_size({"width": width, "height": 900})
    # The clerk uploads the file in the browser
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=unit]", str(world.commune_a.pk))
    page.select_option("select[name=event_type]", "birth")
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_url("**/imports/*/")
    job = ImportJob.objects.get()
    # and starts the check: queued, 0 %
    page.locator(f"form[action='/imports/{job.pk}/check/'] button").click()
    bar = page.locator(".job-progress progress")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    assert "Đang chờ" in page.locator(".job-progress").inner_text()
    # When the worker runs it, the open page's bar reaches 100 % and the page shows the result
    imports.import_job_check(job.pk, progress=slowly)
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=15_000)
    expect(page.locator(".job-progress [data-j=state_label]")).to_have_text("Đã xong")
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    # Then the import itself (the page reloaded with its button): the bar counts the rows to 100 %
    expect(page.locator(f"form[action='/imports/{job.pk}/import/']")).to_be_visible()
    submit(page.locator(f"form[action='/imports/{job.pk}/import/'] button"))
    expect(bar).to_have_attribute("aria-valuenow", "0")
    imports.import_job_commit(job.pk, progress=slowly)
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=15_000)
    expect(page.locator(".job-progress [data-j=counts]")).to_have_text("12/12 dòng")
    assert CivilRecord.objects.filter(book__custodian=world.commune_a).count() == 12
    # the page reloads by itself once the run ends, with the job's own counts
    expect(page.locator("table.list td.num").last).to_have_text("12")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"import-progress-{width}.png"), full_page=True)
    # And "my jobs" lists both runs, done
    assert page.get_by_role("link", name="Tác vụ của tôi").get_attribute("href") == "/jobs/"
    page.goto(f"{live_server.url}/jobs/")
    expect(page.locator(".job-list > li")).to_have_count(2)
    assert page.locator(".job-progress[data-state=done]").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"my-jobs-{width}.png"), full_page=True)
