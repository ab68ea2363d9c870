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


# The unit permission (registry.AdministrativeUnit, granted through guardian) a stage needs.
STAGE_PERMISSION = {
    Stage.SCAN: "scan_record",
    Stage.ENTER: "enter_record",
    Stage.ATTACH: "attach_record",
    Stage.REVIEW: "review_record",
    Stage.APPROVE: "approve_record",
    Stage.SCAN_CHECK: "review_record",
    Stage.LATE_SCAN: "scan_record",
}
LATE_STAGES = (Stage.SCAN_CHECK, Stage.LATE_SCAN)

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
    unit_path = models.CharField(max_length=255, blank=True)
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
            models.Index(fields=["due_at", "id"], name="task_queue_due", condition=QUEUE_Q),
            # A stage in one unit's subtree: a few ranges, then a sort of what they hold.
            models.Index(
                fields=["stage", "unit_path", "created", "id"],
                name="task_queue_unit",
                condition=QUEUE_Q,
                opclasses=["varchar_ops", "varchar_pattern_ops", "timestamptz_ops", "int8_ops"],
            ),
            models.Index(fields=["book", "entry_no"], name="task_queue_book", condition=QUEUE_Q),
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
