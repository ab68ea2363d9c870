"""The one launcher of the web tier: `python -m config.serve {all,web,ws}` (scripts/serve.sh).

Pages and WebSockets are served by two kinds of process:

- `web`: the pages, through WSGI (config.wsgi) under gunicorn: WEB_WORKERS processes (default
  2 × cores + 1) of WEB_THREADS threads (gthread, default 2; a second thread keeps a worker serving
  pages while a slow upload trickles in on the first). Each thread keeps its PostgreSQL
  connection between requests (DB_CONN_MAX_AGE, default 60 s here, with Django's health check), where
  the ASGI handler opened one per request; the processes use every core. Bodies over a route's limit
  are refused before they are read (config.request_limits.BoundedWSGIRequestBody).
- `ws`: the WebSockets (live inboxes and dashboards, routes under /ws/), through ASGI (config.asgi,
  channels) under one uvicorn process with the project's WebSocket protocol
  (config.websocket_server). It holds open sockets, not CPU.

A claim made in any web process reaches the sockets through the channel layer (Redis with
REDIS_URL; config/settings.py), so any number of web processes, on any number of machines, sit
behind one address, where a proxy sends /ws/ to `ws` and the rest to `web` (deploy/nginx.conf,
docker-compose.yml).

`all` (make run, the bench, the tests) starts both on loopback ports and itself listens on HOST:PORT
as that proxy: it reads the first request line of each connection and joins the connection to
`ws` (/ws/...) or to `web`, byte for byte. Browsers open a new connection for every WebSocket, so
one address serves both, as in production. (Behind it every client address is 127.0.0.1; in
production nginx passes X-Forwarded-For, read with CLIENT_IP_TRUSTED_PROXIES.)

Environment: HOST, PORT (default 127.0.0.1:8000); WEB_PORT and WS_PORT (role `all`: the inner
ports, default PORT+1 and PORT+2); WEB_WORKERS, WEB_THREADS; FORWARDED_ALLOW_IPS (the proxies
whose X-Forwarded-Proto is trusted, default 127.0.0.1); ACCESS_LOG=0 silences the access log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAD_MAX = 64 * 1024
KEEP_ALIVE_SECONDS = 5


def default_workers() -> int:
    """2 × cores + 1: a page spends part of its time waiting on PostgreSQL, so one process per
    core leaves the cores idle meanwhile (measured on 2 cores: README, "Serving")."""
    return 2 * (os.cpu_count() or 1) + 1


def web_command(host: str, port: int, *, access_log: bool) -> list[str]:
    workers = int(os.environ.get("WEB_WORKERS") or default_workers())
    threads = int(os.environ.get("WEB_THREADS") or 2)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        # Loaded once in the master, shared copy-on-write by the workers.
        "--preload",
        # A worker is replaced after this many requests (jittered), so that no slow growth lasts.
        "--max-requests",
        "5000",
        "--max-requests-jitter",
        "500",
        # An idle keep-alive connection is held 5 s (uvicorn's default; gunicorn's is 2 s): a client that
        # reuses a connection after 2–4 s must not meet the server closing it at that moment (a GET
        # answered by a closed connection: 8 of 12,125 requests of the 1,000,000-record campaign).
        "--keep-alive",
        str(KEEP_ALIVE_SECONDS),
        # A whole book's scan may take minutes to arrive: the worker's heartbeat is not the request's.
        "--timeout",
        "120",
        "--graceful-timeout",
        "30",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        "--log-level",
        os.environ.get("WEB_LOG_LEVEL", "warning"),
    ]
    if access_log:
        command += ["--access-logfile", "-"]
    shm = Path("/dev/shm")  # noqa: S108 - gunicorn's heartbeat file in memory, not a shared secret
    if shm.is_dir():
        command += ["--worker-tmp-dir", str(shm)]  # off the container's layer
    return [*command, "config.wsgi:application"]


def ws_command(host: str, port: int, *, access_log: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        host,
        "--port",
        str(port),
        "--ws",
        "config.websocket_server:AutobahnWebSocketProtocol",
        "--lifespan",
        "off",
        "--proxy-headers",
        "--log-level",
        os.environ.get("WEB_LOG_LEVEL", "warning"),
    ]
    if not access_log:
        command.append("--no-access-log")
    return [*command, "config.asgi:application"]


def web_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env.setdefault("DB_CONN_MAX_AGE", "60")
    return env


# --- role `all`: the two servers and a front on one address -----------------------------------------


LINGER_SECONDS = 30


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF. When the receiving side has gone (a 413 refusal closes the connection), keep
    reading and dropping what the sender still sends, as nginx's lingering close does: closing
    with unread bytes would reset the connection before the client reads the answer."""
    try:
        while data := await reader.read(65536):
            if writer.transport.is_closing():
                continue
            writer.write(data)
            try:
                await writer.drain()
            except ConnectionError:
                writer.transport.abort()
    except (ConnectionError, asyncio.IncompleteReadError):
        # A reset raises before the bytes that came ahead of it are handed out (StreamReader keeps
        # them): pass them on, they are the server's answer.
        leftover = bytes(getattr(reader, "_buffer", b""))
        if leftover and not writer.transport.is_closing():
            writer.write(leftover)
    finally:
        try:
            if not writer.transport.is_closing() and writer.can_write_eof():
                writer.write_eof()
        except (OSError, RuntimeError):
            writer.close()


