"""Talking to the national civil-status database.

`NationalDbAdapter` is the interface the worker uses: send a batch of records,
each under its idempotency key, and get one result per key. An adapter raises
`TransientTransferError` when the whole batch may be retried (timeout, refused
connection, HTTP 5xx or 429, an answer that cannot be read); a per-record
"rejected" result is permanent and carries the receiver's message.

`HttpJsonAdapter` speaks the JSON protocol of the reference receiver
(`transfer.reference_receiver`):

    POST {base}/api/v1/batches   {"batch": "<uuid>", "records": [{"key": ..., "record": {...}}]}
    Authorization: Bearer <TRANSFER_TOKEN>
    200 {"results": [{"key": ..., "status": "accepted"|"duplicate"|"rejected",
                      "receipt": "...", "message": "..."}]}

"duplicate" means the receiver already holds that key: it is an acknowledgement. The late scan
of a record the receiver already holds goes as `{"update": "scan", "recordId": ..., "scan": {...}}`
under its own key (`scan_update_key`).

Authentication, by configuration: the bearer token TRANSFER_TOKEN on every request, and, when the
national database asks for mutual TLS, the client certificate TRANSFER_CLIENT_CERT with its key
TRANSFER_CLIENT_KEY, the server checked against TRANSFER_CA_BUNDLE (else the system's CAs).

The scan travels inside the payload: `record.scan` is
`{"name", "sha256", "size", "pages", "contentType": "application/pdf", "encoding": "base64",
"content": "<the PDF's bytes in base64>"}`, and the receiver checks the decoded bytes against
`sha256` and `size`. Why inline and not a signed, expiring link the receiver fetches:

- a case's scan is small by rule (SCAN_MAX_KB, 100 KB per case by default: about 137 KB in
  base64), so a batch of 50 cases is a few megabytes — batches are also capped by bytes
  (TRANSFER_BATCH_MAX_BYTES);
- a link needs the national side to reach into the province's network to fetch it, which a
  province's data centre does not allow, and a second, unauthenticated-by-design entry point
  (whoever holds the link) to scans full of personal data;
- inline, the record and its scan arrive together or not at all, under the same idempotency key
  and the same authentication: the exactly-once guarantees of the outbox cover the scan too, and a
  link cannot expire before a retry, hours later, gets through.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import urllib.error
import urllib.request
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from registry.ministry_format import as_written_columns, record_row
from registry.models import CivilRecord
from scans.models import ScanFile, current_scan

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
ACKNOWLEDGED = (ACCEPTED, DUPLICATE)


class TransientTransferError(Exception):
    """The batch did not go through; sending it again later may work."""


class ScanUnavailable(Exception):
    """The scan file cannot be read from storage, or its bytes no longer match its hash: the item
    is not sent (it waits, with this message, until the file is restored)."""


@dataclass(frozen=True)
class OutgoingRecord:
    key: str
    record: dict[str, Any]


@dataclass(frozen=True)
class ItemResult:
    key: str
    status: str
    receipt: str = ""
    message: str = ""


def idempotency_key(record: CivilRecord) -> str:
    """One key per record version: the same version is never stored twice by the receiver."""
    return f"civreg-{record.pk}-v{record.version}"


def scan_update_key(record: CivilRecord, scan: ScanFile) -> str:
    """One key per late scan: the receiver stores the scan update of a record once."""
    return f"civreg-{record.pk}-scan-{scan.pk}"


def scan_name(record: CivilRecord, scan: ScanFile | None) -> str:
    """The scan's file name: the canonical name set at attach, else the same naming rule applied now."""
    if scan is not None and scan.canonical_name:
        name = scan.canonical_name
        return name if name.lower().endswith(".pdf") else f"{name}.pdf"
    from scans.naming import scan_canonical_name

    return scan_canonical_name(record)


def record_payload(record: CivilRecord, *, amends: str = "") -> dict[str, Any]:
    """What the national database receives for one record version (the Ministry row plus identity).

    A version of a record the national database already holds is sent as an amendment of it:
    `kind` "amendment", the receipt of the version it replaces, and the reason given."""
    scan = current_scan(record.scans.all())
    return {
        "recordId": record.pk,
        "version": record.version,
        "kind": "amendment" if amends else "registration",
        **({"amends": amends, "amendmentReason": record.last_reason} if amends else {}),
        "eventType": record.event_type,
        "unitCode": record.unit.code,
        "authority": record.book.authority_as_written,
        "bookYear": record.book.year,
        "data": record_row(record),
        # Fields whose implausible value is confirmed as written in the book (Ministry column names;
        # also named at the end of data["ghiChu"]).
        "asWritten": as_written_columns(record.event_type, record.as_written or ()),
        "scan": _scan_part(record, scan) if scan else None,
    }


def _scan_part(record: CivilRecord, scan: ScanFile) -> dict[str, Any]:
    content = scan_content(record, scan)
    return {
        "name": scan_name(record, scan),
        "sha256": scan.sha256,
        "size": scan.size,
        "pages": scan.pages,
        "contentType": "application/pdf",
        "encoding": "base64",
        "content": base64.b64encode(content).decode("ascii"),
    }


