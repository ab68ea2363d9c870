"""Progress: aggregate counters kept up to date by the transition services, quotas, and frozen daily reports.

The counters are what every progress page reads, so that no page scans the
records or the audit trail:

- `BookStateCount`: how many cases of a book are in each state now (one row per
  book and state; a province of 10,000 books has at most 90,000 rows), and
  `UnitStateCount` the same per unit, event type and phase (what dashboards read).
- `DailyCount`: how many transitions of each kind happened per unit, day, event
  type and phase; `UnitDailyCount` the same without event type and phase (15 times
  fewer rows for the per-day charts and targets).
- `ActorDailyCount`: the same per person, for productivity and return rates.

They are changed only by `reports.services` (from the transition hook and the
slot-creation hook, inside the transaction of the change), with
`INSERT … ON CONFLICT DO UPDATE`, and can be rebuilt from the records and the
audit trail with `manage.py progress_rebuild`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import AdministrativeUnit, EventType, RecordState, RegisterBook


class Action(models.TextChoices):
    """What is counted per day: the transitions, plus slot creation and returned work."""

    COLLECT = "collect", _("Slots collected")
    SCAN = "scan", _("Scanned")
    ENTER = "enter", _("Entered")
    ATTACH = "attach", _("Attached")
    REVIEW = "review", _("Reviewed")
    APPROVE = "approve", _("Approved")
    TRANSFER = "transfer", _("Transferred")
    RETURN = "return", _("Returned for rework")
    REJECT = "reject", _("Rejected")
    MARK_DUPLICATE = "mark_duplicate", _("Closed as duplicate")
    AMEND = "amend", _("Edited after approval")
    TRANSFER_REFUSED = "transfer_refused", _("Refused by the national database")
    # Per person only: this person's work was returned by a reviewer or approver.
    WORK_RETURNED = "work_returned", _("Own work returned")
    # Per person only: a field this person keyed was overruled by the arbitrator of a double keying.
    KEYING_OVERRULED = "keying_overruled", _("Own keyed fields overruled in arbitration")
    # Per person only: errors found in this person's work by acceptance sampling.
    ACCEPTANCE_ERROR = "acceptance_error", _("Errors found by acceptance sampling")
    # Per person only: a case this person passed in review that the approver then returned.
    REVIEW_MISSED = "review_missed", _("Passed in review, then returned by the approver")


class BookStateCount(models.Model):
    book = models.ForeignKey(RegisterBook, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=RecordState.choices)
    n = models.IntegerField(default=0)
    # Copied from the book so that subtree sums need no join.
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    phase = models.PositiveSmallIntegerField(null=True)
    year = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["book", "state"], name="bookstate_unique")]
        indexes = [
            models.Index(fields=["unit_path"], name="bookstate_path", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"book {self.book_id} {self.state}={self.n}"


class UnitStateCount(models.Model):
    """`BookStateCount` summed per unit, event type and phase: what the dashboards read."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    phase = models.PositiveSmallIntegerField(null=True)
    state = models.CharField(max_length=16, choices=RecordState.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "event_type", "phase", "state"], name="unitstate_unique", nulls_distinct=False
            )
        ]
        indexes = [
            models.Index(fields=["unit_path"], name="unitstate_path", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"unit {self.unit_id} {self.event_type} {self.phase} {self.state}={self.n}"


class DailyCount(models.Model):
    day = models.DateField()
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    phase = models.PositiveSmallIntegerField(null=True)
    action = models.CharField(max_length=24, choices=Action.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "event_type", "phase", "action"],
                name="dailycount_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "day"],
                name="dailycount_path_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(fields=["day"], name="dailycount_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} {self.action}={self.n}"


class UnitDailyCount(models.Model):
    """`DailyCount` summed over event types and phases: what dashboards and targets read per day."""

    day = models.DateField()
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    action = models.CharField(max_length=24, choices=Action.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "unit", "action"], name="unitdailycount_unique")
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "day"],
                name="unitdaily_path_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} {self.action}={self.n}"


class ActorDailyCount(models.Model):
    day = models.DateField()
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=24, choices=Action.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "unit", "actor", "action"], name="actordailycount_unique")
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "day"],
                name="actorcount_path_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.actor_id} {self.action}={self.n}"