class Front:
    """Joins each connection to `ws` when its first request is for /ws/, else to `web`."""

    def __init__(self, web_port: int, ws_port: int):
        self.web_port, self.ws_port = web_port, ws_port

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        parts = head.split(b" ")
        path = parts[1] if len(parts) > 1 else b"/"
        port = self.ws_port if path.startswith(b"/ws/") else self.web_port
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            writer.close()
            return
        up_writer.write(head)
        upstream = asyncio.ensure_future(_pipe(reader, up_writer))
        await _pipe(up_reader, writer)  # the answers, until the server closes
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(upstream, LINGER_SECONDS)
        up_writer.close()
        writer.close()

    async def serve(self, host: str, port: int, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self.handle, host, port, limit=HEAD_MAX, reuse_address=True)
        async with server:
            await stop.wait()


def _wait_listening(port: int, procs: list[subprocess.Popen], timeout: float = 120) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("civreg: a server exited while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"civreg: nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def serve_all(host: str, port: int, *, access_log: bool) -> int:
    web_port = int(os.environ.get("WEB_PORT") or port + 1)
    ws_port = int(os.environ.get("WS_PORT") or port + 2)
    env = web_environment()
    procs = [
        subprocess.Popen(web_command("127.0.0.1", web_port, access_log=access_log), cwd=ROOT, env=env),
        subprocess.Popen(
            ws_command("127.0.0.1", ws_port, access_log=access_log), cwd=ROOT, env=dict(os.environ)
        ),
    ]

    def stop_children() -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 20
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    try:
        _wait_listening(web_port, procs)
        _wait_listening(ws_port, procs)
        status = asyncio.run(_front_until_done(host, port, web_port, ws_port, procs))
    except KeyboardInterrupt:
        status = 130
    finally:
        stop_children()
    return status


async def _front_until_done(
    host: str, port: int, web_port: int, ws_port: int, procs: list[subprocess.Popen]
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    status = 0

    def on_signal() -> None:
        nonlocal status
        status = 143
        stop.set()

    loop.add_signal_handler(signal.SIGTERM, on_signal)
    loop.add_signal_handler(signal.SIGINT, on_signal)

    async def watch() -> None:
        nonlocal status
        while not stop.is_set():
            for name, p in zip(("gunicorn", "uvicorn"), procs, strict=True):
                if p.poll() is not None:
                    print(f"civreg: {name} exited with {p.returncode}; stopping", file=sys.stderr)
                    status = p.returncode or 1
                    stop.set()
            await asyncio.sleep(0.5)

    print(
        f"civreg: http://{host}:{port}/ (pages: gunicorn on :{web_port}, /ws/: uvicorn on :{ws_port})",
        flush=True,
    )
    watcher = asyncio.create_task(watch())
    await Front(web_port, ws_port).serve(host, port, stop)
    watcher.cancel()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=["all", "web", "ws"], nargs="?", default="all")
    args = parser.parse_args(argv)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    access_log = os.environ.get("ACCESS_LOG", "1") != "0"
    os.chdir(ROOT)
    if args.role == "web":
        os.execvpe(sys.executable, web_command(host, port, access_log=access_log), web_environment())  # noqa: S606
    if args.role == "ws":
        os.execvp(sys.executable, ws_command(host, port, access_log=access_log))  # noqa: S606
    return serve_all(host, port, access_log=access_log)


if __name__ == "__main__":
    sys.exit(main())
