"""The pages of a late scan and of a scan over the size limit, at phone and desktop widths: nothing
scrolls sideways, the flag and the actions are visible."""

import os

import pytest
from PIL import Image

from scans.intake import scan_store, scan_store_late
from tests import scan_samples as samples
from tests.e2e.test_inbox_browser import signed_in
from workflows.models import RecordTask

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CIVREG_SCREENSHOTS", "")


def _shot(page, name, width):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_late_scan_and_over_limit_pages_fit_the_screen(world, live_server, browser, width):
    # Given a transferred case with a late scan waiting for its check, and a case whose scan is over the limit
    record = world.record("transferred")
    scan_store_late(record=record, actor=world.clerk, content=samples.small_page_pdf("LATE"))
    task = RecordTask.objects.get(record=record, stage="scan_check", status="NEW")
    flagged = world.record("collected")
    noise = Image.merge("RGB", [Image.effect_noise((2480, 3508), 120).convert("L") for _ in range(3)])
    noisy = samples.pdf_of_jpegs([samples.jpeg_bytes(noise, quality=90)])
    scan_store(record=flagged, actor=world.clerk, content=noisy)

    clerk = signed_in(browser, live_server, world.clerk.username)
    clerk.set_viewport_size({"width": width, "height": 900})
    for name, path in [
        ("record-late", f"/records/{record.pk}/"),
        ("record-over", f"/records/{flagged.pk}/"),
        ("list-over", f"/records/?book={flagged.book_id}"),
    ]:
        clerk.goto(f"{live_server.url}{path}")
        _shot(clerk, name, width)
        assert clerk.evaluate("document.documentElement.scrollWidth") <= width, path
    clerk.goto(f"{live_server.url}/records/{flagged.pk}/")
    assert clerk.locator(".over-limit").first.is_visible()

    reviewer = signed_in(browser, live_server, world.reviewer.username)
    reviewer.set_viewport_size({"width": width, "height": 900})
    reviewer.goto(f"{live_server.url}/work/queue/")
    _shot(reviewer, "queue", width)
    reviewer.goto(f"{live_server.url}/work/tasks/{task.pk}/")
    _shot(reviewer, "scan-check", width)
    assert reviewer.evaluate("document.documentElement.scrollWidth") <= width
    assert reviewer.get_by_role("button", name="The scan is this case: accept").is_visible()
