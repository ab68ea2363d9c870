"""The arbitration screen of a double-keyed case at phone and desktop widths: nothing scrolls
sideways, both values and the choice are visible, and picking one saves the case."""

import os

import pytest

from registry.services import book_double_keying_set
from tests.e2e.pages import submit
from tests.e2e.test_inbox_browser import signed_in
from tests.factories import birth_input
from workflows import claims
from workflows.keying import keying_submit
from workflows.models import RecordTask

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CIVREG_SCREENSHOTS", "")


def _open(record):
    return RecordTask.objects.filter(record=record, status__in=["NEW", "ASSIGNED"]).exclude(stage="").get()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_arbitration_screen_fits_the_screen(world, live_server, browser, width):
    # Given a case keyed twice with two fields that differ
    book = world.book(cases=1)
    book_double_keying_set(book=book, actor=world.admin, double_keying=True, reason="Hợp đồng")
    record = world.walk(book.records.get(), "scanned")
    for user, data in [
        (world.clerk, birth_input("Nguyễn Thị Hòa", mother="Trần Thị Bích Ngọc")),
        (world.clerk2, birth_input("Nguyễn Thị Hoa", mother="Trần Thị Bích Ngoc")),
    ]:
        claims.task_claim(task=_open(record), actor=user)
        keying_submit(record=record, actor=user, data=data)
    task = _open(record)

    reviewer = signed_in(browser, live_server, world.reviewer.username)
    reviewer.set_viewport_size({"width": width, "height": 900})
    reviewer.goto(f"{live_server.url}/work/tasks/{task.pk}/")
    if SHOTS:
        reviewer.screenshot(path=f"{SHOTS}/arbitrate-{width}.png", full_page=True)
    assert reviewer.evaluate("document.documentElement.scrollWidth") <= width
    assert reviewer.locator(".arbitrate-field").count() == 2
    assert reviewer.get_by_text("Nguyễn Thị Hòa").is_visible()

    # When the reviewer claims it, picks keying 1 for the name and types the mother's name from the scan
    submit(reviewer.get_by_role("button", name="Claim", exact=True))
    reviewer.locator('input[name="pick:party.subject.full_name"][value="a"]').check()
    reviewer.locator('input[name="pick:party.mother.full_name"][value="typed"]').check()
    reviewer.locator('input[name="value:party.mother.full_name"]').fill("Trần Thị Bích Ngọc")
    submit(reviewer.get_by_role("button", name="Save the settled values: the case is entered"))

    # Then the case is entered with those values
    record.refresh_from_db()
    assert record.state == "entered"
    assert record.parties.get(role="subject").full_name == "Nguyễn Thị Hòa"
    assert record.parties.get(role="mother").full_name == "Trần Thị Bích Ngọc"

    # And the supervisor's pages fit too: the figures per keyer, the book's keying setting
    admin = signed_in(browser, live_server, world.admin.username)
    admin.set_viewport_size({"width": width, "height": 900})
    for name, path in [
        ("keying-figures", f"/progress/keying/?unit={world.commune_a.pk}"),
        ("book-keying", f"/books/{book.pk}/"),
    ]:
        admin.goto(f"{live_server.url}{path}")
        if SHOTS:
            admin.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        assert admin.evaluate("document.documentElement.scrollWidth") <= width, path
    admin.goto(f"{live_server.url}/progress/keying/?unit={world.commune_a.pk}")
    assert admin.get_by_role("cell", name=world.clerk2.username).is_visible()
