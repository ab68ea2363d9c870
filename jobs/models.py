"""One `Job` row per run of a long job: who started it, how far it is, whether it should stop.

Each job keeps its own domain row (an `ImportJob`, an `ExtractBatch`, an `ExportJob`, a
`ScanSplitJob`, a `PopulationExtract`) with what the job made; the `Job` row is only its run's
progress, so that one bar, one "my jobs" list and one cancel rule serve them all. A domain row
may have several runs (an import's check, then its commit; a split resumed): `(kind, object_id)`
finds them, the newest first.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from registry.models import AdministrativeUnit


class JobKind(models.TextChoices):
    IMPORT_CHECK = "import_check", _("Import check (dry run)")
    IMPORT_COMMIT = "import_commit", _("Import")
    BATCH_PRINT = "batch_print", _("Batch print")
    EXPORT = "export", _("Export")
    DATACENTRE_COPY = "datacentre_copy", _("Data-centre copy")
    RECONCILIATION = "reconciliation", _("Reconciliation")
    BOOK_SPLIT = "book_split", _("Book split")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)

# What a job counts, by kind: shown after the numbers ("1.234/5.000 rows").
UNIT_NAMES = {
    JobKind.IMPORT_CHECK: _("rows"),
    JobKind.IMPORT_COMMIT: _("rows"),
    JobKind.BATCH_PRINT: _("extracts"),
    JobKind.EXPORT: _("cases"),
    JobKind.DATACENTRE_COPY: _("records"),
    JobKind.RECONCILIATION: _("residents"),
    JobKind.BOOK_SPLIT: _("cases"),
}


def duration_text(seconds: int) -> str:
    """ "45 seconds", "12 minutes", "2 h 05 min"."""
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    return gettext("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=24, choices=JobKind.choices)
    object_id = models.PositiveBigIntegerField(help_text="The pk of the job's domain row (ImportJob, ...).")
    title = models.CharField(_("title"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    unit = models.ForeignKey(AdministrativeUnit, null=True, on_delete=models.PROTECT, related_name="+")
    # Copied from the unit: a supervisor's view of the jobs of a subtree is one prefix filter.
    unit_path = models.CharField(max_length=255, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    result_url = models.CharField(max_length=255, blank=True)
    cancellable = models.BooleanField(default=False)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_newest"),
            models.Index(fields=["kind", "object_id"], name="job_of_object"),
            models.Index(
                fields=["unit_path", "created_at"],
                name="job_path_created",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))

    @property
    def unit_name(self) -> str:
        return str(UNIT_NAMES.get(JobKind(self.kind), ""))

    def seconds_left(self, now: dt.datetime | None = None) -> int | None:
        """Time left at the pace so far (done per second since the start); None before any pace is known."""
        if self.state != JobState.RUNNING or not self.started_at or not self.total or not self.done:
            return None
        elapsed = ((now or timezone.now()) - self.started_at).total_seconds()
        if elapsed <= 0:
            return None
        return max(0, round(elapsed * (self.total - self.done) / self.done))

    @property
    def counts_text(self) -> str:
        """ "1.234/5.000 rows" (grouped as the language writes numbers); empty before the total is known."""
        if not self.total:
            return ""
        done, total = (number_format(n, force_grouping=True) for n in (self.done, self.total))
        return f"{done}/{total} {self.unit_name}"

    @property
    def time_left_text(self) -> str:
        left = self.seconds_left()
        return gettext("about %(t)s left") % {"t": duration_text(left)} if left is not None else ""
