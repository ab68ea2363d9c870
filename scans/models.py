"""Scans: the PDF of each case, whole-book scans and their split, named batches.

The tables were created by the registry app and keep their names (`registry_*`);
the models moved here with the scan pipeline (migration scans 0001).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import AdministrativeUnit, CivilRecord, RegisterBook


class ScanSource(models.TextChoices):
    UPLOAD = "upload", _("Uploaded for the case")
    BOOK_SPLIT = "book_split", _("Split from a book scan")
    BATCH = "batch", _("Matched from a named batch")


class LateCheck(models.TextChoices):
    """Where a scan added after approval (a late scan) stands; blank for every other scan."""

    PENDING = "pending", _("Waiting for the scan check")
    PASSED = "passed", _("Scan check passed")
    RETURNED = "returned", _("Returned by the scan check")
    CANCELLED = "cancelled", _("Scan check cancelled")


# A late scan counts as the case's scan only once its check passed.
NOT_CURRENT = (LateCheck.PENDING, LateCheck.RETURNED, LateCheck.CANCELLED)


def current_scan(scans: Iterable[ScanFile]) -> ScanFile | None:
    """The case's scan: the newest one (scans come newest first, as `ScanFile.Meta.ordering` gives
    them, prefetched or not) that is not a late scan still unchecked, returned or cancelled."""
    return next((scan for scan in scans if scan.late_check not in NOT_CURRENT), None)


def scan_upload_to(instance: ScanFile, filename: str) -> str:
    # The stored name never uses what the user sent: only the record id and the hash.
    return f"scans/{instance.record.unit_id}/{instance.record_id}/{instance.sha256[:16]}.pdf"


class ScanFile(models.Model):
    """The PDF of a case. The current one is the newest; older ones are kept."""

    record = models.ForeignKey(CivilRecord, on_delete=models.PROTECT, related_name="scans")
    file = models.FileField(upload_to=scan_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    pages = models.PositiveSmallIntegerField()
    original_name = models.CharField(max_length=255, blank=True)
    canonical_name = models.CharField(max_length=255, blank=True)
    # The hash of the bytes as uploaded (the stored PDF is rebuilt), where it came from,
    # and what the pipeline did (kind, active content removed, per-page dpi and quality).
    original_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    source = models.CharField(max_length=16, choices=ScanSource.choices, default=ScanSource.UPLOAD)
    processing = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # The case could not fit the size limit and stay legible: stored at the legibility floor
    # ("processing" says the size and the limit), shown and counted as over the limit.
    over_limit = models.BooleanField(_("over the size limit"), default=False)
    # The record's unit path, copied when the scan is stored: the progress counts of flagged scans
    # read this table only.
    unit_path = models.CharField(max_length=255, blank=True, editable=False)
    # A scan added to an approved or transferred case goes through a scan check (workflows).
    late_check = models.CharField(_("scan check"), max_length=16, choices=LateCheck.choices, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    check_reason = models.TextField(_("reason given by the scan check"), blank=True)

    class Meta:
        db_table = "registry_scanfile"
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(
                fields=["unit_path"],
                name="scan_flagged",
                condition=models.Q(over_limit=True) | models.Q(late_check="pending"),
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.canonical_name or self.original_name or f"scan {self.pk}"

    def over_limit_reason(self) -> str:
        """Why the scan is flagged ("" when within the limit): its size against the limit it missed."""
        if not self.over_limit:
            return ""
        info = self.processing or {}
        per = info.get("limit_per", "case")
        from scans.pdf import LEGIBILITY

        return str(
            _(
                "over the size limit: %(kb)d KB for %(n)d page(s), the limit is %(limit)d KB %(per)s; "
                "smaller would no longer be legible (%(rule)s)"
            )
        ) % {
            "kb": (self.size + 1023) // 1024,
            "n": self.pages,
            "limit": info.get("limit_kb", 0),
            "per": _("per case") if per == "case" else _("per page"),
            "rule": LEGIBILITY.describe(),
        }


def book_scan_upload_to(instance: BookScan, filename: str) -> str:
    return f"book-scans/{instance.book.custodian_id}/{instance.book_id}/{instance.sha256[:16]}.pdf"


class BookScan(models.Model):
    """A whole book scanned as one PDF, kept so that its pages can be split into cases."""

    book = models.ForeignKey(RegisterBook, on_delete=models.PROTECT, related_name="scan_uploads")
    file = models.FileField(upload_to=book_scan_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    pages = models.PositiveIntegerField()
    active_content = models.JSONField(default=list, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "registry_bookscan"
        verbose_name = _("book scan")
        verbose_name_plural = _("book scans")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.book} ({self.pages} p.)"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Stopped by an error")


class ScanSplitJob(models.Model):
    """Cutting a book scan into one PDF per case; each case is committed on its own."""

    book_scan = models.ForeignKey(BookScan, on_delete=models.PROTECT, related_name="jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "registry_scansplitjob"
        verbose_name = _("book split")
        verbose_name_plural = _("book splits")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.book_scan} – {self.get_status_display()}"


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Stored")
    REFUSED = "refused", _("Refused")
    UNMATCHED = "unmatched", _("No matching case")
    AMBIGUOUS = "ambiguous", _("Several possible cases")


class ScanSplitItem(models.Model):
    """One case of a book split: which pages, and what came of them."""

    job = models.ForeignKey(ScanSplitJob, on_delete=models.CASCADE, related_name="items")
    record = models.ForeignKey(CivilRecord, on_delete=models.PROTECT, related_name="+")
    first_page = models.PositiveIntegerField()
    last_page = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    scan = models.ForeignKey(ScanFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.TextField(blank=True)

    class Meta:
        db_table = "registry_scansplititem"
        ordering = ["job", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "record"], name="split_item_one_per_record")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.first_page}-{self.last_page}"


class ScanBatch(models.Model):
    """Files named by the naming rule (or book + entry number), to be matched to their cases."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    book = models.ForeignKey(RegisterBook, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "registry_scanbatch"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"batch {self.pk}"


def batch_item_upload_to(instance: ScanBatchItem, filename: str) -> str:
    # Staging only: never served, and the name never comes from the user.
    return f"scan-batches/{instance.batch_id}/{instance.sha256[:16]}.bin"


class ScanBatchItem(models.Model):
    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="items")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=batch_item_upload_to, max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    record = models.ForeignKey(CivilRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    candidates = models.JSONField(default=list, blank=True)
    scan = models.ForeignKey(ScanFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.TextField(blank=True)
    # Not a column: set by `scan_views.scan_batch_detail` for its template (visible `candidates`).
    candidate_records: list[CivilRecord]

    class Meta:
        db_table = "registry_scanbatchitem"
        ordering = ["batch", "id"]
        indexes = [models.Index(fields=["batch", "status"], name="batch_item_status")]

    def __str__(self) -> str:
        return self.original_name
