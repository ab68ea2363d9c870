"""Writing to the audit trail. Call inside the transaction of the change it records."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.actors import Actor
from audit.chain import event_hash
from audit.models import AuditEvent, AuditKind
from audit.request_context import USER_AGENT_MAX, current_origin, request_origin
from audit.request_context import client_ip as client_ip  # the views' import of it
from audit.streams import GLOBAL_STREAM as GLOBAL_STREAM
from audit.streams import head_advance, head_finish


def _jsonable(value: Any) -> Any:
    """Values as they will read back from JSONB, so the hash is stable."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


_ACTION_CODES = frozenset(AuditAction.values)  # `AuditAction.values` builds a new list every time


def audit_action(action: str) -> str:
    """The stored code of `action`; ValueError when it is not an `AuditAction` (so it has a label)."""
    if action not in _ACTION_CODES:
        raise ValueError(f"Unknown audit action {action!r}: add it to audit.actions.AuditAction.")
    return AuditAction(action).value


def audit_write(
    *,
    kind: str,
    action: AuditAction | str,
    actor: Actor | None = None,
    unit_id: int | None = None,
    obj: models.Model | None = None,
    record_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    ip: str | None = None,
    user_agent: str | None = None,
    any_lane: bool = False,
) -> AuditEvent:
    """Append one row to a stream of `unit_id` (or the global stream) and move its head.

    The stream is the unit's lane 0, or with `any_lane` whichever of its lanes no other
    transaction holds (audit.streams): for rows nothing re-reads in stream order (claims),
    so that one unit's writers do not wait on each other.

    `ip` and `user_agent` default to those of the request being served (set by
    `audit.request_context.RequestOriginMiddleware`), empty outside a request.

    Two statements: the head is created or advanced (and locked until the transaction ends)
    in one upsert that returns the new sequence number and the previous hash (with `any_lane`:
    the free lane is locked, then advanced, `audit.streams.head_advance`); the row is inserted
    and the head takes its hash in a second. Call inside the transaction of the
    change it records: an error here fails that transaction (no savepoint of its own).
    """
    action = audit_action(action)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        stream, seq, prev_hash = head_advance(cursor, unit_id=unit_id, count=1, any_lane=any_lane)
        event = _chained_event(
            stream=stream,
            seq=seq,
            prev_hash=prev_hash,
            at=timezone.now(),
            kind=kind,
            action=action,
            actor=actor,
            unit_id=unit_id,
            obj=obj,
            record_id=record_id,
            changes=changes or {},
            reason=reason,
            ip=(current_origin().ip if ip is None else ip)[:64],
            user_agent=current_origin().user_agent if user_agent is None else user_agent,
        )
        insert_sql, insert_params = _insert_sql(event)
        cursor.execute(  # the row's INSERT (values bound as parameters) inside a CTE
            f"WITH inserted AS ({insert_sql}) "  # noqa: S608
            "UPDATE audit_audithead SET last_hash = %s WHERE stream = %s RETURNING (SELECT id FROM inserted)",
            [*insert_params, event.hash, stream],
        )
        event.pk = cursor.fetchone()[0]
        event._state.adding = False
        event._state.db = connection.alias
    return event


