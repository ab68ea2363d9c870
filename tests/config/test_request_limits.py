"""Request bodies are bounded end to end: an oversized body is refused with 413 before it is read,
by the guard in front of the app (config.request_limits: ASGI and WSGI) under the real servers
(gunicorn for pages, uvicorn for WebSockets), so the web processes' memory does not grow with it;
WebSockets still connect, and hear what the page workers did."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse

from config.request_limits import ANONYMOUS_BODY_MAX, BoundedRequestBody, BoundedWSGIRequestBody, route_limit
from scans.models import ScanFile
from tests import scan_samples as samples
from tests.config.live_server import live_server
from tests.factories import make_world

MB = 1024 * 1024


# --- the guard alone, as an ASGI app in front of one that reads the whole body ------------------


class BodyReader:
    """An inner app that reads every chunk it is given and answers 200 with the byte count."""

    def __init__(self) -> None:
        self.called = False
        self.read = 0

    async def __call__(self, scope, receive, send) -> None:
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            self.read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(self.read).encode()})


def call_guard(path: str, chunks: list[bytes], *, declared: int | None = None, cookie: str = ""):
    inner = BodyReader()
    sent: list[dict] = []
    pulled = 0
    headers = [(b"content-type", b"multipart/form-data; boundary=x")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "headers": headers}

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": pulled < len(chunks)}

    async def send(message):
        sent.append(message)

    asyncio.run(BoundedRequestBody(inner)(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()
    return status, body, inner, pulled


def test_a_declared_oversized_body_is_refused_before_a_byte_is_read(db):
    status, body, inner, pulled = call_guard("/accounts/login/", [b"x"] * 3, declared=100 * MB)
    assert status == 413
    assert not inner.called and pulled == 0
    assert "Log in first" in body or "Đăng nhập" in body


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(db):
    chunk = b"x" * 4096
    status, _body, inner, pulled = call_guard("/accounts/login/", [chunk] * 1000)
    assert status == 413
    # 8 KB allowed: the third 4 KB chunk passes it and nothing after it is pulled.
    assert pulled == ANONYMOUS_BODY_MAX // len(chunk) + 1
    assert inner.read == ANONYMOUS_BODY_MAX


def test_a_small_body_reaches_the_app(db):
    status, body, _inner, _pulled = call_guard("/accounts/login/", [b"a=1"], declared=3)
    assert status == 200 and body == "3"


def test_an_upload_without_a_session_is_refused_whatever_the_route_allows(db):
    record_path = reverse("scan_upload", args=[1])
    assert route_limit(record_path) > 50 * MB
    status, _body, inner, _pulled = call_guard(record_path, [b"x" * MB], declared=MB)
    assert status == 413 and not inner.called
    status, _body, inner, _pulled = call_guard(record_path, [b"x" * MB], cookie="sessionid=forged1234")
    assert status == 413 and inner.read <= ANONYMOUS_BODY_MAX


def test_a_logged_in_upload_within_the_routes_limit_passes_and_over_it_is_refused(client, transactional_db):
    # transactional: the guard looks the session up on its own connection
    world = make_world()
    client.force_login(world.clerk)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    path = reverse("scan_upload", args=[1])
    status, body, _inner, _pulled = call_guard(path, [b"x" * MB] * 2, declared=2 * MB, cookie=cookie)
    assert (status, body) == (200, str(2 * MB))
    status, body, inner, _pulled = call_guard(path, [b"x"], declared=200 * MB, cookie=cookie)
    assert status == 413 and not inner.called
    assert "200 MB" in body and "50 MB" in body
    # a page that takes no file: the form limit (10 MB), with a session too
    status, _body, inner, _pulled = call_guard(
        reverse("book_create"), [b"x"], declared=50 * MB, cookie=cookie
    )
    assert status == 413 and not inner.called


def test_the_refusal_is_in_vietnamese_unless_english_was_chosen(db, vietnamese):
    status, body, _inner, _pulled = call_guard("/accounts/login/", [b"x"], declared=MB)
    assert status == 413 and 'lang="vi"' in body and "quá lớn" in body
    status, body, _inner, _pulled = call_guard(
        "/accounts/login/", [b"x"], declared=MB, cookie=f"{settings.LANGUAGE_COOKIE_NAME}=en"
    )
    assert 'lang="en"' in body and "too large" in body


# --- the same guard in front of the WSGI app (the page workers) ------------------------------------


class CountingInput(io.RawIOBase):
    """wsgi.input over the given chunks, counting the bytes the guard pulls."""

    def __init__(self, chunks: list[bytes]):
        self.data = b"".join(chunks)
        self.pulled = 0

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) - self.pulled if size is None or size < 0 else size
        piece = self.data[self.pulled : self.pulled + size]
        self.pulled += len(piece)
        return piece


def call_wsgi_guard(path: str, chunks: list[bytes], *, declared: int | None = None, cookie: str = ""):
    called: dict[str, int] = {}

    def inner(environ, start_response):
        stream = environ["wsgi.input"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        called["read"] = len(stream.read(length))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(called["read"]).encode()]

    body = CountingInput(chunks)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "wsgi.input": body,
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
    }
    if declared is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(declared)
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    answer: dict = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])

    text = b"".join(BoundedWSGIRequestBody(inner)(environ, start_response)).decode()
    return answer["status"], text, called, body.pulled


def test_wsgi_a_declared_oversized_body_is_refused_before_a_byte_is_read(db):
    status, text, called, pulled = call_wsgi_guard("/accounts/login/", [b"x"] * 3, declared=100 * MB)
    assert status == 413 and not called and pulled == 0
    assert "Log in first" in text or "Đăng nhập" in text


def test_wsgi_a_chunked_body_is_cut_off_and_the_app_never_sees_it(db):
    status, _text, called, pulled = call_wsgi_guard("/accounts/login/", [b"x" * 4096] * 1000)
    assert status == 413 and not called
    assert pulled <= ANONYMOUS_BODY_MAX + 64 * 1024


def test_wsgi_small_bodies_reach_the_app_declared_or_chunked(db):
    assert call_wsgi_guard("/accounts/login/", [b"a=1"], declared=3)[:2] == (200, "3")
    # Django reads no body without a length: the guard gives the chunked one its length.
    assert call_wsgi_guard("/accounts/login/", [b"a=1", b"&b=2"])[:2] == (200, "7")


def test_wsgi_a_logged_in_upload_within_the_routes_limit_passes_and_over_it_is_refused(
    client, transactional_db
):
    world = make_world()
    client.force_login(world.clerk)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    path = reverse("scan_upload", args=[1])
    assert call_wsgi_guard(path, [b"x" * MB] * 2, declared=2 * MB, cookie=cookie)[:2] == (200, str(2 * MB))
    assert call_wsgi_guard(path, [b"x" * MB] * 2, cookie=cookie)[:2] == (200, str(2 * MB))
    status, text, called, _pulled = call_wsgi_guard(path, [b"x"], declared=200 * MB, cookie=cookie)
    assert status == 413 and not called and "50 MB" in text
    status, _text, called, _pulled = call_wsgi_guard(
        path, [b"x" * MB], declared=MB, cookie="sessionid=forged1234"
    )
    assert status == 413 and not called


def test_wsgi_the_refusal_is_in_vietnamese_unless_english_was_chosen(db, vietnamese):
    status, text, _called, _pulled = call_wsgi_guard("/accounts/login/", [b"x"], declared=MB)
    assert status == 413 and 'lang="vi"' in text and "quá lớn" in text
    text = call_wsgi_guard(
        "/accounts/login/", [b"x"], declared=MB, cookie=f"{settings.LANGUAGE_COOKIE_NAME}=en"
    )[1]
    assert 'lang="en"' in text and "too large" in text


# --- the real server -----------------------------------------------------------------------------


class Zeros:
    """A 'file' of n bytes, read in 1 MB pieces: requests sends its Content-Length and streams it."""

    def __init__(self, n: int):
        self.n = self.left = n

    def __len__(self) -> int:
        return self.n

    def read(self, size: int = -1) -> bytes:
        take = min(self.left, MB if size is None or size < 0 else size)
        self.left -= take
        return b"0" * take


def chunks_of(total: int) -> Iterator[bytes]:
    """A chunked body (no Content-Length) made as it is sent, never held whole."""
    for _ in range(total // MB):
        yield b"0" * MB


def peak_growth(server, send) -> tuple[requests.Response, int]:
    """Send a request and return its response and the server's peak RSS growth while it ran."""
    before = server.rss()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = send()
        time.sleep(0.3)
    finally:
        done.set()
        sampler.join()
    return response, peak - before


