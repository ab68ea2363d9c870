"""Import jobs, their rows' outcomes, and saved column mappings (profiles).

An `ImportJob` is one uploaded file for one unit and event type. Its rows' outcomes
(`ImportRow`, one per data row, keyed by row number) are what makes a dry run
reportable and a commit resumable: a row marked committed is never written again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import AdministrativeUnit, CivilRecord, EventType, RegisterBook


class TargetState(models.TextChoices):
    ENTERED = "entered", _("Entered (still attached, reviewed and approved as usual)")
    APPROVED = "approved", _("Approved (an official, already-approved source; province admin only)")


class ImportProfile(models.Model):
    """A named column mapping for an older software's export: file column -> Ministry column."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    mapping = models.JSONField(_("column mapping"), default=dict)
    target_state = models.CharField(
        _("imported records are"), max_length=16, choices=TargetState.choices, default=TargetState.ENTERED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded: check the columns and encodings")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked: read the report, then import")
    FAILED = "failed", _("The file cannot be imported")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")


class ImportJob(models.Model):
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    book_no = models.CharField(_("book number (when the file has no quyenSo)"), max_length=32, blank=True)
    book_year = models.PositiveSmallIntegerField(
        _("book year (when the file has no quyenSo)"), null=True, blank=True
    )
    profile = models.ForeignKey(
        ImportProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mapping = models.JSONField(default=dict, blank=True)
    target_state = models.CharField(max_length=16, choices=TargetState.choices, default=TargetState.ENTERED)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    text_encoding = models.CharField(max_length=16, blank=True)
    column_encodings = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    message = models.TextField(blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    committed_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0)
    skip_invalid = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sha256"], name="import_job_sha")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"


class RowStatus(models.TextChoices):
    VALID = "valid", _("valid")
    LIKELY_DUPLICATE = "likely_duplicate", _("likely duplicate (goes to the resolution queue)")
    INVALID = "invalid", _("has problems")
    ALREADY = "already", _("already imported")
    COMMITTED = "committed", _("imported")


class ImportRow(models.Model):
    """One data row of the file: its outcome, its problems, and the record it became."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_no = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=RowStatus.choices)
    book_ref = models.CharField(max_length=64, blank=True)
    entry_no = models.PositiveIntegerField(null=True)
    identity_key = models.CharField(max_length=400, null=True)
    dedup_keys = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    name = models.CharField(max_length=160, blank=True)
    person = models.JSONField(null=True, blank=True)  # the duplicate check's view of the row
    problems = models.JSONField(default=list, blank=True)  # [[field, problem, fix], ...]
    candidates = models.JSONField(default=list, blank=True)  # likely duplicates: [[kind, id/row, score]]
    record = models.ForeignKey(
        CivilRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "row_no"], name="import_row_once")]
        indexes = [
            models.Index(fields=["job", "identity_key"], name="import_row_identity"),
            models.Index(fields=["job", "book_ref", "entry_no"], name="import_row_entry"),
            GinIndex(fields=["dedup_keys"], name="import_row_dedup"),
        ]

    def __str__(self) -> str:
        return f"row {self.row_no}: {self.status}"


class ImportBook(models.Model):
    """The books a job found or created (for the audit trail and the job page)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="books")
    book = models.ForeignKey(RegisterBook, on_delete=models.PROTECT, related_name="+")
    created = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "book"], name="import_book_once")]

    def __str__(self) -> str:
        return str(self.book_id)
