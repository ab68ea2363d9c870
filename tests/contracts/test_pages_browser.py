"""The contract pages in Chromium at 390 px and 1280 px: nothing scrolls sideways. With
CIVREG_SCREENSHOTS=<dir> each page is saved there to be looked at."""

import os

import pytest

from contracts import services
from contracts.models import DefectKind, FindingKind
from contracts.services import FindingInput
from tests.e2e.conftest import browser  # noqa: F401 - the fixture
from tests.e2e.test_inbox_browser import signed_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_contract_pages_fit_the_screen(cw, live_server, browser, width):  # noqa: F811
    world = cw.world
    pk = cw.contract.pk
    done = services.lot_handover(contract=cw.contract, records=cw.work(cw.book(4)), actor=cw.staff)
    services.lot_draw_sample(lot=done, actor=world.admin, seed=11)
    for i, case in enumerate(done.cases.filter(in_sample=True)):
        blur = [FindingInput(FindingKind.SCAN_DEFECT, DefectKind.ILLEGIBLE)] if i == 0 else []
        services.case_inspect(lot_case=case, findings=blur, actor=world.reviewer)
    services.lot_decide(lot=done, actor=world.admin)
    waiting = services.lot_handover(contract=cw.contract, records=cw.work(cw.book(3)), actor=cw.staff)
    services.lot_draw_sample(lot=waiting, actor=world.admin, seed=12)
    sampled = waiting.cases.filter(in_sample=True).first()
    cw.work(cw.book(2))  # something left to hand over
    pages = {
        world.admin.username: [
            "/contracts/",
            "/contracts/new/",
            f"/contracts/{pk}/",
            f"/contracts/{pk}/lots/{done.number}/",
            f"/contracts/{pk}/statement/",
        ],
        world.reviewer.username: [f"/contracts/{pk}/lots/{waiting.number}/cases/{sampled.pk}/"],
        cw.staff.username: [
            f"/contracts/{pk}/",
            f"/contracts/{pk}/lots/new/",
            f"/contracts/{pk}/lots/{done.number}/",
        ],
    }
    shots = os.environ.get("CIVREG_SCREENSHOTS")
    for username, paths in pages.items():
        page = signed_in(browser, live_server, username)
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            if shots:
                name = f"{username}-{path.strip('/').replace('/', '_')}-{width}.png"
                page.screenshot(path=os.path.join(shots, name), full_page=True)