@pytest.mark.slow
def test_oversized_bodies_are_refused_by_the_server_without_growing_it(transactional_db, tmp_path):
    world = make_world()
    record = world.record("collected")
    with live_server(tmp_path) as server:
        login = server.url + "/accounts/login/"
        upload = server.url + reverse("scan_upload", args=[record.pk])
        multipart = {"Content-Type": "multipart/form-data; boundary=xyz"}
        growths = []
        # Unauthenticated: 100 MB to the login page, declared and chunked.
        for body in (Zeros(100 * MB), chunks_of(100 * MB)):
            response, growth = peak_growth(
                server, lambda body=body: requests.post(login, data=body, headers=multipart, timeout=60)
            )
            assert response.status_code == 413, response.text[:200]
            assert "quá lớn" in response.text
            growths.append(growth)
        # A logged-in clerk: 100 MB to the scan form, whose limit is 50 MB.
        django_client = Client()
        django_client.force_login(world.clerk)
        clerk = requests.Session()
        clerk.cookies.set(
            settings.SESSION_COOKIE_NAME, django_client.cookies[settings.SESSION_COOKIE_NAME].value
        )
        for body in (Zeros(100 * MB), chunks_of(100 * MB)):
            response, growth = peak_growth(
                server, lambda body=body: clerk.post(upload, data=body, headers=multipart, timeout=60)
            )
            assert response.status_code == 413, response.text[:200]
            assert "50 MB" in response.text
            growths.append(growth)
        print(f"server RSS growth per oversized request (MB): {[round(g / MB, 1) for g in growths]}")
        assert max(growths) < 50 * MB
        # The same clerk's real scan, within the limit, is stored.
        page = clerk.get(server.url + reverse("record_detail", args=[record.pk]))
        assert page.status_code == 200
        stored = clerk.post(
            upload,
            files={"file": ("scan.pdf", samples.small_page_pdf("LIVE"), "application/pdf")},
            data={"csrfmiddlewaretoken": clerk.cookies["csrftoken"]},
            allow_redirects=False,
        )
        assert stored.status_code == 302
        assert ScanFile.objects.filter(record=record).exists()
        # A 1,000-character file name: our own 400 page, saying to shorten it.
        name = "Sổ khai sinh " * 80 + ".pdf"
        long_name = clerk.post(
            upload,
            files={"file": (name, samples.small_page_pdf("LONG"), "application/pdf")},
            data={"csrfmiddlewaretoken": clerk.cookies["csrftoken"]},
            allow_redirects=False,
        )
        assert long_name.status_code == 400
        assert "Đặt tên tệp ngắn hơn" in long_name.text and "<nav" in long_name.text


