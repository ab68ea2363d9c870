"""Helpers shared by the browser tests."""

from playwright.sync_api import Locator


def submit(button: Locator) -> None:
    """Click a button that submits a form and wait for the page the server answers with.

    `click()` then `wait_for_load_state()` is a race: the old page is still "loaded" when the click
    returns, so the test would read the database or go on before the server has handled the POST.
    """
    with button.page.expect_navigation():
        button.click()
