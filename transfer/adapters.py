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
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from registry.ministry_format import as_written_columns, record_row
from registry.models import CivilRecord
from scans.models import ScanFile, current_scan

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
ACKNOWLEDGED = (ACCEPTED, DUPLICATE)


class TransientTransferError(Exception):
    """The batch did not go through; sending it again later may work."""


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
    return {"name": scan_name(record, scan), "sha256": scan.sha256, "size": scan.size, "pages": scan.pages}


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


class HttpJsonAdapter(NationalDbAdapter):
    def __init__(self, base_url: str, *, timeout: float, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = settings.TRANSFER_TOKEN if token is None else token

    def send_batch(self, records: list[OutgoingRecord]) -> list[ItemResult]:
        body = json.dumps(
            {"batch": str(uuid.uuid4()), "records": [{"key": r.key, "record": r.record} for r in records]},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured receiver
            f"{self.base_url}/api/v1/batches", data=body, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read().decode())
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


def default_adapter() -> NationalDbAdapter:
    return HttpJsonAdapter(settings.NATIONAL_DB_URL, timeout=settings.TRANSFER_TIMEOUT_SECONDS)
