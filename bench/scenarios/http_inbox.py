"""HTTP inbox under 16 concurrent clients, and the web workers' memory under that load.

The harness starts the web tier as `make run` does (config/serve.py: gunicorn's WSGI
workers, WEB_WORKERS = 2 × cores + 1 of 2 threads, persistent connections; bench settings: DEBUG
off) on 127.0.0.1 free ports, logs 16 commune clerks in (one
session each, made with Django's session store), and lets them request their
inbox page as fast as it answers for `bench.duration` seconds. The page is the
inbox of issue 3 when its URL (name "inbox") exists; until then the record list
(/records/), which is what a clerk opens to find work today. RSS is sampled with
psutil every 0.2 s on each worker process; the maximum is reported.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench.stats import percentile, profiled

NAME = "http_inbox"
KEYS = ["http_inbox_req_s", "http_inbox_p95_ms", "web_rss_mb"]
ROOT = Path(__file__).resolve().parents[2]
INBOX_URL_NAMES = ["inbox_queue"]  # issue 3: the Queue page (workflows/inbox_urls.py)


def target_path() -> str:
    from django.urls import NoReverseMatch, reverse

    for name in INBOX_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/records/"


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebServer:
    """The web tier as `make run` and production start it (config/serve.py, role `all`: gunicorn's
    WSGI workers for pages, uvicorn for /ws/, the front), with the bench settings. The load goes to
    the page workers' own port, as the proxy in front of them sends it in production."""

    def __init__(self, *, database: str, workers: int):
        front = free_port()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_DATABASE": database,
            "HOST": "127.0.0.1",
            "PORT": str(front),
            "WEB_PORT": str(self.port),
            "WS_PORT": str(free_port()),
            "WEB_WORKERS": str(workers),
            "ACCESS_LOG": "0",
        }
        self.proc = subprocess.Popen([sys.executable, "-m", "config.serve", "all"], cwd=ROOT, env=env)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the web tier exited with {self.proc.returncode} before serving")
            try:
                with urllib.request.urlopen(f"{self.base}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the web tier did not answer on {self.base} within {timeout:.0f} s")

    def worker_processes(self):
        """The page workers: the gunicorn master's children."""
        import psutil

        main = psutil.Process(self.proc.pid)
        masters = [c for c in main.children() if "gunicorn" in " ".join(c.cmdline())]
        workers = [w for m in masters for w in m.children()]
        return workers or masters or [main]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class RssSampler(threading.Thread):
    def __init__(self, server: WebServer, interval: float = 0.2):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.peak: dict[int, int] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stopping.is_set():
            try:
                for proc in self.server.worker_processes():
                    rss = proc.memory_info().rss
                    self.peak[proc.pid] = max(self.peak.get(proc.pid, 0), rss)
            except psutil.Error:
                pass
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join()


async def _load(base: str, path: str, cookies: list[str], duration: float) -> tuple[list[float], int, float]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def client(session, cookie: str) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with session.get(base + path, headers={"Cookie": cookie}, allow_redirects=False) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=len(cookies))
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, c) for c in cookies))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def _get(base: str, path: str, cookie: str) -> tuple[int, float, bytes]:
    started = time.perf_counter()
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        body = response.read()
        return response.status, (time.perf_counter() - started) * 1000, body


def _profile_page(bench, path: str) -> None:
    """The page's own CPU, without the server and the network: 50 requests through Django's test
    client as a commune clerk, profiled into profile-http_inbox_page.txt."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(bench.user(bench.clerk_name(0)))
    client.get(path)
    with profiled("http_inbox_page", bench.profile_dir):
        for _ in range(50):
            client.get(path)


def run(bench) -> dict:
    path = target_path()
    communes = bench.communes()
    cookies = [session_cookie(bench.user(bench.clerk_name(i % len(communes)))) for i in range(bench.clients)]
    admin_cookie = session_cookie(bench.user("admin.tinh"))
    from django.db import connections

    connections.close_all()
    web_workers = 2 * max(1, bench.cores) + 1
    server = WebServer(database=bench.database, workers=web_workers)
    try:
        server.wait_ready()
        status, _ms, body = _get(server.base, path, cookies[0])
        if status != 200 or b"<table" not in body:
            raise RuntimeError(f"GET {path} as a clerk answered {status} without the list")
        for cookie in cookies:  # warm every worker and connection
            _get(server.base, path, cookie)
        sampler = RssSampler(server)
        sampler.start()
        latencies, errors, elapsed = asyncio.run(_load(server.base, path, cookies, bench.duration))
        sampler.stop()
        province_ms = [_get(server.base, path, admin_cookie)[1] for _ in range(max(3, bench.samples // 10))]
    finally:
        server.stop()
    if bench.profile_dir:
        _profile_page(bench, path)
    peaks = sorted(sampler.peak.values())
    return {
        "http_inbox_req_s": round(len(latencies) / elapsed, 1),
        "http_inbox_p95_ms": round(percentile(latencies, 95), 1),
        "http_inbox_p50_ms": round(percentile(latencies, 50), 1),
        "http_inbox_requests": len(latencies),
        "http_inbox_errors": errors,
        "http_inbox_path": path,
        "http_inbox_clients": len(cookies),
        "http_web_workers": web_workers,
        "http_province_list_p50_ms": round(percentile(province_ms, 50), 1),
        "web_rss_mb": round(peaks[-1] / 2**20, 1) if peaks else None,
        "web_rss_total_mb": round(sum(peaks) / 2**20, 1) if peaks else None,
    }
