"""The transfer outbox: enqueue on approval, send in batches, settle each result.

Guarantees, and how:
- Nothing lost: the outbox row is inserted in the approval's transaction
  (`transfer_on_transition` is a `workflows.services.TRANSITION_HOOKS` entry), so an
  approved record always has a pending row, and a row leaves "pending" only when
  the receiver acknowledged or refused it, or the record changed.
- Nothing duplicated: every record version has one idempotency key, and the
  receiver stores a key once; a batch sent again (after a timeout, a 5xx, a killed
  worker) is answered "duplicate", which counts as an acknowledgement.
- A worker claims rows with a lease (`claimed_until`) in a short transaction and
  holds no lock while it talks to the receiver; a killed worker's lease runs out
  and another worker sends the rows again.
- Lock order is record, then outbox row — the same order as the transition
  services (which lock the record, then run the hooks) — so they cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from registry.models import CivilRecord, RecordState
from scans.models import ScanFile
from transfer.adapters import (
    ACKNOWLEDGED,
    ENVELOPE_BYTES,
    REJECTED,
    NationalDbAdapter,
    OutgoingRecord,
    ScanUnavailable,
    TransientTransferError,
    default_adapter,
    entry_bytes,
    idempotency_key,
    record_payload,
    scan_update_key,
    scan_update_payload,
)
from transfer.models import TransferItem, TransferKind, TransferStatus
from workflows import services as wf

logger = logging.getLogger(__name__)

# Events after which a pending transfer of the record's earlier version must not go out.
SUPERSEDING_EVENTS = {"amend", "return", "reject", "mark_duplicate"}


def transfer_on_transition(record: CivilRecord, event: str, actor: Actor | None) -> None:
    """TRANSITION_HOOKS entry: runs inside the transition's transaction, with the record locked."""
    if event == "approve":
        transfer_enqueue(record=record)
    elif event in SUPERSEDING_EVENTS:
        _supersede_pending(record.pk)
    elif event == "transfer":
        # Acknowledged outside the worker (demo data, a confirmation by hand): settle the item too.
        TransferItem.objects.filter(record_id=record.pk, status=TransferStatus.PENDING).update(
            status=TransferStatus.ACKNOWLEDGED, settled_at=timezone.now(), claimed_until=None
        )


def transfer_on_late_scan(
    record: CivilRecord, scan_id: int, outcome: str, actor: Actor | None, reason: str
) -> None:
    """LATE_SCAN_HOOKS entry: a late scan passed its check (record locked, in the check's transaction).

    An approved record not yet sent goes again under its new version, whose payload carries the
    scan; a transferred record gets the scan as an update of it, under the scan's own key, so the
    receiver holds it once however often it is sent.
    """
    if outcome != "passed":
        return
    if record.state == RecordState.APPROVED:
        transfer_enqueue(record=record)
    elif record.state == RecordState.TRANSFERRED:
        _supersede_pending(record.pk)
        scan = ScanFile(pk=scan_id, record=record)
        item = _outbox_item(record, timezone.now())
        item.kind, item.scan, item.idempotency_key = TransferKind.SCAN, scan, scan_update_key(record, scan)
        item.save(force_insert=True)


# The state a record must be in for each kind of item to go out (else the item is superseded).
SENDABLE_STATE = {TransferKind.RECORD: RecordState.APPROVED, TransferKind.SCAN: RecordState.TRANSFERRED}


def _current(item: TransferItem, record: CivilRecord) -> bool:
    """Does the item still describe the record (state for its kind, same version)?"""
    return record.state == SENDABLE_STATE[TransferKind(item.kind)] and record.version == item.version


def _supersede_pending(record_id: int) -> int:
    return TransferItem.objects.filter(record_id=record_id, status=TransferStatus.PENDING).update(
        status=TransferStatus.SUPERSEDED, settled_at=timezone.now(), claimed_until=None
    )


@transaction.atomic
def transfer_on_import(book: Any, records: list[CivilRecord], actor: Actor) -> None:
    """IMPORT_HOOKS entry: cases imported as approved go to the outbox in the import's transaction
    (new records have no earlier item to supersede)."""
    now = timezone.now()
    TransferItem.objects.bulk_create(
        [_outbox_item(record, now) for record in records if record.state == "approved"]
    )


@transaction.atomic(savepoint=False)
def transfer_enqueue(*, record: CivilRecord) -> TransferItem:
    """Put the record's current (approved) version in the outbox, due now.

    Call inside the approval's transaction. Any pending item of an earlier version is superseded.
    No savepoint of its own: an error here fails the approval (or import) that called it anyway.
    """
    _supersede_pending(record.pk)
    item = _outbox_item(record, timezone.now())
    item.save(force_insert=True)
    return item


