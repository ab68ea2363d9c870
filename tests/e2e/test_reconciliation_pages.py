"""The reconciliation worklist and the police list's form fit a phone (390 px) and a desk (1280 px)."""

import os

import pytest

from tests.e2e.test_inbox_browser import signed_in
from tests.factories import birth_input
from transfer.reconciliation import population_import
from workflows import services as wf

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXTRACT = """soDinhDanh,hoTen,gioiTinh,ngaySinh,danToc,quocTich
001220012345,Nguyễn Văn An,Nam,03/03/2020,Kinh,Việt Nam
,Trần Thị Hoa,Nữ,15/04/2020,Kinh,Việt Nam
"""


@pytest.mark.parametrize("width", [390, 1280])
def test_the_worklist_does_not_scroll_sideways(world, live_server, browser, width):
    # given a book being entered and an extract whose An differs from the book, Hoa still pending
    book = world.book(cases=2, year=2020)
    first = book.records.order_by("entry_no").first()
    world.walk(first, "scanned")
    population_import(actor=world.approver, unit=world.commune_a, content=EXTRACT.encode(), filename="ca.csv")
    wf.record_enter(
        record=first,
        actor=world.clerk,
        data=birth_input("Nguyễn Văn An", birth="02/03/2020", pin="001220012345"),
    )
    page = signed_in(browser, live_server, world.approver.username)
    page.set_viewport_size({"width": width, "height": 900})
    # when the approver opens the worklist
    page.goto(f"{live_server.url}/transfer/reconciliation/")
    if os.environ.get("CIVREG_SHOTS"):
        page.screenshot(path=f"{os.environ['CIVREG_SHOTS']}/recon-{width}.png", full_page=True)
    # then both findings and the police list's form are there, and nothing is wider than the screen
    text = page.inner_text("main")
    assert "Nguyễn Văn An" in text and "Trần Thị Hoa" in text
    assert page.get_by_role("button", name="Download the police list (Excel)").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