def audit_write_many(
    *,
    kind: str,
    action: AuditAction | str,
    actor: Actor | None = None,
    unit_id: int | None = None,
    entries: list[tuple[models.Model, int | None, dict[str, Any]]],
    reason: str = "",
    copy: bool = False,
) -> int:
    """Append one row per `(obj, record_id, changes)` entry to one stream, chained in order
    (`copy`: written with COPY, `audit_copy_many`).

    For bulk changes (an import batch) that need a row per object: three statements whatever
    the number of rows. The head advances by the number of rows in one upsert (which locks it
    until the transaction ends), the rows are hashed here in sequence and inserted together,
    then the head takes the last hash. The chain is the one `audit_write` builds row by row,
    so `verify_audit` checks it the same way. Returns the number of rows written.
    """
    action = audit_action(action)
    if not entries:
        return 0
    now = timezone.now()
    origin = current_origin()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        stream, last_seq, prev_hash = head_advance(cursor, unit_id=unit_id, count=len(entries))
        events = []
        for seq, (obj, record_id, changes) in enumerate(entries, start=last_seq - len(entries) + 1):
            event = _chained_event(
                stream=stream,
                seq=seq,
                prev_hash=prev_hash,
                at=now,
                kind=kind,
                action=action,
                actor=actor,
                unit_id=unit_id,
                obj=obj,
                record_id=record_id,
                changes=changes,
                reason=reason,
                ip=origin.ip,
                user_agent=origin.user_agent,
            )
            prev_hash = event.hash
            events.append(event)
        if copy:
            from audit.copying import copy_insert

            copy_insert(AuditEvent, events)
        else:
            AuditEvent.objects.bulk_create(events)
        head_finish(cursor, stream=stream, last_hash=prev_hash)
    return len(events)


def audit_copy_many(
    *,
    kind: str,
    action: AuditAction | str,
    actor: Actor | None = None,
    unit_id: int | None = None,
    entries: list[tuple[models.Model, int | None, dict[str, Any]]],
    reason: str = "",
) -> int:
    """`audit_write_many` for large batches: the same rows, chained the same way, written with COPY
    (`audit.copying.copy_insert`) instead of a multi-row INSERT: `verify_audit` cannot tell the two
    apart. Returns the number of rows written.
    """
    return audit_write_many(
        kind=kind, action=action, actor=actor, unit_id=unit_id, entries=entries, reason=reason, copy=True
    )


def _chained_event(
    *,
    stream: int,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    kind: str,
    action: str,
    actor: Actor | None,
    unit_id: int | None,
    obj: models.Model | None,
    record_id: int | None,
    changes: dict[str, Any],
    reason: str,
    ip: str,
    user_agent: str,
) -> AuditEvent:
    """The row at `seq` of `stream`, chained on `prev_hash` and hashed (not saved)."""
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        stream=stream,
        seq=seq,
        at=at,
        kind=kind,
        action=action,
        actor_id=actor_id,
        actor_name=(actor.get_username() if actor_id and actor is not None else "system"),
        unit_id_value=unit_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        record_id_value=record_id,
        changes=_jsonable(changes),
        reason=reason,
        ip=ip,
        user_agent=user_agent[:USER_AGENT_MAX],
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    return event


def _insert_sql(event: AuditEvent) -> tuple[str, list[Any]]:
    """INSERT … RETURNING id of `event`, its values converted by each field as the ORM's insert does."""
    fields, sql = _insert_statement()
    return sql, [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]


@cache
def _insert_statement() -> tuple[list[models.Field], str]:
    """The columns of an audit row and the INSERT of one, built once (the same text every call)."""
    fields = [f for f in AuditEvent._meta.concrete_fields if f is not AuditEvent._meta.pk]
    quote = connection.ops.quote_name
    table, pk = quote(AuditEvent._meta.db_table), quote(str(AuditEvent._meta.pk.column))
    columns = ", ".join(quote(str(f.column)) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {pk}"  # noqa: S608 (model's names)
    return fields, sql


def audit_change(**kwargs: Any) -> AuditEvent:
    return audit_write(kind=AuditKind.CHANGE, **kwargs)


def audit_access(*, request: Any = None, **kwargs: Any) -> AuditEvent:
    """Record that someone viewed, downloaded, printed or exported something (or was refused)."""
    if request is not None:
        kwargs.setdefault("actor", request.user)
        origin = request_origin(request)
        kwargs.setdefault("ip", origin.ip)
        kwargs.setdefault("user_agent", origin.user_agent)
    return audit_write(kind=AuditKind.ACCESS, **kwargs)
