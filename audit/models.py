"""The audit trail: every change and every access, hash-chained per stream.

Rows of one stream (the custodian unit of the record concerned, 0 for events
without a unit) form a chain: each row's hash is an HMAC, keyed outside the
database (audit.chain), over its content and the hash of the row before it, and
`AuditHead` holds the last sequence number and hash. Editing or deleting any row
breaks the chain, which `manage.py verify_audit` detects; the daily anchors
(audit.anchors) hold the heads outside the database, so even a rewrite with the
key is caught for every row an anchor covers. Locking the head row (FOR NO KEY UPDATE) is
what orders writers of one stream. A unit's rows may form several streams, its lanes
(audit.streams: stream = lane * 2**40 + unit id, lane 0 = the unit's stream before
lanes), so that writers of one unit that need no common order (claims) do not wait on
one head; each lane is a chain of its own, with its head, verified and anchored like any
stream, and every row carries its unit in `unit_id`. Each row carries the client address and user
agent of the request that wrote it (audit.request_context).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.actions import AuditAction


class AuditKind(models.TextChoices):
    CHANGE = "change", _("Change")
    ACCESS = "access", _("Access")


class AuditEvent(models.Model):
    stream = models.BigIntegerField()
    seq = models.BigIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=AuditKind.choices)
    action = models.CharField(_("action"), max_length=48, choices=AuditAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    unit_id_value = models.BigIntegerField(null=True, db_column="unit_id")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    record_id_value = models.BigIntegerField(null=True, db_column="record_id")
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="audit_stream_seq")]
        indexes = [
            models.Index(fields=["record_id_value", "seq"], name="audit_record"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    # The order events happened in, across a unit's lanes: `seq` numbers the rows of one lane only.
    CHRONOLOGICAL = ("at", "id")

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_name} {self.get_action_display()}"


class AuditHead(models.Model):
    stream = models.BigIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"stream {self.stream} @ {self.last_seq}"
