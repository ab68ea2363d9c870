"""A reference receiver for the national civil-status database, for the demo and the tests.

Standard library only (no Django), so it runs as its own process:

    TRANSFER_RECEIVER_TOKEN=... python -m transfer.reference_receiver --port 8765 --db var/receiver.sqlite3
    python manage.py reference_receiver --port 8765          # the same, token and test mode from settings

It speaks the protocol of `transfer.adapters.HttpJsonAdapter` and, like the national database,
answers only senders that authenticate: every request but ``GET /health`` must carry
``Authorization: Bearer <token>`` (compared in constant time); without it, or with another token,
the answer is 401. A batch that is not what the protocol says (not JSON, a field missing or of
the wrong type, a key that does not belong to its record: forged or mixed up) is refused whole
with 400 and ``{"error": ..., "field": "records[2].record.recordId"}``, storing nothing.

Mutual TLS, optional (``--tls-cert``/``--tls-key`` serve HTTPS; ``--tls-client-ca`` then demands
a client certificate signed by that CA): a sender without one is cut off during the TLS handshake,
before any request is read. The bearer token is demanded as well.

It stores what it receives in its own SQLite file, and stores each idempotency key once: a key
it already holds is answered "duplicate" with the original receipt. Each case's scan comes inside
the record (``scan.content``, base64): it is decoded, checked against ``scan.sha256`` and
``scan.size``, and its bytes stored as they came (table ``scans``, read back with `scan_content`);
the stored payload keeps the scan's description without the content. It refuses a record for
good ("rejected", with a message in Vietnamese, as a real receiver would) when the
registration date or the main person's name is missing, when its scan's content is missing or
does not match its hash or size, or when its key or record id was put on the reject list.

Test mode only (``--test-mode``, or TRANSFER_RECEIVER_TEST_MODE): ``GET /_state`` lists what is
stored (with each stored scan's SHA-256 and size, computed from the stored bytes) and how many
deliveries were seen, ``GET /_scans/<key>`` answers a stored scan's bytes, and
``POST /_control {"mode": ..., "delay": ..., "reject_keys": [...], "reject_record_ids": [...]}``
switches the failure modes. Outside test mode these paths do not exist (404). Failure modes,
also settable at start (--mode, --delay):

- ``ok``: answer normally.
- ``fail500``: answer every batch with HTTP 500, storing nothing.
- ``slow``: store the batch, then wait `delay` seconds before answering (the
  sender may time out although the records arrived).
- ``store_then_500``: store the batch, then answer HTTP 500 (a lost acknowledgement).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import socket
import sqlite3
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODES = ("ok", "fail500", "slow", "store_then_500")
MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 1000
EVENT_TYPES = (
    "birth", "marriage", "death", "parentage", "guardianship", "guardianship_end",
    "amendment", "divorce_note", "marital_status", "adoption",
)  # fmt: skip
KEY_PATTERN = re.compile(r"civreg-([1-9][0-9]{0,18})-v([1-9][0-9]{0,9})")
# The late scan of a record the database already holds: an update carrying only the scan.
SCAN_KEY_PATTERN = re.compile(r"civreg-([1-9][0-9]{0,18})-scan-([1-9][0-9]{0,18})")
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class BadBatch(ValueError):
    """The batch is not what the protocol says; `field` names where (e.g. records[2].record.recordId)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_text(value: Any, field: str, *, max_length: int, required: bool = True) -> None:
    if not isinstance(value, str):
        raise BadBatch(field, f"{field} must be a string")
    if required and not value.strip():
        raise BadBatch(field, f"{field} must not be empty")
    if len(value) > max_length:
        raise BadBatch(field, f"{field} is longer than {max_length} characters")
    if "\x00" in value:
        raise BadBatch(field, f"{field} holds a NUL character")


def _check_record(record: Any, field: str, key: str) -> None:
    if not isinstance(record, dict):
        raise BadBatch(field, f"{field} must be a JSON object")
    for name in ("recordId", "version"):
        if not _is_int(record.get(name)) or record[name] < 1:
            raise BadBatch(f"{field}.{name}", f"{field}.{name} must be a positive whole number")
    scan_key = SCAN_KEY_PATTERN.fullmatch(key)
    if scan_key:
        _check_scan_update(record, field, key, int(scan_key.group(1)))
        return
    if key != f"civreg-{record['recordId']}-v{record['version']}":
        raise BadBatch(
            f"{field}.recordId",
            f"{field}.recordId and version ({record['recordId']}, v{record['version']}) do not match the key "
            f"{key!r}: the record is forged or mixed up",
        )
    if record.get("eventType") not in EVENT_TYPES:
        raise BadBatch(f"{field}.eventType", f"{field}.eventType must be one of {', '.join(EVENT_TYPES)}")
    _check_text(record.get("unitCode"), f"{field}.unitCode", max_length=32)
    if not isinstance(record.get("data"), dict):
        raise BadBatch(f"{field}.data", f"{field}.data must be a JSON object")
    _check_scan(record.get("scan"), field)


