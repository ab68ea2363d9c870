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

from registry.models import PartyRole
from registry.partial_dates import PartialDate


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
    # When the whole extract was matched against our records (empty: matching still runs in the
    # background, `transfer.tasks.run_reconciliation`).
    matched_at = models.DateTimeField(null=True, blank=True)
    pending = models.PositiveIntegerField(default=0)
    missing_civil = models.PositiveIntegerField(default=0)
    missing_population = models.PositiveIntegerField(default=0)

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
        indexes = [
            models.Index(fields=["extract", "pin"], name="resident_extract_pin"),
            # Matching a person entered just now by name and full birth date (no PIN).
            models.Index(
                fields=["extract", "name_key", "birth_year", "birth_month", "birth_day"],
                name="resident_extract_name_dob",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def birth_date(self) -> PartialDate:
        return PartialDate(self.birth_year, self.birth_month, self.birth_day)


class DiffStatus(models.TextChoices):
    OPEN = "open", _("To clean")
    FIXED_OURS = "fixed_ours", _("Our record corrected")
    POPULATION_MUST_CHANGE = "population_must_change", _("Population database must change")
    SENT_TO_POLICE = "sent_to_police", _("Sent to the commune police")
    AGREED = "agreed", _("Both sides agree")


# Statuses of a finding still followed: matching updates them, and closes them as agreed once both
# sides say the same. Fixed and agreed ones are history.
ACTIVE_STATUSES = (DiffStatus.OPEN, DiffStatus.POPULATION_MUST_CHANGE, DiffStatus.SENT_TO_POLICE)


# The compared fields of a person, as the worklist and the police list name them.
FIELD_LABELS = {
    "full_name": _("Full name"),
    "sex": _("Sex"),
    "birth_date": _("Date of birth"),
    "pin": _("Personal identification number"),
    "ethnicity": _("Ethnicity"),
    "nationality": _("Nationality"),
}


MATCHED_BY_LABELS = {"pin": _("By PIN"), "name_dob": _("By name + birth date")}


class DiffKind(models.TextChoices):
    """What a reconciliation finding is; the first two concern the population database (the commune
    police's list), the last two our civil-status data."""

    DIFFERS = "differs", _("Differs")
    NOT_IN_POPULATION = "not_in_population", _("Not found in the population database")
    NOT_IN_CIVIL = "not_in_civil", _("Missing in civil-status data")
    PENDING_BOOK = "pending_book", _("Pending: book not yet entered")


POLICE_KINDS = (DiffKind.DIFFERS, DiffKind.NOT_IN_POPULATION)
CIVIL_KINDS = (DiffKind.NOT_IN_CIVIL, DiffKind.PENDING_BOOK)


class ReconciliationItem(models.Model):
    """One finding of the comparison with the population database: a field on which our record and
    a resident disagree, a person of our records not in the extract, or a resident of the extract
    with no record (pending while a book that may hold their birth is not yet entered)."""

    extract = models.ForeignKey(PopulationExtract, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=20, choices=DiffKind.choices, default=DiffKind.DIFFERS)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(
        "registry.CivilRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey("registry.Party", null=True, on_delete=models.SET_NULL, related_name="+")
    party_role = models.CharField(max_length=32, blank=True)
    unit_path = models.CharField(max_length=255, editable=False)
    matched_by = models.CharField(max_length=16, blank=True)  # "pin", "name_dob" or empty (no match)
    field = models.CharField(_("field"), max_length=32)
    ours = models.CharField(_("our value"), max_length=255, blank=True)
    theirs = models.CharField(_("population database"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=32, choices=DiffStatus.choices, default=DiffStatus.OPEN)
    reason = models.TextField(_("reason"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(auto_now_add=True, null=True)
    sent_at = models.DateTimeField(_("sent to the police"), null=True, blank=True)
    agreed_at = models.DateTimeField(_("agreed"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")
        constraints = [
            # Matching the same data again updates the finding instead of adding a second one.
            models.UniqueConstraint(
                fields=["record", "party_role", "field"],
                condition=Q(
                    record__isnull=False, status__in=["open", "population_must_change", "sent_to_police"]
                ),
                name="recon_one_active_per_record_field",
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(kind__in=["not_in_civil", "pending_book"], status="open"),
                name="recon_one_open_per_resident",
            ),
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "id"],
                condition=Q(status="open"),
                name="recon_open",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
            models.Index(
                fields=["unit_path", "status", "kind"],
                name="recon_path_status_kind",
                opclasses=["varchar_pattern_ops", "varchar_ops", "varchar_ops"],
            ),
            models.Index(fields=["record"], name="recon_record", condition=Q(record__isnull=False)),
            models.Index(
                fields=["extract", "resident"],
                name="recon_pending",
                condition=Q(kind="pending_book", status="open"),
            ),
        ]

    def __str__(self) -> str:
        if self.kind != DiffKind.DIFFERS:
            return f"{self.get_kind_display()}: {self.ours or self.theirs}"
        return f"{self.field}: {self.ours} ≠ {self.theirs}"

    @property
    def for_police(self) -> bool:
        return self.kind in POLICE_KINDS

    @property
    def party_role_label(self) -> str:
        roles = dict(PartyRole.choices)
        return str(roles.get(self.party_role, self.party_role))

    @property
    def matched_by_label(self) -> str:
        return str(MATCHED_BY_LABELS.get(self.matched_by, self.matched_by))

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))
