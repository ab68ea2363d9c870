"""Writing to the audit trail. Call inside the transaction of the change it records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit.chain import HASHED_FIELDS, row_hash
from audit.models import AuditEvent, AuditHead, AuditKind

GLOBAL_STREAM = 0


def _jsonable(value: Any) -> Any:
    """Values as they will read back from JSONB, so the hash is stable."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def audit_write(
    *,
    kind: str,
    action: str,
    actor: Any = None,
    unit_id: int | None = None,
    obj: models.Model | None = None,
    record_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    ip: str = "",
) -> AuditEvent:
    """Append one row to the stream of `unit_id` (or the global stream) and move its head."""
    stream = unit_id or GLOBAL_STREAM
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_audithead (stream, last_seq, last_hash) VALUES (%s, 0, %s) "
                "ON CONFLICT (stream) DO NOTHING",
                [stream, "0" * 64],
            )
        head = AuditHead.objects.select_for_update().get(stream=stream)
        actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
        event = AuditEvent(
            stream=stream,
            seq=head.last_seq + 1,
            at=timezone.now(),
            kind=kind,
            action=action,
            actor_id=actor_id,
            actor_name=(actor.get_username() if actor_id else "system"),
            unit_id_value=unit_id,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            record_id_value=record_id,
            changes=_jsonable(changes or {}),
            reason=reason,
            ip=ip[:64],
            prev_hash=head.last_hash,
        )
        event.hash = row_hash(prev_hash=head.last_hash, fields={f: getattr(event, f) for f in HASHED_FIELDS})
        event.save(force_insert=True)
        AuditHead.objects.filter(stream=stream).update(last_seq=event.seq, last_hash=event.hash)
    return event


def audit_change(**kwargs: Any) -> AuditEvent:
    return audit_write(kind=AuditKind.CHANGE, **kwargs)


def audit_access(*, request: Any = None, **kwargs: Any) -> AuditEvent:
    """Record that someone viewed, downloaded, printed or exported something (or was refused)."""
    if request is not None:
        kwargs.setdefault("actor", request.user)
        kwargs.setdefault("ip", client_ip(request))
    return audit_write(kind=AuditKind.ACCESS, **kwargs)


def client_ip(request: Any) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))