def _outbox_item(record: CivilRecord, due: dt.datetime) -> TransferItem:
    """The outbox item of the record's current version, due at `due` (unsaved)."""
    return TransferItem(
        record=record,
        version=record.version,
        idempotency_key=idempotency_key(record),
        unit_path=record.unit_path,
        next_attempt_at=due,
    )


@dataclass
class BatchReport:
    claimed: int = 0
    acknowledged: int = 0
    rejected: int = 0
    retried: int = 0
    superseded: int = 0
    # Claimed but left for the next batch, which was full by bytes (TRANSFER_BATCH_MAX_BYTES).
    deferred: int = 0
    error: str = ""


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base · 2^(attempts−1), capped, times 0.5–1."""
    base = settings.TRANSFER_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.TRANSFER_RETRY_MAX_SECONDS)
    return delay * random.uniform(0.5, 1.0)


def transfer_claim(*, limit: int, lease_seconds: float) -> tuple[str, list[TransferItem]]:
    """Claim up to `limit` due items for one worker; return its claim token and the items."""
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            TransferItem.objects.select_for_update(no_key=True, skip_locked=True)
            .filter(status=TransferStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            TransferItem.objects.filter(id__in=ids).update(
                claimed_until=now + dt.timedelta(seconds=lease_seconds),
                claim_token=token,
                last_attempt_at=now,
                attempts=F("attempts") + 1,
            )
    return token, list(TransferItem.objects.filter(id__in=ids, claim_token=token).order_by("id"))


def acknowledged_receipts(record_ids: list[int]) -> dict[int, str]:
    """The receipt of the last version of each record that the national database acknowledged:
    a later version (an amendment after transfer) is sent as an amendment of it."""
    receipts: dict[int, str] = {}
    for record_id, receipt in (
        TransferItem.objects.filter(record_id__in=record_ids, status=TransferStatus.ACKNOWLEDGED)
        .order_by("record_id", "id")
        .values_list("record_id", "receipt")
    ):
        receipts[record_id] = receipt or f"v{record_id}"
    return receipts


def transfer_send_batch(*, adapter: NationalDbAdapter | None = None, limit: int | None = None) -> BatchReport:
    """Claim one batch of due items, send it, and settle every item. Returns what happened."""
    adapter = adapter or default_adapter()
    token, items = transfer_claim(
        limit=limit or settings.TRANSFER_BATCH_SIZE, lease_seconds=settings.TRANSFER_LEASE_SECONDS
    )
    report = BatchReport(claimed=len(items))
    if not items:
        return report
    records = {
        r.pk: r
        for r in CivilRecord.objects.filter(pk__in=[i.record_id for i in items])
        .select_related("book", "unit")
        .prefetch_related("parties", "scans")
    }
    scans = ScanFile.objects.in_bulk([i.scan_id for i in items if i.scan_id])
    outgoing: list[TransferItem] = []
    payloads: list[OutgoingRecord] = []
    amends = acknowledged_receipts(list(records))
    body_bytes, max_bytes = ENVELOPE_BYTES, settings.TRANSFER_BATCH_MAX_BYTES
    for position, item in enumerate(items):
        record = records[item.record_id]
        if not _current(item, record):
            report.superseded += _settle_superseded(item.pk)
            continue
        try:
            payload = OutgoingRecord(
                key=item.idempotency_key,
                record=scan_update_payload(record, scans[item.scan_id])
                if item.kind == TransferKind.SCAN and item.scan_id
                else record_payload(record, amends=amends.get(record.pk, "")),
            )
        except ScanUnavailable as exc:
            report.retried += transfer_retry_later(items=[item], token=token, error=str(exc))
            logger.error("Transfer of %s waits: %s", item.idempotency_key, exc)
            continue
        size = entry_bytes(payload)
        if payloads and body_bytes + size > max_bytes:
            # The batch is full by bytes: the rest go in the next batch, due as they were.
            report.deferred += transfer_release(items=items[position:], token=token)
            break
        body_bytes += size
        outgoing.append(item)
        payloads.append(payload)
    if not payloads:
        return report
    try:
        results = {r.key: r for r in adapter.send_batch(payloads)}
    except TransientTransferError as exc:
        report.error = str(exc)
        report.retried += transfer_retry_later(items=outgoing, token=token, error=str(exc))
        logger.warning("Transfer batch of %d failed, will retry: %s", len(outgoing), exc)
        return report
    for item in outgoing:
        result = results.get(item.idempotency_key)
        if result is None:
            report.retried += transfer_retry_later(
                items=[item], token=token, error=_("The national database gave no answer for this record.")
            )
        elif result.status in ACKNOWLEDGED:
            report.acknowledged += transfer_acknowledge(item_id=item.pk, receipt=result.receipt)
        elif result.status == REJECTED:
            report.rejected += transfer_reject(item_id=item.pk, message=result.message)
        else:
            report.retried += transfer_retry_later(
                items=[item],
                token=token,
                error=_("The national database answered “%(status)s”, which is not understood.")
                % {"status": result.status},
            )
    return report


def _lock_pair(item_id: int) -> tuple[CivilRecord | None, TransferItem | None, str]:
    """Lock the record, then its item (the transition services' order).

    Returns the pair and "ok"; or Nones and "settled" (someone settled it already)
    or "superseded" (the record changed since the item was queued: it is settled so).
    """
    record_id = TransferItem.objects.filter(pk=item_id).values_list("record_id", flat=True).first()
    if record_id is None:
        return None, None, "settled"
    record = CivilRecord.objects.select_for_update(no_key=True).get(pk=record_id)
    item = TransferItem.objects.select_for_update(no_key=True).get(pk=item_id)
    if item.status != TransferStatus.PENDING:
        return None, None, "settled"
    if not _current(item, record):
        _settle(item, TransferStatus.SUPERSEDED)
        return None, None, "superseded"
    return record, item, "ok"


def _settle(item: TransferItem, status: str, **fields: Any) -> None:
    item.status = status
    item.settled_at = timezone.now()
    item.claimed_until = None
    for name, value in fields.items():
        setattr(item, name, value)
    item.save(update_fields=["status", "settled_at", "claimed_until", *fields])


@transaction.atomic
def _settle_superseded(item_id: int) -> int:
    _record, _item, outcome = _lock_pair(item_id)
    return 1 if outcome == "superseded" else 0


@transaction.atomic
def transfer_acknowledge(*, item_id: int, receipt: str) -> int:
    """The receiver holds the item: mark it acknowledged and the record transferred (a late scan's
    item: the record already is).

    Does nothing (returns 0) if the item was settled meanwhile or the record changed.
    """
    record, item, _outcome = _lock_pair(item_id)
    if record is None or item is None:
        return 0
    if item.kind == TransferKind.RECORD:
        wf.record_transfer(record=record, receipt=receipt or item.idempotency_key)
    _settle(item, TransferStatus.ACKNOWLEDGED, receipt=receipt[:120], last_error="")
    return 1


@transaction.atomic
def transfer_reject(*, item_id: int, message: str) -> int:
    """The receiver refused the item for good: the record goes back to the approver with its message."""
    record, item, _outcome = _lock_pair(item_id)
    if record is None or item is None:
        return 0
    text = message.strip() or _("no reason given")
    if item.kind == TransferKind.RECORD:
        wf.record_transfer_refused(
            record=record, message=_("Refused by the national database: %(message)s") % {"message": text}
        )
    # A refused late scan leaves the transferred record as it is; the item shows the message.
    _settle(item, TransferStatus.REJECTED, message=text, last_error=text)
    return 1


@transaction.atomic
def transfer_retry_later(*, items: list[TransferItem], token: str, error: str) -> int:
    """Release our claim on the items and schedule another attempt with backoff."""
    now = timezone.now()
    count = 0
    for item in TransferItem.objects.select_for_update(no_key=True).filter(
        pk__in=[i.pk for i in items], status=TransferStatus.PENDING, claim_token=token
    ):
        item.next_attempt_at = now + dt.timedelta(seconds=retry_delay(item.attempts))
        item.claimed_until = None
        item.last_error = error[:2000]
        item.save(update_fields=["next_attempt_at", "claimed_until", "last_error"])
        count += 1
    return count


def transfer_release(*, items: list[TransferItem], token: str) -> int:
    """Give back our claim on items we did not send (the batch was full): due as before, the claim's
    attempt not counted."""
    return TransferItem.objects.filter(
        pk__in=[i.pk for i in items], status=TransferStatus.PENDING, claim_token=token
    ).update(claimed_until=None, attempts=F("attempts") - 1)


@transaction.atomic
def transfer_retry_now(*, actor: Actor, unit_path: str) -> int:
    """Make every waiting item under `unit_path` due now (after the receiver is fixed). Audited."""
    count = TransferItem.objects.filter(
        status=TransferStatus.PENDING, unit_path__startswith=unit_path
    ).update(next_attempt_at=timezone.now())
    audit_change(
        action=AuditAction.TRANSFER_RETRY_NOW, actor=actor, changes={"unit_path": unit_path, "items": count}
    )
    return count
