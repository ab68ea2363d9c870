"""The real web tier (scripts/serve.sh all: gunicorn's WSGI workers for pages, uvicorn with the
project's WebSocket protocol for /ws/, the front on one port) as a subprocess on a free port,
serving the test database, for tests of what only a server shows: memory use, bodies refused
before they are read, WebSocket handshakes, live updates across processes. The processes share
their channel layer (and, with `redis_url`, cache and sessions) as in production."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psutil
import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    """The test database as a URL, over TCP or over the embedded server's Unix socket."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host") or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{db['NAME']}?host={quote(host)}"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class LiveServer:
    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def rss(self) -> int:
        """Resident memory of the server process and its children, in bytes."""
        proc = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


@contextmanager
def live_server(data_dir: Path, *, redis_url: str = "", name: str = "server") -> Iterator[LiveServer]:
    """Serve the committed test database (use `transactional_db`) until the block ends."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"{name}.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CIVREG_TESTING": "1",
        "DEBUG": "0",
        "DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_PORT": str(free_port()),
        "WS_PORT": str(free_port()),
        "WEB_WORKERS": "2",
        "WEB_THREADS": "2",
        "ACCESS_LOG": "0",
        "CIVREG_LIVE_SERVER": "1",
        "REDIS_URL": redis_url,
        "PYTHON": str(ROOT / ".venv" / "bin" / "python"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "serve.sh"), "all"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
            try:
                requests.get(server.url + "/accounts/login/", timeout=2)
                break
            except (
                requests.ConnectionError,
                requests.ReadTimeout,
            ):  # not up yet, or its first (cold) answer is slow
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        # Warm the page workers (each loads templates and translations on its first pages), so that
        # what a test measures is its own requests; fresh connections spread over the workers.
        for _ in range(8):
            requests.get(server.url + "/accounts/login/", timeout=30)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
