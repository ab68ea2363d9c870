"""A reference receiver for the national civil-status database, for the demo and the tests.

Standard library only (no Django), so it runs as its own process:

    python -m transfer.reference_receiver --port 8765 --db var/receiver.sqlite3
    python manage.py reference_receiver --port 8765          # the same, through Django

It speaks the protocol of `transfer.adapters.HttpJsonAdapter`, stores what it
receives in its own SQLite file, and stores each idempotency key once: a key it
already holds is answered "duplicate" with the original receipt. It refuses a
record for good ("rejected", with a message in Vietnamese, as a real receiver
would) when the registration date or the main person's name is missing, or
when its key or record id was put on the reject list.

Failure modes, switchable at start (--mode, --delay) or at run time with
``POST /_control {"mode": ..., "delay": ..., "reject_keys": [...], "reject_record_ids": [...]}``:

- ``ok``: answer normally.
- ``fail500``: answer every batch with HTTP 500, storing nothing.
- ``slow``: store the batch, then wait `delay` seconds before answering (the
  sender may time out although the records arrived).
- ``store_then_500``: store the batch, then answer HTTP 500 (a lost acknowledgement).

``GET /_state`` lists what is stored and how many deliveries were seen; ``GET /health`` answers "ok".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODES = ("ok", "fail500", "slow", "store_then_500")

REQUIRED_NAME = {
    "birth": (("nksHoTen", "họ tên người được khai sinh"),),
    "death": (("nktHoTen", "họ tên người chết"),),
    "marriage": (("chongHoTen", "họ tên bên chồng"), ("voHoTen", "họ tên bên vợ")),
}


class Receiver:
    """What the receiver holds and how it behaves; shared by the HTTP handler threads."""

    def __init__(self, db_path: str | Path, *, mode: str = "ok", delay: float = 0.0):
        self.db_path = str(db_path)
        self.mode = mode
        self.delay = delay
        self.reject_keys: set[str] = set()
        self.reject_record_ids: set[int] = set()
        self.lock = threading.Lock()
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, record_id INTEGER,"
                " version INTEGER, receipt TEXT, payload TEXT, received_at TEXT)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS deliveries (key TEXT, batch TEXT, at TEXT)")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.db_path, timeout=30)

    def control(self, settings: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "mode" in settings:
                if settings["mode"] not in MODES:
                    raise ValueError(f"mode must be one of {', '.join(MODES)}")
                self.mode = settings["mode"]
            if "delay" in settings:
                self.delay = float(settings["delay"])
            if "reject_keys" in settings:
                self.reject_keys = {str(k) for k in settings["reject_keys"]}
            if "reject_record_ids" in settings:
                self.reject_record_ids = {int(k) for k in settings["reject_record_ids"]}
            return {"mode": self.mode, "delay": self.delay}

    def problem(self, key: str, record: dict[str, Any]) -> str:
        """Why the record is refused for good, or ""."""
        if key in self.reject_keys or record.get("recordId") in self.reject_record_ids:
            return "Hồ sơ bị từ chối theo yêu cầu kiểm thử của cơ sở dữ liệu nhận."
        if record.get("update") == "scan":
            return (
                ""
                if (record.get("scan") or {}).get("sha256")
                else "Thiếu bản quét (scan) trong bản cập nhật."
            )
        data = record.get("data") or {}
        missing = []
        if not str(data.get("ngayDangKy") or "").strip():
            missing.append("ngày đăng ký (ngayDangKy)")
        for column, label in REQUIRED_NAME.get(str(record.get("eventType")), ()):
            if not str(data.get(column) or "").strip():
                missing.append(f"{label} ({column})")
        if missing:
            return "Thiếu " + ", ".join(missing) + ": bổ sung theo sổ gốc rồi gửi lại."
        return ""

    def receive(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        results = []
        now = dt.datetime.now(dt.UTC).isoformat()
        batch_id = str(batch.get("batch") or "")
        with self.lock, self._db() as db:
            for entry in batch.get("records") or []:
                key = str(entry["key"])
                record = entry.get("record") or {}
                db.execute("INSERT INTO deliveries VALUES (?, ?, ?)", (key, batch_id, now))
                problem = self.problem(key, record)
                if problem:
                    results.append({"key": key, "status": "rejected", "message": problem})
                    continue
                receipt = f"QG-{key}"
                inserted = db.execute(
                    "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        record.get("recordId"),
                        record.get("version"),
                        receipt,
                        json.dumps(record, ensure_ascii=False),
                        now,
                    ),
                ).rowcount
                if not inserted:
                    receipt = db.execute("SELECT receipt FROM records WHERE key = ?", (key,)).fetchone()[0]
                results.append(
                    {"key": key, "status": "accepted" if inserted else "duplicate", "receipt": receipt}
                )
        return results

    def state(self) -> dict[str, Any]:
        with self.lock, self._db() as db:
            rows = db.execute(
                "SELECT key, record_id, version, receipt FROM records ORDER BY rowid"
            ).fetchall()
            deliveries = db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
        return {
            "mode": self.mode,
            "records": [{"key": k, "recordId": r, "version": v, "receipt": c} for k, r, v, c in rows],
            "deliveries": deliveries,
        }


def make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length).decode() or "{}")

        def do_GET(self) -> None:
            if self.path == "/health":
                self._json(200, {"status": "ok"})
            elif self.path == "/_state":
                self._json(200, receiver.state())
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            try:
                body = self._body()
            except ValueError:
                self._json(400, {"error": "the body is not JSON"})
                return
            if self.path == "/_control":
                try:
                    self._json(200, receiver.control(body))
                except (ValueError, TypeError) as exc:
                    self._json(400, {"error": str(exc)})
                return
            if self.path != "/api/v1/batches":
                self._json(404, {"error": "not found"})
                return
            mode, delay = receiver.mode, receiver.delay
            if mode == "fail500":
                self._json(500, {"error": "simulated failure"})
                return
            results = receiver.receive(body)
            if mode == "slow":
                time.sleep(delay)
            if mode == "store_then_500":
                self._json(500, {"error": "simulated failure after storing"})
                return
            self._json(200, {"results": results})

    return Handler


class ReceiverServer:
    """The receiver on a port, in a background thread (tests) or in the foreground (`serve_forever`)."""

    def __init__(self, db_path: str | Path, *, host: str = "127.0.0.1", port: int = 0, **options: Any):
        self.receiver = Receiver(db_path, **options)
        self.httpd = ThreadingHTTPServer((host, port), make_handler(self.receiver))
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReceiverServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reference receiver for the national civil-status database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", default="var/receiver.sqlite3", help="SQLite file that keeps what arrives")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait in 'slow' mode")
    args = parser.parse_args(argv)
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    server = ReceiverServer(args.db, host=args.host, port=args.port, mode=args.mode, delay=args.delay)
    print(f"Reference receiver listening on {server.url} (store: {args.db}, mode: {args.mode})", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