def scan_content(record: CivilRecord, scan: ScanFile) -> bytes:
    """The scan's bytes as stored, checked against its SHA-256 and size (`ScanUnavailable` if not)."""
    name = scan_name(record, scan)
    try:
        with scan.file.open("rb") as handle:
            content = handle.read()
    except (OSError, ValueError) as exc:
        raise ScanUnavailable(
            _("The scan file %(name)s cannot be read from storage (%(error)s); restore it, then retry.")
            % {"name": name, "error": exc}
        ) from exc
    if len(content) != scan.size or hashlib.sha256(content).hexdigest() != scan.sha256:
        raise ScanUnavailable(
            _(
                "The scan file %(name)s in storage no longer matches its SHA-256 fingerprint: it was "
                "changed or damaged; restore it from the backup, then retry."
            )
            % {"name": name}
        )
    return content


def scan_update_payload(record: CivilRecord, scan: ScanFile) -> dict[str, Any]:
    """What the national database receives for the late scan of a record it already holds:
    an update of that record carrying only the scan."""
    return {
        "recordId": record.pk,
        "version": record.version,
        "update": "scan",
        "eventType": record.event_type,
        "unitCode": record.unit.code,
        "scan": _scan_part(record, scan),
    }


class NationalDbAdapter(ABC):
    @abstractmethod
    def send_batch(self, records: list[OutgoingRecord]) -> list[ItemResult]:
        """Send the records; return a result per key received. Raise TransientTransferError to retry all."""


def entry_bytes(record: OutgoingRecord) -> int:
    """How many bytes the record adds to a batch's body (as `HttpJsonAdapter.encode` writes it)."""
    return len(json.dumps({"key": record.key, "record": record.record}, ensure_ascii=False).encode()) + 2


# The body around the records: {"batch": "<uuid>", "records": []}.
ENVELOPE_BYTES = len(json.dumps({"batch": str(uuid.UUID(int=0)), "records": []}).encode())


def client_tls_context(*, ca_bundle: str = "", client_cert: str = "", client_key: str = "") -> ssl.SSLContext:
    """The TLS context for https: the server checked against `ca_bundle` (else the system's CAs),
    and our client certificate presented when the national database asks for one (mutual TLS)."""
    context = ssl.create_default_context(cafile=ca_bundle or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_cert:
        context.load_cert_chain(client_cert, client_key or None)
    return context


class HttpJsonAdapter(NationalDbAdapter):
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        token: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
        ca_bundle: str | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = settings.TRANSFER_TOKEN if token is None else token
        cert = settings.TRANSFER_CLIENT_CERT if client_cert is None else client_cert
        key = settings.TRANSFER_CLIENT_KEY if client_key is None else client_key
        cas = settings.TRANSFER_CA_BUNDLE if ca_bundle is None else ca_bundle
        self.context: ssl.SSLContext | None = None
        if cert or cas:
            if not self.base_url.startswith("https://"):
                raise ImproperlyConfigured(
                    f"TRANSFER_CLIENT_CERT / TRANSFER_CA_BUNDLE are set but the national database's "
                    f"address {self.base_url!r} is not https://."
                )
            try:
                self.context = client_tls_context(ca_bundle=cas, client_cert=cert, client_key=key)
            except (OSError, ssl.SSLError) as exc:
                raise ImproperlyConfigured(
                    f"The transfer's TLS files cannot be loaded (TRANSFER_CLIENT_CERT={cert!r}, "
                    f"TRANSFER_CLIENT_KEY={key!r}, TRANSFER_CA_BUNDLE={cas!r}): {exc}"
                ) from exc

    def encode(self, records: list[OutgoingRecord]) -> bytes:
        """The batch's body: at most ENVELOPE_BYTES + the sum of `entry_bytes` of its records."""
        return json.dumps(
            {"batch": str(uuid.uuid4()), "records": [{"key": r.key, "record": r.record} for r in records]},
            ensure_ascii=False,
        ).encode()

    def send_batch(self, records: list[OutgoingRecord]) -> list[ItemResult]:
        answer = self.post(self.encode(records))
        try:
            return [
                ItemResult(
                    key=str(r["key"]),
                    status=str(r["status"]),
                    receipt=str(r.get("receipt") or ""),
                    message=str(r.get("message") or ""),
                )
                for r in answer["results"]
            ]
        except (KeyError, TypeError) as exc:
            raise TransientTransferError(f"The national database's answer lacks results: {exc}") from exc

    def post(self, body: bytes) -> Any:
        """POST the body to the batches endpoint; the answer's JSON, or TransientTransferError."""
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured receiver
            f"{self.base_url}/api/v1/batches", data=body, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:  # noqa: S310
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            raise TransientTransferError(f"HTTP {exc.code} from the national database: {detail}") from exc
        except TimeoutError as exc:
            raise TransientTransferError(
                f"The national database did not answer within {self.timeout:g} s."
            ) from exc
        except urllib.error.URLError as exc:
            raise TransientTransferError(f"The national database cannot be reached: {exc.reason}") from exc
        except (ConnectionError, OSError) as exc:
            raise TransientTransferError(f"The connection to the national database failed: {exc}") from exc
        except ValueError as exc:
            raise TransientTransferError(f"The national database's answer is not JSON: {exc}") from exc


def default_adapter() -> NationalDbAdapter:
    return HttpJsonAdapter(settings.NATIONAL_DB_URL, timeout=settings.TRANSFER_TIMEOUT_SECONDS)