QUOTA_ACTIONS = [
    Action.COLLECT,
    Action.SCAN,
    Action.ENTER,
    Action.ATTACH,
    Action.REVIEW,
    Action.APPROVE,
    Action.TRANSFER,
]
# The quality counts of a person ("errors per 100 cases of their work"), kept beside their work.
QUALITY_ACTIONS = [
    Action.WORK_RETURNED,
    Action.KEYING_OVERRULED,
    Action.ACCEPTANCE_ERROR,
    Action.REVIEW_MISSED,
]


class Quota(models.Model):
    """A target for a unit (its whole subtree), or for one person working in it ("rõ việc, rõ người"):
    so many cases per day, or in total over a period. A person's target counts only their own work
    within the unit's subtree."""

    class Per(models.TextChoices):
        DAY = "day", _("per day")
        PERIOD = "period", _("over the whole period")

    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quotas",
        verbose_name=_("person"),
    )
    action = models.CharField(_("what is counted"), max_length=24, choices=Action.choices)
    per = models.CharField(_("target"), max_length=8, choices=Per.choices, default=Per.DAY)
    target = models.PositiveIntegerField(_("number of cases"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="quota_end_after_start")
        ]
        indexes = [
            models.Index(fields=["unit", "action", "start"], name="quota_unit_action"),
            models.Index(fields=["person", "start"], name="quota_person", condition=Q(person__isnull=False)),
        ]

    def __str__(self) -> str:
        who = f" {self.person}" if self.person_id else ""
        return f"{self.unit}{who} {self.action} {self.target} {self.per}"