def _check_scan_update(record: dict, field: str, key: str, record_id: int) -> None:
    """A scan update: the record it updates (named by the key), its event type and unit, the scan."""
    if record.get("update") != "scan":
        raise BadBatch(f"{field}.update", f'{field}.update must be "scan" for a key like {key!r}')
    if record["recordId"] != record_id:
        raise BadBatch(
            f"{field}.recordId",
            f"{field}.recordId ({record['recordId']}) does not match the key {key!r}: the update is forged",
        )
    if record.get("eventType") not in EVENT_TYPES:
        raise BadBatch(f"{field}.eventType", f"{field}.eventType must be one of {', '.join(EVENT_TYPES)}")
    _check_text(record.get("unitCode"), f"{field}.unitCode", max_length=32)
    if record.get("scan") is None:
        raise BadBatch(f"{field}.scan", f"{field}.scan is required in a scan update")
    _check_scan(record.get("scan"), field)


def _check_scan(scan: Any, field: str) -> None:
    if scan is not None:
        if not isinstance(scan, dict):
            raise BadBatch(f"{field}.scan", f"{field}.scan must be a JSON object or null")
        if not isinstance(scan.get("sha256"), str) or not SHA256_PATTERN.fullmatch(scan["sha256"]):
            raise BadBatch(f"{field}.scan.sha256", f"{field}.scan.sha256 must be 64 lowercase hex digits")
        if not _is_int(scan.get("size")) or scan["size"] < 0:
            raise BadBatch(f"{field}.scan.size", f"{field}.scan.size must be a whole number of bytes")
        _check_text(scan.get("name"), f"{field}.scan.name", max_length=255)
        if scan.get("content") is not None and not isinstance(scan["content"], str):
            raise BadBatch(f"{field}.scan.content", f"{field}.scan.content must be a base64 string")
        if scan.get("encoding", "base64") != "base64":
            raise BadBatch(f"{field}.scan.encoding", f'{field}.scan.encoding must be "base64"')


def check_batch(body: Any) -> None:
    """Raise BadBatch naming the first field that is not what the protocol says."""
    if not isinstance(body, dict):
        raise BadBatch("", "the body must be a JSON object")
    batch = body.get("batch")
    if not isinstance(batch, str) or not UUID_PATTERN.fullmatch(batch):
        raise BadBatch("batch", "batch must be a UUID (lowercase, with hyphens)")
    records = body.get("records")
    if not isinstance(records, list) or not records:
        raise BadBatch("records", "records must be a non-empty list")
    if len(records) > MAX_RECORDS:
        raise BadBatch("records", f"records holds more than {MAX_RECORDS} entries")
    seen: set[str] = set()
    for i, entry in enumerate(records):
        field = f"records[{i}]"
        if not isinstance(entry, dict):
            raise BadBatch(field, f"{field} must be a JSON object with key and record")
        key = entry.get("key")
        if not isinstance(key, str) or not (KEY_PATTERN.fullmatch(key) or SCAN_KEY_PATTERN.fullmatch(key)):
            raise BadBatch(
                f"{field}.key",
                f"{field}.key must look like civreg-<record id>-v<version>"
                " (or civreg-<record id>-scan-<scan id>)",
            )
        if key in seen:
            raise BadBatch(f"{field}.key", f"{field}.key {key!r} appears twice in the batch")
        seen.add(key)
        _check_record(entry.get("record"), f"{field}.record", key)


REQUIRED_NAME = {
    "birth": (("nksHoTen", "họ tên người được khai sinh"),),
    "death": (("nktHoTen", "họ tên người chết"),),
    "marriage": (("chongHoTen", "họ tên bên chồng"), ("voHoTen", "họ tên bên vợ")),
}


