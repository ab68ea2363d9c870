"""The browser of the e2e tests: Debian's /usr/bin/chromium driven by playwright.

The launch options are those of VIEWFLOW.md, "Browser tests".

`make setup` installs chromium (scripts/debian-packages.txt), so a missing browser fails the tests
instead of skipping them. Never `playwright install`: it downloads another browser.
"""

import os
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: `make setup` installs it (scripts/debian-packages.txt), "
            "or run `sudo apt-get install -y --no-install-recommends chromium chromium-driver`",
            pytrace=False,
        )
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            # ORM calls made while Playwright's loop runs get their own connection: close it here.
            connections.close_all()
            browser.close()