class DailyReport(models.Model):
    """The progress report of one unit for one day, frozen at the unit level's cut-off time.

    Its lines are written once, when it is frozen, and never changed.
    """

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="daily_reports")
    unit_path = models.CharField(max_length=255)
    day = models.DateField(_("day"))
    period_start = models.DateTimeField(_("period from"))
    cutoff_at = models.DateTimeField(_("as of"))
    generated_at = models.DateTimeField(auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # False for a unit that had registered no book by the cut-off: listed as "not started".
    started = models.BooleanField(_("started"), default=True)
    # The sign-off, the only part written after the freeze: the unit's head writes the
    # difficulties and proposals and submits; someone of the level above confirms or returns.
    narrative = models.TextField(_("difficulties, problems and proposals"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_reason = models.CharField(_("reason for return"), max_length=500, blank=True)
    # The audit anchor written outside the database before the report was frozen (its short
    # digest and time), printed so that a paper copy can be held against the anchor file.
    audit_anchor = models.CharField(_("audit anchor"), max_length=19, blank=True)
    audit_anchor_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="dailyreport_unit_day")]
        indexes = [
            models.Index(
                fields=["unit_path", "day"],
                name="dailyreport_path_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.day:%d/%m/%Y}"

    @property
    def submit_deadline(self) -> dt.datetime:
        """When the narrative is due: REPORT_SUBMIT_HOURS after the cut-off (by default next morning)."""
        return self.cutoff_at + dt.timedelta(hours=settings.REPORT_SUBMIT_HOURS)

    @property
    def submitted_late(self) -> bool:
        return self.submitted_at is not None and self.submitted_at > self.submit_deadline


# Report columns: state counts as of the cut-off ("st_"), and moves in the period ("d_").
# The frozen daily report's columns; crossed-out cases (s5-books) are shown by the live counters and
# the book page, not yet as a column of their own here.
REPORT_STATES = [s.value for s in RecordState if s != RecordState.CROSSED_OUT]
REPORT_ACTIONS = ["collect", "scan", "enter", "attach", "review", "approve", "transfer", "return", "reject"]


class ReportFigures(models.Model):
    """Figures of one unit (own books only), event type and phase, in a frozen report.

    `child` is the direct child of the report's unit the line rolls up into (or the
    report's unit itself for its own books).
    """

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    phase = models.PositiveSmallIntegerField(null=True)
    books = models.IntegerField(default=0)
    declared_cases = models.IntegerField(default=0)
    st_collected = models.IntegerField(default=0)
    st_scanned = models.IntegerField(default=0)
    st_entered = models.IntegerField(default=0)
    st_attached = models.IntegerField(default=0)
    st_reviewed = models.IntegerField(default=0)
    st_approved = models.IntegerField(default=0)
    st_transferred = models.IntegerField(default=0)
    st_rejected = models.IntegerField(default=0)
    st_duplicate = models.IntegerField(default=0)
    d_collect = models.IntegerField(default=0)
    d_scan = models.IntegerField(default=0)
    d_enter = models.IntegerField(default=0)
    d_attach = models.IntegerField(default=0)
    d_review = models.IntegerField(default=0)
    d_approve = models.IntegerField(default=0)
    d_transfer = models.IntegerField(default=0)
    d_return = models.IntegerField(default=0)
    d_reject = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"report {self.report_id} unit {self.unit_id} {self.event_type} {self.phase}"  # type: ignore[attr-defined]


class DailyReportLine(ReportFigures):
    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        indexes = [models.Index(fields=["report", "child"], name="reportline_report_child")]


class DailyReportTarget(models.Model):
    """A quota as it stood at the cut-off: target for the day and what was done."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    # A person's own target (None: the unit's). Their name is frozen with it.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=24, choices=Action.choices)
    per = models.CharField(max_length=8, choices=Quota.Per.choices)
    # Per day: the day's target and the day's count. Per period: the share of the
    # target due by this day, and the count since the period began.
    target = models.IntegerField()
    done = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.unit_id} {self.action} {self.done}/{self.target}"

    @property
    def holder(self) -> str:
        """Whose target it is: the unit's, or a person's in that unit."""
        return f"{self.person_name} ({self.unit.name})" if self.person_id else self.unit.name


class CivilDataCount(models.Model):
    """How many records with data there are per unit and per value of each statistics criterion.

    A materialized summary of the civil data itself (not of the digitization work), rebuilt
    from the records by `reports.civil_stats.civil_stats_rebuild` (the scheduler does it every
    CIVIL_STATS_EVERY_MINUTES); the statistics page and its export read only this table.
    Sex and ethnicity are those of the person the record is about (the child, the deceased,
    the ward, the adoptee, the recognized child); a marriage has none (NULL / "").
    """

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    reg_year = models.PositiveSmallIntegerField(null=True)
    sex = models.PositiveSmallIntegerField(null=True)
    ethnicity = models.CharField(max_length=64, blank=True)
    registration_type = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=RecordState.choices)
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["unit_path"], name="civildatacount_path", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.unit_path} {self.event_type} {self.reg_year} {self.n}"


class CivilDataSnapshot(models.Model):
    """When the civil-data summary was last rebuilt, from how many records, in how long."""

    built_at = models.DateTimeField()
    records = models.IntegerField()
    rows = models.IntegerField()
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"{self.built_at:%d/%m/%Y %H:%M} ({self.records})"


class PeriodReport(models.Model):
    """The progress report of one unit for a month, quarter or year, frozen after its last day's cut-off.

    Its lines are the sum of the unit's frozen daily reports of the period: the work done
    (`d_`) added up day by day, the state counts (`st_`, books, declared cases) as the last
    day's report gave them. Written once, never changed.
    """

    class Kind(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Yearly")

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="period_reports")
    unit_path = models.CharField(max_length=255)
    kind = models.CharField(_("period"), max_length=8, choices=Kind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    cutoff_at = models.DateTimeField(_("as of"))
    started = models.BooleanField(_("started"), default=True)
    generated_at = models.DateTimeField(auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("period report")
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind", "start"], name="periodreport_unit_kind_start")
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "kind", "start"],
                name="periodreport_path_kind",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "date_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.kind} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"


class PeriodReportLine(ReportFigures):
    report = models.ForeignKey(PeriodReport, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        indexes = [models.Index(fields=["report", "child"], name="periodline_report_child")]


class PeriodReportTarget(models.Model):
    """Plan against actual for a period: what the quotas asked within it, and what was done."""

    report = models.ForeignKey(PeriodReport, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=24, choices=Action.choices)
    per = models.CharField(max_length=8, choices=Quota.Per.choices)
    target = models.IntegerField()
    done = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.unit_id} {self.action} {self.done}/{self.target}"

    @property
    def holder(self) -> str:
        return self.unit.name


class RolloutPlan(models.Model):
    """Which unit digitizes which phase in which year, and by when ("Năm 2020: 4 huyện", seeds 000, 001).

    Set by the level above the unit, like targets; the plan page compares it with what
    the counters say and projects the finish from the last 14 days' pace.
    """

    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="rollout_plans", verbose_name=_("unit")
    )
    unit_path = models.CharField(max_length=255)
    phase = models.PositiveSmallIntegerField(_("phase"))
    year = models.PositiveSmallIntegerField(_("plan year"))
    deadline = models.DateField(_("deadline"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rollout plan")
        constraints = [models.UniqueConstraint(fields=["unit", "phase"], name="rolloutplan_unit_phase")]
        indexes = [
            models.Index(fields=["unit_path"], name="rolloutplan_path", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.unit} phase {self.phase} by {self.deadline:%d/%m/%Y}"
