"""On a phone (390 px) no page of the clerk's journey scrolls sideways; the queue becomes cards."""

import pytest

from tests.e2e.test_inbox_browser import signed_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/work/queue/", "/work/mine/", "/records/", "/books/", "/search/"]


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_no_page_of_the_journey_scrolls_sideways(world, live_server, browser, width):
    # given a clerk with work in the queue and a record with a scan
    world.book(cases=3)
    record = world.record("entered")
    page = signed_in(browser, live_server, world.clerk.username)
    page.set_viewport_size({"width": width, "height": 900})
    for path in [*PAGES, f"/records/{record.pk}/"]:
        # when the page opens at this width
        page.goto(f"{live_server.url}{path}")
        # then nothing is wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path


def test_on_a_phone_each_queue_item_is_a_card_whose_claim_button_names_the_case(world, live_server, browser):
    world.book(cases=2)
    page = signed_in(browser, live_server, world.clerk.username)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/work/queue/")
    row = page.locator("#inbox-list tbody tr[data-task]").first
    # a card: the row is laid out as a block as wide as the list, not as a table row
    assert row.evaluate("el => getComputedStyle(el).display") == "block"
    case = row.locator("td").first.locator("a").inner_text()
    button = row.get_by_role("button")
    assert button.get_attribute("aria-label").endswith(case)
    assert button.is_visible() and button.bounding_box()["x"] + button.bounding_box()["width"] <= 390
