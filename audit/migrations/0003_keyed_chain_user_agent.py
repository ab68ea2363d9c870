"""Each row's user agent, and the chains re-hashed with the key (HMAC-SHA256) in one pass.

Why a re-chain rather than old rows keeping plain SHA-256 beside new keyed ones: with two
schemes in one chain, anyone with database access could relabel the rows after the switch as
"old" and recompute them with the unkeyed hash, unless the verifier knew the switch point from
outside the database. One scheme leaves no such door. The old chain is checked first and the
migration stops, naming the row, if it is already broken: the key never blesses a trail that
was altered before it. Reversible (back to SHA-256 without the user agent).

The hash rules are copied here as they stand at this migration, so that later changes to
audit.chain do not change what this step does; only the key comes from audit.chain.
"""

import datetime as dt
import hashlib
import hmac
import json

from django.db import migrations, models

GENESIS = "0" * 64
OLD_FIELDS = (
    "stream", "seq", "at", "kind", "action", "actor_id", "actor_name", "unit_id_value",
    "object_type", "object_id", "record_id_value", "changes", "reason", "ip",
)  # fmt: skip
NEW_FIELDS = (*OLD_FIELDS, "user_agent")
BATCH = 2000


def _text(prev_hash, event, fields):
    payload = {f: getattr(event, f) for f in fields}
    payload["at"] = payload["at"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload["prev"] = prev_hash
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _sha256(prev_hash, event, fields):
    return hashlib.sha256(_text(prev_hash, event, fields)).hexdigest()


def _hmac(key):
    def digest(prev_hash, event, fields):
        return hmac.new(key, _text(prev_hash, event, fields), hashlib.sha256).hexdigest()

    return digest


def _rechain(apps, schema_editor, *, check, check_fields, write, write_fields):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    connection = schema_editor.connection
    streams = AuditEvent.objects.values_list("stream", flat=True).distinct().order_by("stream")
    for stream in list(streams):
        old_prev = new_prev = GENESIS
        expected = 1
        updates = []
        for event in AuditEvent.objects.filter(stream=stream).order_by("seq").iterator(chunk_size=BATCH):
            if event.seq != expected or event.prev_hash != old_prev or check(old_prev, event, check_fields) != event.hash:
                raise RuntimeError(
                    f"Audit stream {stream}, seq {event.seq} (row id {event.pk}) fails the check of the hashes "
                    "it was written with: the trail was altered before this migration. Investigate with "
                    "`manage.py verify_audit` at the previous release; this migration does not re-hash a broken chain."
                )
            old_prev = event.hash
            new_hash = write(new_prev, event, write_fields)
            updates.append((event.pk, new_prev, new_hash))
            new_prev = new_hash
            expected += 1
            if len(updates) >= BATCH:
                _update(connection, updates)
                updates = []
        _update(connection, updates)
        head = AuditHead.objects.filter(stream=stream).first()
        if head is None or head.last_seq != expected - 1 or head.last_hash != old_prev:
            raise RuntimeError(f"Audit stream {stream}: its head does not match its last row; investigate first.")
        AuditHead.objects.filter(stream=stream).update(last_hash=new_prev)


def _update(connection, updates):
    if not updates:
        return
    values = ", ".join(["(%s::bigint, %s, %s)"] * len(updates))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent e SET prev_hash = v.p, hash = v.h FROM (VALUES {values}) v(id, p, h) "  # noqa: S608
            "WHERE e.id = v.id",
            [x for row in updates for x in row],
        )


def forward(apps, schema_editor):
    from audit.chain import chain_key

    _rechain(
        apps, schema_editor, check=_sha256, check_fields=OLD_FIELDS, write=_hmac(chain_key()), write_fields=NEW_FIELDS
    )


def backward(apps, schema_editor):
    from audit.chain import chain_key

    _rechain(
        apps, schema_editor, check=_hmac(chain_key()), check_fields=NEW_FIELDS, write=_sha256, write_fields=OLD_FIELDS
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_action_choices")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="user_agent",
            field=models.CharField(blank=True, default="", max_length=300),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
