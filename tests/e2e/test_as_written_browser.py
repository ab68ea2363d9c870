"""In the browser, at phone and desk width: the warning of an implausible value beside its field, the
box "as written in the book" visible and tickable, and the save going through once it is ticked."""

import os

import pytest

from tests.e2e.pages import submit
from tests.e2e.test_inbox_browser import signed_in
from workflows import services as wf
from workflows.models import RecordTask

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_clerk_confirms_an_implausible_value_as_written(world, live_server, browser, width):
    # given a scanned birth case, and a clerk who types a mother born in 1958 (61 at the birth)
    record = world.record("scanned")
    page = signed_in(browser, live_server, world.clerk.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/records/{record.pk}/enter/")
    page.fill("#id_registration_date", "10/03/2020")
    page.fill("#id_subject__full_name", "Nguyễn Văn An")
    page.fill("#id_subject__birth_date", "02/03/2020")
    page.fill("#id_mother__full_name", "Trần Thị Bình")
    page.fill("#id_mother__birth_date", "1958")

    # when the clerk saves, the warning shows beside the field with the box, on screen
    submit(page.locator("button[name=submit]").first)
    box = page.locator("#id_ok__mother__birth_date")
    assert box.is_visible() and not box.is_checked()
    assert "years old when the child was born" in page.locator("#id_mother__birth_date_error").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots = os.environ.get("CIVREG_SCREENSHOTS")
    if shots:
        page.locator("#id_mother__birth_date").scroll_into_view_if_needed()
        page.screenshot(path=f"{shots}/as-written-{width}.png", full_page=False)

    # then ticking it lets the save go through
    box.check()
    submit(page.locator("button[name=submit]").first)
    record.refresh_from_db()
    assert record.state == "entered" and record.as_written == ["party.mother.birth_date"]
    notice = page.locator("#as-written")
    assert notice.is_visible() and "as written in the book" in notice.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if shots:
        page.screenshot(path=f"{shots}/as-written-record-{width}.png", full_page=False)

    # and the reviewer sees the confirmed value highlighted on the review screen
    wf.record_attach(record=record, actor=world.clerk)
    task = RecordTask.objects.get(record=record, stage="review")
    review = signed_in(browser, live_server, world.reviewer.username)
    review.set_viewport_size({"width": width, "height": 900})
    review.goto(f"{live_server.url}/work/tasks/{task.pk}/")
    row = review.locator("tr.as-written")
    assert row.count() == 1 and row.is_visible() and "1958" in row.inner_text()
    assert review.evaluate("document.documentElement.scrollWidth") <= width
    if shots:
        row.scroll_into_view_if_needed()
        review.screenshot(path=f"{shots}/as-written-review-{width}.png", full_page=False)