# --- WebSockets under the same server ------------------------------------------------------------


def ws_open(port: int, path: str, cookie: str = "") -> tuple[socket.socket, bytes]:
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n"
    )
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    sock.sendall((head + "\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        piece = sock.recv(4096)
        if not piece:
            break
        answer += piece
    return sock, answer.split(b"\r\n")[0]


def ws_read_text(sock: socket.socket) -> str:
    """One unmasked text frame from the server (short payloads only)."""
    head = sock.recv(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(sock.recv(2), "big")
    data = b""
    while len(data) < length:
        data += sock.recv(length - len(data))
    assert head[0] & 0x0F == 1, head
    return data.decode()


@pytest.mark.slow
def test_websockets_connect_and_receive_under_the_server(transactional_db, tmp_path):
    world = make_world()
    record = world.record("collected")
    django_client = Client()
    django_client.force_login(world.clerk)
    session = django_client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
    with live_server(tmp_path) as server:
        inbox, status = ws_open(server.port, "/ws/inbox/", cookie)
        assert b" 101 " in status
        anonymous, status = ws_open(server.port, "/ws/inbox/")
        assert b" 403 " in status
        anonymous.close()
        outside, status = ws_open(server.port, f"/ws/progress/{world.commune_b.pk}/", cookie)
        assert b" 403 " in status
        outside.close()
        progress, status = ws_open(server.port, f"/ws/progress/{world.commune_a.pk}/", cookie)
        assert b" 101 " in status
        # A scan stored over HTTP moves the case: the dashboard socket hears of it.
        browser = requests.Session()
        browser.cookies.set(settings.SESSION_COOKIE_NAME, session)
        browser.get(server.url + reverse("record_detail", args=[record.pk]))
        stored = browser.post(
            server.url + reverse("scan_upload", args=[record.pk]),
            files={"file": ("scan.pdf", samples.small_page_pdf("WS"), "application/pdf")},
            data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            allow_redirects=False,
        )
        assert stored.status_code == 302
        message = json.loads(ws_read_text(progress))
        assert message == {"type": "changed", "unit": world.commune_a.pk}
        progress.close()
        inbox.close()
