"""The viewflow process of a record and its tasks, with the columns our inboxes query.

One `RecordProcess` is one pass of a record through the human stages (scan,
enter, attach, review, approve); a record that comes back after approval
(a return, an amendment, a refusal by the national database) gets a new pass,
so at most one process per record is active. `RecordTask` is viewflow's task
with real columns copied from the record and its book when the task is
created (unit path, book, event type, year, phase, entry number, competence,
the person four eyes exclude): the queue is answered from one table through
partial indexes, never by joining records at a million rows.

The record's state machine stays the truth: tasks follow it (see
`workflows.flows`), they never decide a state.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import AbstractProcess, AbstractTask


class Stage(models.TextChoices):
    SCAN = "scan", _("Scan")
    ENTER = "enter", _("Enter data")
    ATTACH = "attach", _("Attach scan")
    REVIEW = "review", _("Review")
    APPROVE = "approve", _("Approve")
    # The short path of a scan added after approval (workflows.late_scan): its check, and a new
    # upload when the check returned it.
    SCAN_CHECK = "scan_check", _("Check a late scan")
    LATE_SCAN = "late_scan", _("Upload the late scan again")
    # Double keying (workflows.keying): the second, independent keying, and the arbitration of
    # the fields where the two keyings disagree.
    KEY_SECOND = "key_second", _("Second keying")
    ARBITRATE = "arbitrate", _("Arbitrate keying")


# The unit permission (registry.AdministrativeUnit, granted through guardian) a stage needs.
STAGE_PERMISSION = {
    Stage.SCAN: "scan_record",
    Stage.ENTER: "enter_record",
    Stage.ATTACH: "attach_record",
    Stage.REVIEW: "review_record",
    Stage.APPROVE: "approve_record",
    Stage.SCAN_CHECK: "review_record",
    Stage.LATE_SCAN: "scan_record",
    Stage.KEY_SECOND: "enter_record",
    # A third person weighs two keyers' work (and what they are paid for): a reviewer.
    Stage.ARBITRATE: "review_record",
}
LATE_STAGES = (Stage.SCAN_CHECK, Stage.LATE_SCAN)
KEYING_STAGES = (Stage.KEY_SECOND, Stage.ARBITRATE)

QUEUE_Q = Q(status="NEW", owner__isnull=True)
OPEN_Q = Q(status__in=["NEW", "ASSIGNED", "STARTED"])


class RecordProcess(AbstractProcess):
    """One pass of a record through the human stages."""

    record = models.ForeignKey(
        "registry.CivilRecord", on_delete=models.PROTECT, related_name="processes", verbose_name=_("record")
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("record process")
        verbose_name_plural = _("record processes")
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(status="NEW"), name="process_one_active_per_record"
            ),
        ]
        indexes = [models.Index(fields=["record", "status"], name="process_record_status")]


class RecordTask(AbstractTask):
    """A viewflow task of a record process, with what the inboxes filter and sort by."""

    # viewflow reaches a process's tasks as `process.task_set`.
    process = models.ForeignKey(
        RecordProcess, on_delete=models.CASCADE, related_name="task_set", verbose_name=_("process")
    )
    data = models.JSONField(default=dict, blank=True)

    # Copied from the record and its book when a human task is created (empty on the start,
    # route and end rows); none of them changes later.
    record = models.ForeignKey(
        "registry.CivilRecord",
        null=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("record"),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    unit = models.ForeignKey(
        "registry.AdministrativeUnit",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    # Compared byte by byte ("C"): a subtree's prefix range and its order are then one range of a
    # plain index, whatever the database's collation (claim next, `task_queue_path_book`).
    unit_path = models.CharField(max_length=255, blank=True, db_collation="C")
    book = models.ForeignKey(
        "registry.RegisterBook", null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    entry_no = models.PositiveIntegerField(null=True)
    event_type = models.CharField(max_length=32, blank=True)
    book_year = models.PositiveSmallIntegerField(null=True)
    phase = models.PositiveSmallIntegerField(null=True)
    # Approval needs a role at least this high (1 commune, 2 district, 3 province); 0 elsewhere.
    min_rank = models.PositiveSmallIntegerField(default=0)
    # Four eyes: who may not take this task (the enterer for review, the reviewer for approval).
    excluded_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Four eyes: everyone who may not take it (`workflows.four_eyes`: who changed the data or the
    # scan since the last approval; for approval also the reviewer). Null on rows written before.
    excluded_user_ids = ArrayField(models.BigIntegerField(), null=True, blank=True)
    is_return = models.BooleanField(_("returned for rework"), default=False)
    due_at = models.DateTimeField(_("deadline"), null=True)
    # The claim expires settings.CLAIM_IDLE_MINUTES after this.
    last_activity = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        ordering = ["created", "id"]
        indexes = [
            # The queue: claimable tasks, by age or deadline, whole scope or one unit's subtree or one book.
            models.Index(fields=["created", "id"], name="task_queue_age", condition=QUEUE_Q),
            # One unit's queue by age (a commune clerk's Queue page: `unit_path = x`, 0.1 ms at
            # 1,000,000 records where the stage index sorted the commune's 6,700 items, 4.8 ms).
            models.Index(
                fields=["unit_path", "created", "id"], name="task_queue_path_age", condition=QUEUE_Q
            ),
            models.Index(fields=["due_at", "id"], name="task_queue_due", condition=QUEUE_Q),
            # A stage in one unit's subtree: a few ranges, then a sort of what they hold.
            models.Index(
                fields=["stage", "unit_path", "created", "id"],
                name="task_queue_unit",
                condition=QUEUE_Q,
                opclasses=["varchar_ops", "varchar_pattern_ops", "timestamptz_ops", "int8_ops"],
            ),
            models.Index(fields=["book", "entry_no"], name="task_queue_book", condition=QUEUE_Q),
            # Claim next: the first claimable item of a subtree, unit by unit in book and entry order —
            # the first rows of its prefix range (by book alone, a commune's first item lay behind
            # every other commune's: 350,000 rows read at 1,000,000 records, 0.3–1.3 s a claim).
            models.Index(
                fields=["unit_path", "book", "entry_no", "id"], name="task_queue_path_book", condition=QUEUE_Q
            ),
            # My work and returned to me.
            models.Index(
                fields=["owner", "created", "id"],
                name="task_claimed",
                condition=Q(status__in=["ASSIGNED", "STARTED"]),
            ),
            # Claims to expire.
            models.Index(fields=["last_activity"], name="task_claim_idle", condition=Q(status="ASSIGNED")),
            # Done (archive).
            models.Index(fields=["owner", "finished", "id"], name="task_done", condition=Q(status="DONE")),
            # The open task of a record.
            models.Index(fields=["record"], name="task_open_of_record", condition=OPEN_Q),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display() or self.flow_task_type} #{self.pk}"


class KeyingSlot(models.TextChoices):
    A = "a", _("first keying")
    B = "b", _("second keying")


class Keying(models.Model):
    """One person's independent keying of a double-keyed case (`workflows.keying`), kept forever.

    `values` is what they submitted (a `RecordInput` as JSON); the other keyer never sees it.
    One pass of the record (its process) has at most one keying A and one keying B, by two people.
    """

    record = models.ForeignKey(
        "registry.CivilRecord", on_delete=models.PROTECT, related_name="keyings", verbose_name=_("record")
    )
    process = models.ForeignKey(RecordProcess, on_delete=models.PROTECT, related_name="keyings")
    slot = models.CharField(_("keying"), max_length=1, choices=KeyingSlot.choices)
    keyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("keyer")
    )
    unit_path = models.CharField(max_length=255)
    values = models.JSONField(default=dict)
    fields_keyed = models.PositiveIntegerField(_("fields keyed"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("keying")
        verbose_name_plural = _("keyings")
        constraints = [
            models.UniqueConstraint(fields=["process", "slot"], name="keying_one_per_slot"),
            models.UniqueConstraint(fields=["process", "keyer"], name="keying_one_per_keyer"),
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "submitted_at"],
                name="keying_unit_time",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.slot} {self.keyer_id}"


class KeyingRight(models.TextChoices):
    A = "a", _("first keyer")
    B = "b", _("second keyer")
    NEITHER = "neither", _("neither")


class KeyingDisagreement(models.Model):
    """A field where the two keyings of a case disagree after normalization, and how it was
    resolved (the arbitrator's value and which keyer was right), kept forever."""

    record = models.ForeignKey(
        "registry.CivilRecord", on_delete=models.PROTECT, related_name="+", verbose_name=_("record")
    )
    process = models.ForeignKey(RecordProcess, on_delete=models.PROTECT, related_name="disagreements")
    field = models.CharField(_("field"), max_length=100)
    value_a = models.TextField(_("first keying"), blank=True)
    value_b = models.TextField(_("second keying"), blank=True)
    keyer_a = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    keyer_b = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    resolved_value = models.TextField(_("arbitrated value"), blank=True)
    arbitrator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    right = models.CharField(_("right"), max_length=8, choices=KeyingRight.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("keying disagreement")
        verbose_name_plural = _("keying disagreements")
        constraints = [
            models.UniqueConstraint(fields=["process", "field"], name="disagreement_one_per_field"),
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "created_at"],
                name="disagreement_unit_time",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.field}"
