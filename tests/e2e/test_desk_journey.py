"""The digitization desk in a real browser, on a desktop (1280 px) and on a phone (390 px).

A clerk scans two cases (a JPEG and a PDF) and keys one beside its visible scan; autosave
survives a reload; errors come all at once; a reviewer returns one field, sees the clerk's fix
highlighted and passes; the approver approves, while the reviewer finds Approve disabled with the
four-eyes reason. On every page: Vietnamese for an English browser, no sideways scrolling, and no
serious or critical axe-core finding. Screenshots of each step land in var/screenshots/e2e.
"""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from permissions.roles import Role
from permissions.services import role_grant
from tests import scan_samples
from tests.e2e.pages import submit
from tests.factories import make_user
from workflows.models import RecordTask

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "e2e"
AXE = Axe()


class Desk:
    """One person's browser tab at one width; `look` checks and photographs every page it shows."""

    def __init__(self, chromium, live_server, username: str, width: int):
        self.width = width
        self.live_server = live_server
        context = chromium.new_context(
            locale="en-US", extra_http_headers={"Accept-Language": "en-US,en;q=0.9"}
        )
        self.page = context.new_page()
        self.page.set_viewport_size({"width": width, "height": 900})
        self.downloads: list = []
        self.page.on("download", lambda download: self.downloads.append(download))
        self.page.goto(f"{live_server.url}/accounts/login/")
        self.look(f"{username}-login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", "pw")
        self.page.press("input[name=password]", "Enter")
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def go(self, path: str) -> None:
        self.page.goto(f"{self.live_server.url}{path}")

    def look(self, step: str) -> None:
        page = self.page
        page.wait_for_load_state()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{self.width}-{step}.png"), full_page=True)
        assert page.locator("html").get_attribute("lang") == "vi", step
        assert page.evaluate("document.documentElement.scrollWidth") <= self.width, step
        violations = AXE.run(page).response["violations"]
        serious = [
            (v["id"], v["impact"], [n["html"][:160] for n in v["nodes"]][:3])
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], step

    def claim_first(self) -> None:
        self.go("/work/queue/")
        self.look("queue")
        self.page.locator("#inbox-list tbody tr[data-task]").first.get_by_role("button").click()
        self.page.wait_for_url("**/work/tasks/*/")

    def scan_pane_shows_a_page(self) -> None:
        image = self.page.locator(".scan-pane img.sv-img")
        image.wait_for()
        self.page.wait_for_function("() => document.querySelector('.scan-pane img.sv-img').naturalWidth > 0")
        box = image.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
        assert self.downloads == []


def upload(page, name: str, mime: str, content: bytes) -> None:
    page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": mime, "buffer": content}])


