"""The issue log of certified extracts, their serial counters and batch print jobs.

One `ExtractIssue` row per print at the counter (or per extract of a batch):
which record, for whom, how many copies, by which clerk, when; a reprint is a
new row pointing at the issue it reprints and carrying the same serial.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import AdministrativeUnit, CivilRecord


def extract_upload_to(instance: ExtractIssue, filename: str) -> str:
    return f"extracts/{instance.issuing_unit_id}/{instance.issued_at:%Y}/{filename}"


class ExtractSerialCounter(models.Model):
    """The last serial number given by a unit in a year (locked FOR UPDATE to hand out the next)."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="extract_serial_unit_year")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}: {self.last}"


class ExtractBatch(models.Model):
    """Many extracts rendered into one merged PDF by a background job."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Stopped on request")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="extracts/batches/", max_length=255, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("batch print")
        verbose_name_plural = _("batch prints")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class ExtractIssue(models.Model):
    """One print of a certified extract (trích lục, bản sao): a row of the issue log."""

    record = models.ForeignKey(CivilRecord, on_delete=models.PROTECT, related_name="extract_issues")
    issuing_unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    # Denormalized from the record's unit so that the log is scoped with one prefix filter.
    unit_path = models.CharField(max_length=255, editable=False)
    event_type = models.CharField(_("event type"), max_length=32)
    serial = models.CharField(_("serial number"), max_length=48)
    serial_year = models.PositiveSmallIntegerField()
    serial_no = models.PositiveIntegerField()
    subject_name = models.CharField(_("person registered"), max_length=120, blank=True)
    key_date = models.CharField(max_length=16, blank=True)
    requester_name = models.CharField(_("requester"), max_length=120)
    requester_document = models.CharField(_("requester's identity document"), max_length=120)
    relationship = models.CharField(_("relationship to the person registered"), max_length=120)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    electronic = models.BooleanField(_("signed electronic copy"), default=False)
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    issue_place = models.CharField(max_length=120)
    signer_name = models.CharField(_("signer"), max_length=120)
    signer_title = models.CharField(_("signer's title"), max_length=120)
    reprint_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reprints"
    )
    reprint_no = models.PositiveSmallIntegerField(default=0)
    record_version = models.PositiveIntegerField()
    content_sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=extract_upload_to, max_length=255, blank=True)
    batch = models.ForeignKey(
        ExtractBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )

    class Meta:
        verbose_name = _("extract issue")
        verbose_name_plural = _("extract issue log")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_unit", "serial"],
                condition=Q(reprint_of__isnull=True),
                name="extract_serial_unique_per_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["record", "issued_at"], name="extract_record_issued"),
            models.Index(
                fields=["unit_path", "issued_at"],
                name="extract_path_issued",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.serial} ({self.issued_at:%d/%m/%Y})"

    @property
    def is_reprint(self) -> bool:
        return self.reprint_of_id is not None

    @property
    def original_id(self) -> int:
        return self.reprint_of_id or self.pk