class Receiver:
    """What the receiver holds and how it behaves; shared by the HTTP handler threads."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        token: str,
        test_mode: bool = False,
        mode: str = "ok",
        delay: float = 0.0,
    ):
        if len(token) < 16:
            raise ValueError("The receiver needs a token of 16 characters or more (TRANSFER_RECEIVER_TOKEN).")
        self.token = token.encode()
        self.test_mode = test_mode
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
            db.execute(
                "CREATE TABLE IF NOT EXISTS scans (key TEXT PRIMARY KEY, record_id INTEGER, name TEXT,"
                " content BLOB)"
            )

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.db_path, timeout=30)

    def authenticated(self, authorization: str | None) -> bool:
        """Whether the Authorization header carries this receiver's bearer token (constant-time)."""
        scheme, _sep, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode(), self.token)

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
        """Why the record is refused for good, or "" (its scan is checked by `scan_bytes`)."""
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
                scan = record.get("scan")
                content, scan_problem = scan_bytes(scan) if scan else (None, "")
                if problem or scan_problem:
                    results.append({"key": key, "status": "rejected", "message": problem or scan_problem})
                    continue
                receipt = f"QG-{key}"
                described = {**record, "scan": _without_content(scan)} if scan else record
                inserted = db.execute(
                    "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        record.get("recordId"),
                        record.get("version"),
                        receipt,
                        json.dumps(described, ensure_ascii=False),
                        now,
                    ),
                ).rowcount
                if inserted and scan:
                    db.execute(
                        "INSERT INTO scans VALUES (?, ?, ?, ?)",
                        (key, record.get("recordId"), scan["name"], content),
                    )
                if not inserted:
                    receipt = db.execute("SELECT receipt FROM records WHERE key = ?", (key,)).fetchone()[0]
                results.append(
                    {"key": key, "status": "accepted" if inserted else "duplicate", "receipt": receipt}
                )
        return results

    def state(self) -> dict[str, Any]:
        with self.lock, self._db() as db:
            rows = db.execute(
                "SELECT r.key, r.record_id, r.version, r.receipt, s.content FROM records r"
                " LEFT JOIN scans s ON s.key = r.key ORDER BY r.rowid"
            ).fetchall()
            deliveries = db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
        return {
            "mode": self.mode,
            "records": [
                {
                    "key": k,
                    "recordId": r,
                    "version": v,
                    "receipt": c,
                    # computed from the stored bytes, not copied from the payload
                    "scan": None if b is None else {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)},
                }
                for k, r, v, c, b in rows
            ],
            "deliveries": deliveries,
        }

    def scan_content(self, key: str) -> bytes | None:
        """The bytes of the scan stored under the key, as they arrived; None if none."""
        with self.lock, self._db() as db:
            row = db.execute("SELECT content FROM scans WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])


def scan_bytes(scan: dict[str, Any]) -> tuple[bytes | None, str]:
    """The scan's decoded bytes and "", or None and why it is refused (in Vietnamese, naming the field)."""
    content = scan.get("content")
    if not content:
        return None, "Thiếu nội dung tệp bản quét (scan.content): gửi kèm tệp PDF của hồ sơ."
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return None, "Nội dung bản quét (scan.content) không phải base64 hợp lệ: gửi lại tệp gốc."
    if len(data) != scan["size"]:
        return None, (
            f"Bản quét không khớp kích thước: nhận được {len(data)} byte, khai báo {scan['size']} byte "
            "(scan.size); tệp bị cắt hoặc bị sửa trên đường truyền, gửi lại tệp gốc."
        )
    digest = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(digest, scan["sha256"]):
        return None, (
            f"Bản quét không khớp mã băm SHA-256: tệp nhận được có mã {digest}, khai báo {scan['sha256']} "
            "(scan.sha256); tệp bị hỏng hoặc bị sửa trên đường truyền, gửi lại tệp gốc."
        )
    return data, ""


def _without_content(scan: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in scan.items() if name != "content"}


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

        def _refuse_unauthenticated(self) -> bool:
            if receiver.authenticated(self.headers.get("Authorization")):
                return False
            data = json.dumps({"error": "authentication required: Authorization: Bearer <token>"}).encode()
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Bearer realm="civil-status"')
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return True

        def _routes(self) -> tuple[str, ...]:
            return ("/api/v1/batches", "/_state", "/_control") if receiver.test_mode else ("/api/v1/batches",)

        def _scan(self, key: str) -> None:
            content = receiver.scan_content(key)
            if content is None:
                self._json(404, {"error": f"no scan stored under {key!r}"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def _body(self) -> Any:
            """The JSON body, or None after answering 400/413 (read only when its size is allowed)."""
            try:
                length = int(self.headers.get("Content-Length") or "")
            except ValueError:
                self._json(400, {"error": "Content-Length is missing or not a number", "field": ""})
                return None
            if length < 0 or length > MAX_BODY_BYTES:
                self.close_connection = True
                self._json(413, {"error": f"the body must be at most {MAX_BODY_BYTES} bytes", "field": ""})
                return None
            try:
                return json.loads(self.rfile.read(length).decode() or "{}")
            except ValueError:
                self._json(400, {"error": "the body is not JSON (UTF-8)", "field": ""})
                return None

        def do_GET(self) -> None:
            if self.path == "/health":
                self._json(200, {"status": "ok"})
            elif self.path == "/_state" and self.path in self._routes():
                if not self._refuse_unauthenticated():
                    self._json(200, receiver.state())
            elif self.path.startswith("/_scans/") and receiver.test_mode:
                if not self._refuse_unauthenticated():
                    self._scan(self.path.removeprefix("/_scans/"))
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path not in self._routes():
                self.close_connection = True
                self._json(404, {"error": "not found"})
                return
            if self._refuse_unauthenticated():
                return
            body = self._body()
            if body is None:
                return
            if self.path == "/_control":
                try:
                    self._json(200, receiver.control(body))
                except (ValueError, TypeError) as exc:
                    self._json(400, {"error": str(exc)})
                return
            try:
                check_batch(body)
            except BadBatch as exc:
                self._json(400, {"error": exc.message, "field": exc.field})
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


def server_tls_context(cert: str, key: str, client_ca: str = "") -> ssl.SSLContext:
    """HTTPS with the server's certificate; with `client_ca`, a client certificate it signed is required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    return context


class TLSHTTPServer(ThreadingHTTPServer):
    """The threading server, each connection's TLS handshake done in its own thread: a sender without
    an acceptable client certificate is cut off there, before a byte of its request is read."""

    HANDSHAKE_SECONDS = 30

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext
    ):
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(self.HANDSHAKE_SECONDS)
        try:
            connection = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            request.close()
            return
        try:
            connection.settimeout(None)
            super().finish_request(connection, client_address)
        finally:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)


class ReceiverServer:
    """The receiver on a port, in a background thread (tests) or in the foreground (`serve_forever`).

    With `tls_cert` and `tls_key` it serves HTTPS; with `client_ca` as well, only to senders presenting
    a client certificate signed by that CA (mutual TLS)."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_cert: str | Path = "",
        tls_key: str | Path = "",
        client_ca: str | Path = "",
        **options: Any,
    ):
        if client_ca and not tls_cert:
            raise ValueError(
                "A client CA (mutual TLS) needs the server's certificate and key (--tls-cert, --tls-key)."
            )
        if bool(tls_cert) != bool(tls_key):
            raise ValueError("HTTPS needs both the server's certificate and its key (--tls-cert, --tls-key).")
        self.receiver = Receiver(db_path, **options)
        handler = make_handler(self.receiver)
        self.tls = bool(tls_cert)
        if tls_cert:
            try:
                context = server_tls_context(str(tls_cert), str(tls_key), str(client_ca or ""))
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(
                    f"The TLS files cannot be loaded (--tls-cert {tls_cert}, --tls-key {tls_key}, "
                    f"--tls-client-ca {client_ca or '-'}): {exc}"
                ) from exc
            self.httpd: ThreadingHTTPServer = TLSHTTPServer((host, port), handler, context)
        else:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.socket.getsockname()[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> ReceiverServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None, *, token: str | None = None, test_mode: bool | None = None) -> None:
    """Serve in the foreground. The token comes from `token`, else the TRANSFER_RECEIVER_TOKEN variable
    (never the command line, where other users of the machine could read it)."""
    parser = argparse.ArgumentParser(description="Reference receiver for the national civil-status database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", default="var/receiver.sqlite3", help="SQLite file that keeps what arrives")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait in 'slow' mode")
    parser.add_argument("--test-mode", action="store_true", help="serve /_state and /_control (tests only)")
    parser.add_argument("--tls-cert", default="", help="server certificate (PEM): serve HTTPS")
    parser.add_argument("--tls-key", default="", help="the server certificate's private key (PEM)")
    parser.add_argument(
        "--tls-client-ca",
        default="",
        help="CA bundle (PEM): demand a client certificate it signed (mutual TLS)",
    )
    args = parser.parse_args(argv)
    token = token if token is not None else os.environ.get("TRANSFER_RECEIVER_TOKEN", "")
    if test_mode is None:
        test_mode = args.test_mode or os.environ.get("TRANSFER_RECEIVER_TEST_MODE", "") in (
            "1",
            "true",
            "yes",
            "on",
        )
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    try:
        server = ReceiverServer(
            args.db,
            host=args.host,
            port=args.port,
            token=token,
            test_mode=test_mode,
            mode=args.mode,
            delay=args.delay,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            client_ca=args.tls_client_ca,
        )
    except (ValueError, OSError) as exc:  # no token, TLS files missing, port taken
        raise SystemExit(str(exc)) from exc
    print(
        f"Reference receiver listening on {server.url} (store: {args.db}, mode: {args.mode}"
        f"{', client certificate required' if args.tls_client_ca else ''}"
        f"{', test endpoints on' if test_mode else ''})",
        flush=True,
    )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