@pytest.mark.parametrize("width", [1280, 390])
def test_a_book_through_the_desk(world, live_server, browser, width, vietnamese):
    book = world.book(cases=2)
    first, second = book.records.order_by("entry_no")
    both = make_user("reviewer_approver", Role.REVIEWER, world.commune_a)
    role_grant(user=both, unit=world.commune_a, role=Role.APPROVER)

    # The clerk claims the first case and stores a JPEG; its entry opens beside the scan.
    clerk = Desk(browser, live_server, "clerk_a", width)
    page = clerk.page
    clerk.claim_first()
    clerk.look("scan-1")
    jpeg = scan_samples.jpeg_bytes(scan_samples.page_image(dpi=150))
    page.set_input_files(
        "input[name=file]", files=[{"name": "so-1.jpg", "mimeType": "image/jpeg", "buffer": jpeg}]
    )
    page.locator(".work-pane button.primary").click()
    page.wait_for_selector("input[name=registration_date]")
    first.refresh_from_db()
    assert first.state == "scanned"
    clerk.scan_pane_shows_a_page()
    clerk.look("enter")

    # Autosave keeps what is typed across a reload.
    page.fill("input[name=registration_date]", "31/02/2020")
    page.fill("input[name=subject__full_name]", "")
    page.fill("input[name=subject__birth_date]", "02/03/2020")
    page.fill("input[name=mother__full_name]", "Trần Thị Mẹ")
    page.locator("input[name=mother__full_name]").blur()
    page.wait_for_selector("#entry-form[data-autosave=saved]", state="attached")
    page.reload()
    assert page.input_value("input[name=mother__full_name]") == "Trần Thị Mẹ"
    assert page.input_value("input[name=registration_date]") == "31/02/2020"

    # Both errors at once, focus on the first, nothing typed lost.
    page.locator("button[name=submit]").click()
    page.wait_for_selector("#error-summary")
    summary = page.locator("#error-summary")
    assert summary.locator("a[href='#id_registration_date']").count() == 1
    assert summary.locator("a[href='#id_subject__full_name']").count() == 1
    assert page.evaluate("document.activeElement.name") == "registration_date"
    assert page.input_value("input[name=mother__full_name]") == "Trần Thị Mẹ"
    clerk.look("enter-errors")

    page.fill("input[name=registration_date]", "10/03/2020")
    page.fill("input[name=subject__full_name]", "Nguyễn Văn Bàn Giấy")
    page.locator("button[name=submit]").click()
    page.wait_for_selector(".work-pane form button.primary")
    clerk.scan_pane_shows_a_page()
    clerk.look("attach")
    page.locator(".work-pane form button.primary").click()
    page.wait_for_selector("input[name=file]")
    first.refresh_from_db()
    assert first.state == "attached"

    # The next case of the same book opens: the clerk stores its PDF.
    assert page.locator("h1").inner_text().rstrip().split(",")[-1].strip().startswith("số 2")
    clerk.look("scan-2")
    pdf = scan_samples.small_page_pdf("SO 2")
    page.set_input_files(
        "input[name=file]", files=[{"name": "so-2.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    page.locator(".work-pane button.primary").click()
    page.wait_for_selector("input[name=registration_date]")
    second.refresh_from_db()
    assert second.state == "scanned"
    clerk.scan_pane_shows_a_page()

    # The reviewer returns the mother's name with a remark.
    reviewer = Desk(browser, live_server, both.username, width)
    reviewer.claim_first()
    reviewer.scan_pane_shows_a_page()
    reviewer.look("review")
    reviewer.page.fill("input[name='remark:mother.full_name']", "Sổ ghi: Trần Thị Mơ")
    reviewer.page.fill("textarea[name=reason]", "Tên mẹ chưa đúng sổ")
    submit(reviewer.page.locator("button[name=action][value=return]"))
    first.refresh_from_db()
    assert first.state == "scanned"

    # The clerk sees the remark on the field and fixes it.
    clerk.go("/work/returned/")
    clerk.look("returned")
    clerk.page.locator("#inbox-list tbody tr[data-task]").first.locator("a.button").click()
    clerk.page.wait_for_url("**/work/tasks/*/")
    assert "Sổ ghi: Trần Thị Mơ" in clerk.page.locator("label.remarked").inner_text()
    clerk.look("fix")
    clerk.page.fill("input[name=mother__full_name]", "Trần Thị Mơ")
    clerk.page.locator("button[name=submit]").click()
    clerk.page.wait_for_url("**/work/tasks/*/")
    submit(clerk.page.locator(".work-pane form button.primary"))

    # The second review shows the reviewer the change old → new, and they pass it.
    second_review = reviewer
    second_review.claim_first()
    changed = second_review.page.locator("tr.changed")
    assert changed.count() == 1
    assert "Trần Thị Mẹ" in changed.inner_text() and "Trần Thị Mơ" in changed.inner_text()
    second_review.look("second-review")
    submit(second_review.page.locator("button[name=action][value=pass]"))

    # The same person may not approve it: Approve is disabled, with the four-eyes reason.
    first.refresh_from_db()
    assert first.state == "reviewed"
    approve_task = RecordTask.objects.get(record=first, stage="approve", status="NEW")
    second_review.go(f"/work/tasks/{approve_task.pk}/")
    approve = second_review.page.locator("button[name=action][value=approve]")
    assert approve.is_disabled()
    assert "bốn mắt" in second_review.page.locator("#why-not").inner_text()
    second_review.look("approve-refused")

    approver = Desk(browser, live_server, "approver_a", width)
    approver.claim_first()
    approver.look("approve")
    submit(approver.page.locator("button[name=action][value=approve]"))
    first.refresh_from_db()
    assert first.state == "approved"
    approver.go(f"/records/{first.pk}/")
    approver.look("record")
    assert clerk.downloads == [] and reviewer.downloads == []
