"""Scale-out: two web tiers started as production starts them (scripts/serve.sh all: gunicorn's
page workers, the WebSocket process), sharing sessions, cache and live updates through Redis.
A claim made through one is pushed to a browser connected to the other, without a reload."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests
from django.conf import settings
from django.test import Client

from tests.config.live_server import free_port, live_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REDIS_DB = 9  # a database of its own on a shared Redis; flushed before use


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The machine's Redis on 127.0.0.1:6379, else a private redis-server, else a skip."""
    if _redis_answers(6379):
        import redis

        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        yield f"redis://127.0.0.1:6379/{REDIS_DB}"
        return
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("no Redis: nothing answers on 127.0.0.1:6379 and redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _redis_answers(port):
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.skip(f"redis-server did not start on port {port}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def test_a_claim_in_one_web_process_is_pushed_to_a_browser_on_the_other(world, browser, redis_url, tmp_path):
    book = world.book(cases=2)
    tasks = sorted(book.records.values_list("pk", flat=True))
    assert tasks
    with (
        live_server(tmp_path / "a", redis_url=redis_url, name="a") as a,
        live_server(tmp_path / "b", redis_url=redis_url, name="b") as b,
    ):
        # The browser: clerk_a, logged in through B's real login page, on B's queue.
        context = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{b.url}/accounts/login/")
        page.fill("input[name=username]", "clerk_a")
        page.fill("input[name=password]", "pw")
        page.press("input[name=password]", "Enter")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto(f"{b.url}/work/queue/")
        rows = page.locator("#inbox-list tbody tr[data-task]")
        rows.first.wait_for()
        before = rows.count()
        task_id = rows.first.get_attribute("data-task")
        # Its socket is open on B's WebSocket process; a mark tells whether the page reloads.
        page.wait_for_function("document.documentElement.dataset.live === 'on'", timeout=20000)
        page.evaluate("window.__sameDocument = true")

        # Another clerk of the commune claims that task through A (its session is shared too:
        # made by Django's test client, used on A's page workers).
        django_client = Client()
        django_client.force_login(world.clerk2)
        other = requests.Session()
        other.cookies.set(
            settings.SESSION_COOKIE_NAME, django_client.cookies[settings.SESSION_COOKIE_NAME].value
        )
        assert other.get(f"{a.url}/work/queue/", timeout=30).status_code == 200
        claimed = other.post(
            f"{a.url}/work/tasks/{task_id}/claim/",
            data={"csrfmiddlewaretoken": other.cookies["csrftoken"]},
            headers={"Referer": f"{a.url}/work/queue/"},
            allow_redirects=False,
            timeout=30,
        )
        assert claimed.status_code in (302, 303), claimed.text[:300]

        # B's browser drops the claimed row by itself.
        page.locator(f'#inbox-list tr[data-task="{task_id}"]').wait_for(state="detached", timeout=20000)
        assert page.evaluate("window.__sameDocument === true")
        assert rows.count() == before - 1
        context.close()
