"""The transfer outbox, export jobs and population-database reconciliation.

`TransferItem` is the outbox: approving a record inserts one row in the same
transaction (see `transfer.services.transfer_on_transition`), keyed by record
version. Workers claim due rows with a lease, send them, and settle them
(acknowledged, rejected, superseded). Nothing here changes a record's state:
the worker calls `workflows.services.record_transfer` / `record_transfer_refused`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the national database")
    REJECTED = "rejected", _("Refused by the national database")
    SUPERSEDED = "superseded", _("Superseded (record changed before transfer)")


class TransferKind(models.TextChoices):
    RECORD = "record", _("Record")
    SCAN = "scan", _("Late scan of a transferred record")


class TransferItem(models.Model):
    """One version of one approved record on its way to the national database; or (kind "scan")
    the late scan of an already transferred record, sent as an update of it."""

    record = models.ForeignKey(
        "registry.CivilRecord", on_delete=models.PROTECT, related_name="transfer_items"
    )
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=TransferKind.choices, default=TransferKind.RECORD)
    scan = models.ForeignKey(
        "scans.ScanFile", null=True, blank=True, on_delete=models.PROTECT, related_name="transfer_items"
    )
    idempotency_key = models.CharField(max_length=80, unique=True)
    unit_path = models.CharField(max_length=255, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker's claim: until then no other worker takes the row. A killed worker's
    # claim simply runs out, and the row is sent again under the same key.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=40, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    receipt = models.CharField(_("receipt"), max_length=120, blank=True)
    message = models.TextField(_("receiver's message"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transfer item")
        verbose_name_plural = _("transfer items")
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(status="pending"), name="transfer_one_pending_per_record"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], condition=Q(status="pending"), name="transfer_due"
            ),
            models.Index(fields=["record", "-id"], name="transfer_record"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class ExportKind(models.TextChoices):
    MINISTRY_EXCEL = "ministry_excel", _("Ministry Excel sheet")
    MINISTRY_ZIP = "ministry_zip", _("Ministry ZIP of scans")
    DATACENTRE_FULL = "datacentre_full", _("Data-centre copy (full)")
    DATACENTRE_INCREMENTAL = "datacentre_incremental", _("Data-centre copy (incremental)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Stopped on request")


class ExportJob(models.Model):
    """An export produced in the background; its file is downloaded through a checked view."""

    kind = models.CharField(_("kind"), max_length=32, choices=ExportKind.choices)
    unit = models.ForeignKey("registry.AdministrativeUnit", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    book = models.ForeignKey(
        "registry.RegisterBook", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file = models.FileField(upload_to="exports/", max_length=255, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    record_count = models.PositiveIntegerField(default=0)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["unit_path", "-created_at"], name="export_unit_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class PopulationExtract(models.Model):
    """A CSV extract of residents from the national population database."""

    unit = models.ForeignKey("registry.AdministrativeUnit", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    matched_by_pin = models.PositiveIntegerField(default=0)
    matched_by_name = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    problems = models.TextField(blank=True)
    differences = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("population-database extract")
        verbose_name_plural = _("population-database extracts")

    def __str__(self) -> str:
        return self.filename or f"extract {self.pk}"


class Resident(models.Model):
    """One row of a population-database extract."""

    extract = models.ForeignKey(PopulationExtract, on_delete=models.CASCADE, related_name="residents")
    line_no = models.PositiveIntegerField()
    pin = models.CharField(max_length=12, blank=True)
    full_name = models.CharField(max_length=120, blank=True)
    name_key = models.CharField(max_length=120, blank=True)
    sex = models.PositiveSmallIntegerField(default=0)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(null=True, blank=True)
    ethnicity = models.CharField(max_length=64, blank=True)
    nationality = models.CharField(max_length=64, blank=True)
    residence = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["extract", "pin"], name="resident_extract_pin")]

    def __str__(self) -> str:
        return self.full_name


class DiffStatus(models.TextChoices):
    OPEN = "open", _("To clean")
    FIXED_OURS = "fixed_ours", _("Our record corrected")
    POPULATION_MUST_CHANGE = "population_must_change", _("Population database must change")


class ReconciliationItem(models.Model):
    """One field on which our record and the population database disagree: a cleaning task."""

    extract = models.ForeignKey(PopulationExtract, on_delete=models.CASCADE, related_name="items")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey("registry.CivilRecord", on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey("registry.Party", null=True, on_delete=models.SET_NULL, related_name="+")
    party_role = models.CharField(max_length=32)
    unit_path = models.CharField(max_length=255, editable=False)
    matched_by = models.CharField(max_length=16)  # "pin" or "name_dob"
    field = models.CharField(_("field"), max_length=32)
    ours = models.CharField(_("our value"), max_length=255, blank=True)
    theirs = models.CharField(_("population database"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=32, choices=DiffStatus.choices, default=DiffStatus.OPEN)
    reason = models.TextField(_("reason"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")
        indexes = [
            models.Index(
                fields=["unit_path", "id"],
                condition=Q(status="open"),
                name="recon_open",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.ours} ≠ {self.theirs}"
