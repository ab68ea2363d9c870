"""In a real browser: a clerk claims, scans, enters and attaches; a reviewer passes; an approver approves."""

import pytest
from django.utils import translation

from audit.actions import AuditAction
from config.demo import demo_scan_pdf
from registry.models import CivilRecord

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, username):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def claim_first(page, live_server, stage_label=None):
    page.goto(f"{live_server.url}/work/queue/")
    row = page.locator("#inbox-list tbody tr[data-task]").first
    row.locator("button[type=submit]").click()
    page.wait_for_url("**/work/tasks/*/")


STEPS = ("scan_upload", "scan", "enter", "attach", "review", "approve")


def test_a_case_goes_from_slot_to_approved_through_the_inboxes(world, live_server, browser):
    book = world.book(cases=1)
    record = book.records.get()

    clerk = signed_in(browser, live_server, "clerk_a")
    claim_first(clerk, live_server)
    clerk.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "so-1.pdf",
                "mimeType": "application/pdf",
                "buffer": demo_scan_pdf(title="T", lines=["1"]),
            }
        ],
    )
    clerk.click("form.card button[type=submit]")
    clerk.wait_for_url("**/work/tasks/*/")  # the case's entry opens, claimed for the clerk
    clerk.wait_for_selector("input[name=registration_date]")
    clerk.fill("input[name=registration_date]", "10/03/2020")
    clerk.fill("input[name=subject__full_name]", "Nguyễn Văn Trình Duyệt")
    clerk.fill("input[name=subject__birth_date]", "02/03/2020")
    clerk.select_option("select[name=subject__sex]", "1")
    clerk.fill("input[name=mother__full_name]", "Trần Thị Mẹ")
    clerk.click("button[name=submit]")
    clerk.wait_for_url("**/work/tasks/*/")  # straight to attaching, which stays with the clerk
    assert "Attach" in clerk.title() or "Gắn" in clerk.title()
    clerk.click(".work-pane form button.primary")
    clerk.wait_for_load_state()
    record.refresh_from_db()
    assert record.state == "attached"

    reviewer = signed_in(browser, live_server, "reviewer_a")
    claim_first(reviewer, live_server)
    reviewer.click("button[name=action][value=pass]")
    reviewer.wait_for_load_state()

    approver = signed_in(browser, live_server, "approver_a")
    claim_first(approver, live_server)
    approver.click("button[name=action][value=approve]")
    approver.wait_for_load_state()

    record.refresh_from_db()
    assert record.state == "approved"
    approver.goto(f"{live_server.url}/records/{record.pk}/")
    assert approver.locator("h1 .state").inner_text().strip() in ("Approved", "Đã phê duyệt")
    history = approver.locator("#history table.list tbody tr")
    language = approver.locator("html").get_attribute("lang") or "en"
    with translation.override(language):  # the history names actions in the page's language
        label = {code: str(AuditAction(code).label) for code in (*STEPS, "task_claim")}
    actions = [history.nth(i).locator("td").nth(2).inner_text() for i in range(history.count())]
    assert [a for a in actions if a in [label[s] for s in STEPS]] == [label[s] for s in STEPS]
    # scan, enter (claimed for the clerk when the scan was stored), review, approve were claimed;
    # attach came assigned
    assert actions.count(label["task_claim"]) == 4
    who = {
        history.nth(i).locator("td").nth(2).inner_text(): history.nth(i).locator("td").nth(1).inner_text()
        for i in range(history.count())
    }
    assert (who[label["enter"]], who[label["review"]], who[label["approve"]]) == (
        "clerk_a",
        "reviewer_a",
        "approver_a",
    )
    assert CivilRecord.objects.get(pk=record.pk).subject().full_name == "Nguyễn Văn Trình Duyệt"
