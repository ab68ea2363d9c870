"""Digitization contracts (issue 17): the contractor, its contract and staff, unit prices, the
lots it hands over, the acceptance sample drawn from each lot by ISO 2859-1, the inspectors'
findings and the decision. Amounts are whole Vietnamese đồng."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.sampling import AQLS
from registry.models import AdministrativeUnit, CivilRecord, EventType


class Contractor(models.Model):
    """A digitization company (Đơn vị thực hiện số hoá)."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    representative = models.CharField(_("representative"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContractStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed (liquidated)")


class Contract(models.Model):
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="contracts")
    # The unit whose administrators manage the contract (the province); audit rows go to its stream.
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("managed by")
    )
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255)
    signed_on = models.DateField(_("signed on"))
    starts_on = models.DateField(_("start of the period"))
    ends_on = models.DateField(_("end of the period"))
    # The units whose books the contract covers (each with its subtree).
    units = models.ManyToManyField(AdministrativeUnit, related_name="+", verbose_name=_("units covered"))
    aql = models.CharField(
        _("AQL (percent nonconforming)"), max_length=8, choices=[(a, a) for a in AQLS], default="1.0"
    )
    ceiling = models.PositiveBigIntegerField(_("total ceiling (VND)"))
    status = models.CharField(max_length=8, choices=ContractStatus.choices, default=ContractStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="contract_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} – {self.contractor.name}"


class ContractStaff(models.Model):
    """An account of the contractor's staff working under the contract (role: contractor staff)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contract_staff"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contract", "user"], name="contract_staff_once")]

    def __str__(self) -> str:
        return f"{self.contract.number}: {self.user}"


class ItemKind(models.TextChoices):
    CASE_KEYED = "case_keyed", _("Case keyed")
    PAGE_SCANNED = "page_scanned", _("Page scanned")
    CASE_ATTACHED = "case_attached", _("Case attached")


class UnitPrice(models.Model):
    """The price of one item of a kind; a price for a phase and/or event type beats the general one."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="prices")
    kind = models.CharField(_("item kind"), max_length=16, choices=ItemKind.choices)
    phase = models.PositiveSmallIntegerField(_("phase"), null=True, blank=True)
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices, blank=True)
    price = models.PositiveBigIntegerField(_("unit price (VND)"))

    class Meta:
        ordering = ["kind", "phase", "event_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "kind", "phase", "event_type"],
                name="unit_price_once",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.price}"


class LotStatus(models.TextChoices):
    HANDED_OVER = "handed_over", _("Handed over")
    SAMPLED = "sampled", _("Sample drawn")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Rejected and returned")


class HandoverLot(models.Model):
    """A set of cases the contractor hands over for acceptance (bàn giao), with its sampling plan,
    seed and decision."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="lots")
    number = models.PositiveIntegerField(_("lot number"))
    status = models.CharField(max_length=16, choices=LotStatus.choices, default=LotStatus.HANDED_OVER)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    handed_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handed_over_at = models.DateTimeField()
    note = models.TextField(_("note"), blank=True)
    lot_size = models.PositiveIntegerField()
    # The plan (ISO 2859-1, level II, single sampling, normal inspection) and the seed, once drawn.
    aql = models.CharField(max_length=8, blank=True)
    code_letter = models.CharField(max_length=1, blank=True)
    plan_letter = models.CharField(max_length=1, blank=True)
    sample_size = models.PositiveIntegerField(null=True)
    accept_no = models.PositiveIntegerField(null=True)
    reject_no = models.PositiveIntegerField(null=True)
    seed = models.BigIntegerField(null=True)
    sampled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sampled_at = models.DateTimeField(null=True, blank=True)
    nonconforming = models.PositiveIntegerField(null=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "number"]
        constraints = [models.UniqueConstraint(fields=["contract", "number"], name="lot_number_once")]

    def __str__(self) -> str:
        return f"{self.contract.number} / {self.number}"


class LotCase(models.Model):
    """One case of a lot: in the sample or not, inspected or not, and the volumes it brings
    (counted at handover from who did each stage)."""

    lot = models.ForeignKey(HandoverLot, on_delete=models.CASCADE, related_name="cases")
    record = models.ForeignKey(CivilRecord, on_delete=models.PROTECT, related_name="+")
    book_id_value = models.BigIntegerField(db_column="book_id")
    phase = models.PositiveSmallIntegerField(null=True)
    event_type = models.CharField(max_length=32)
    keyed = models.PositiveSmallIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    attached = models.PositiveSmallIntegerField(default=0)
    in_sample = models.BooleanField(default=False)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    inspected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lot", "record_id"]
        constraints = [models.UniqueConstraint(fields=["lot", "record"], name="lot_case_once")]
        indexes = [models.Index(fields=["record"], name="lotcase_record")]

    def __str__(self) -> str:
        return f"{self.lot}: {self.record_id}"


class FindingKind(models.TextChoices):
    FIELD_ERROR = "field_error", _("Field error")
    SCAN_DEFECT = "scan_defect", _("Scan defect")


class DefectKind(models.TextChoices):
    # Field errors: the data against the scan or the book.
    WRONG_VALUE = "wrong_value", _("Wrong value")
    MISSING_VALUE = "missing_value", _("Missing value")
    WRONG_SPELLING = "wrong_spelling", _("Wrong spelling or diacritics")
    WRONG_DATE = "wrong_date", _("Wrong date")
    # Scan defects.
    ILLEGIBLE = "illegible", _("Illegible or blurred")
    MISSING_PAGE = "missing_page", _("Page missing")
    CROPPED = "cropped", _("Cropped or skewed")
    WRONG_CASE = "wrong_case", _("Scan of another case")


FIELD_DEFECTS = (
    DefectKind.WRONG_VALUE,
    DefectKind.MISSING_VALUE,
    DefectKind.WRONG_SPELLING,
    DefectKind.WRONG_DATE,
)
SCAN_DEFECTS = (DefectKind.ILLEGIBLE, DefectKind.MISSING_PAGE, DefectKind.CROPPED, DefectKind.WRONG_CASE)


class Finding(models.Model):
    """What an inspector found wrong in a sampled case; a case with any finding is nonconforming."""

    lot_case = models.ForeignKey(LotCase, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("finding"), max_length=16, choices=FindingKind.choices)
    defect = models.CharField(_("defect"), max_length=16, choices=DefectKind.choices)
    field = models.CharField(_("field"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["lot_case", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_defect_display()}"
