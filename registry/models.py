"""Administrative units, register books, civil records, the people in them, and duplicate pairs.

One `CivilRecord` is one case in one book. Its `state` is written only by the
services in `workflows.services`, through the state machine in
`workflows.machine`; nothing else assigns it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.partial_dates import PartialDate


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


# Higher number = higher level; used for competence checks.
LEVEL_RANK = {UnitLevel.COMMUNE: 1, UnitLevel.DISTRICT: 2, UnitLevel.PROVINCE: 3}


class UnitEra(models.TextChoices):
    CURRENT = "current", _("Two-level structure (since 01/07/2025)")
    LEGACY = "legacy", _("Three-level structure (before 01/07/2025)")


class AdministrativeUnit(models.Model):
    """A node of the administrative tree (province > district > commune).

    `path` is a materialized path of ids ("12/345/6789/"), so a subtree is one
    indexed prefix filter. Units of the pre-2025 tree keep their own codes and
    point to the unit that took over their books (`successor`).
    """

    code = models.CharField(_("official code"), max_length=16)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=UnitLevel.choices)
    era = models.CharField(_("structure"), max_length=16, choices=UnitEra.choices, default=UnitEra.CURRENT)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=255, editable=False, db_index=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
        verbose_name=_("successor unit"),
    )

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        constraints = [
            models.UniqueConstraint(fields=["era", "level", "code"], name="unit_code_unique_per_era_level"),
        ]
        indexes = [
            models.Index(fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent"], name="unit_parent_idx"),
        ]
        permissions = [
            # Object permissions are granted on units (django-guardian) and cover records in them.
            ("view_records", "Can view records of the unit"),
            ("collect_books", "Can register books and their slots"),
            ("scan_record", "Can scan records"),
            ("enter_record", "Can enter record data"),
            ("amend_record", "Can amend approved or transferred records"),
            ("attach_record", "Can attach scans to records"),
            ("review_record", "Can review records"),
            ("approve_record", "Can approve records"),
            ("reject_record", "Can reject or close records"),
            ("resolve_duplicates", "Can resolve likely duplicates"),
            ("print_extract", "Can print certified extracts"),
            ("export_records", "Can export records"),
            ("view_audit", "Can read the audit trail"),
            ("manage_unit", "Can manage people and quotas of the unit"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def rank(self) -> int:
        return LEVEL_RANK[UnitLevel(self.level)]

    def subtree_q(self, prefix: str = "") -> Q:
        """A filter for objects whose unit (reached through `prefix`) is in this unit's subtree."""
        return Q(**{f"{prefix}path__startswith": self.path})

    def ancestors(self) -> models.QuerySet[AdministrativeUnit]:
        ids = [int(p) for p in self.path.strip("/").split("/") if p]
        return AdministrativeUnit.objects.filter(pk__in=ids).order_by("depth")


class EventType(models.TextChoices):
    BIRTH = "birth", _("Birth")
    MARRIAGE = "marriage", _("Marriage")
    DEATH = "death", _("Death")
    PARENTAGE = "parentage", _("Parentage recognition")
    GUARDIANSHIP = "guardianship", _("Guardianship")
    GUARDIANSHIP_END = "guardianship_end", _("End of guardianship")
    AMENDMENT = "amendment", _("Change, correction, supplement of civil status")
    DIVORCE_NOTE = "divorce_note", _("Divorce notation")
    MARITAL_STATUS = "marital_status", _("Marital-status confirmation")
    ADOPTION = "adoption", _("Adoption")


class DigitizationPhase(models.Model):
    """A digitization phase by registration year. Boundaries are data, not code."""

    number = models.PositiveSmallIntegerField(_("phase"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    year_from = models.PositiveSmallIntegerField(_("from year"), null=True, blank=True)
    year_to = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    # Double keying (workflows.keying): the books of this phase are keyed twice, unless a book says otherwise.
    double_keying = models.BooleanField(_("double keying"), default=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("digitization phase")
        verbose_name_plural = _("digitization phases")

    def __str__(self) -> str:
        return self.name


class BookCondition(models.TextChoices):
    GOOD = "good", _("Good")
    WORN = "worn", _("Worn")
    DAMAGED = "damaged", _("Damaged, partly illegible")


class RegisterBook(models.Model):
    """A paper register book (sổ hộ tịch) kept by a custodian unit."""

    custodian = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="books", verbose_name=_("custodian unit")
    )
    authority_as_written = models.CharField(_("registering authority (as written)"), max_length=255)
    authority_unit = models.ForeignKey(
        AdministrativeUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registered_books",
        verbose_name=_("registering unit"),
    )
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    # The first year the book covers (its year on the cover); `year_to` the last (a book may run
    # across years: 1998–1999). Grouping, phases and numbering use `year`. Empty `year_to` (books
    # created by code that predates it) means the one year.
    year = models.PositiveSmallIntegerField(_("year"))
    year_to = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    book_no = models.CharField(_("book number"), max_length=32)
    phase = models.PositiveSmallIntegerField(_("phase"), null=True, blank=True)
    declared_cases = models.PositiveIntegerField(_("declared closing total of cases"), null=True, blank=True)
    declared_pages = models.PositiveIntegerField(_("declared closing total of pages"), null=True, blank=True)
    condition = models.CharField(
        _("physical condition"), max_length=16, choices=BookCondition.choices, default=BookCondition.GOOD
    )
    note = models.TextField(_("note"), blank=True)
    # Double keying (workflows.keying): yes, no, or empty to follow the book's phase.
    double_keying = models.BooleanField(_("double keying"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("register book")
        verbose_name_plural = _("register books")
        constraints = [
            models.UniqueConstraint(
                fields=["custodian", "event_type", "year", "book_no"], name="book_unique_per_custodian"
            ),
            models.CheckConstraint(
                condition=Q(year_to__isnull=True) | Q(year_to__gte=models.F("year")),
                name="book_year_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["custodian", "event_type", "year"], name="book_custodian_type_year")]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} {self.years_label} – {_('book')} {self.book_no}"

    @property
    def years_label(self) -> str:
        """ "1998" or "1998–1999"."""
        return (
            str(self.year) if not self.year_to or self.year_to == self.year else f"{self.year}–{self.year_to}"
        )

    def double_keying_on(self, phase_keyed: bool | None = None) -> bool:
        """Are this book's cases keyed twice? The book's own setting, else its phase's (`phase_keyed`
        when the caller read it along with the book, else one query)."""
        if self.double_keying is not None:
            return self.double_keying
        if self.phase is None:
            return False
        if phase_keyed is not None:
            return phase_keyed
        return DigitizationPhase.objects.filter(number=self.phase, double_keying=True).exists()

    def covers_year(self, year: int | None) -> bool:
        """Does the book's year range include `year`? (None: nothing to check.)"""
        return year is None or self.year <= year <= (self.year_to or self.year)


class BookAssessment(models.Model):
    """The written assessment of a book's physical condition (đánh giá hiện trạng): the defect checklist.

    One row per book, the current state: a re-assessment replaces it, and the audit trail
    (`book_assess`, old → new) keeps what it said before. A book without a row was not assessed
    (registered before the checklist existed, or through an import that sends none).
    The book's overall grade (`RegisterBook.condition`) stays on the book, kept coherent with this
    checklist by `registry.book_condition` (a book with a defect ticked is not "good").
    """

    book = models.OneToOneField(RegisterBook, on_delete=models.CASCADE, related_name="assessment")
    torn = models.BooleanField(_("torn"), default=False)
    faded = models.BooleanField(_("faded"), default=False)
    water_damaged = models.BooleanField(_("water-damaged"), default=False)
    missing_pages = models.BooleanField(_("missing pages"), default=False)
    missing_page_count = models.PositiveIntegerField(_("number of missing pages"), null=True, blank=True)
    missing_page_numbers = models.CharField(_("which pages are missing"), max_length=255, blank=True)
    needs_restoration = models.BooleanField(_("needs restoration before scanning"), default=False)
    note = models.TextField(_("condition note"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed at"))

    class Meta:
        verbose_name = _("book condition assessment")
        verbose_name_plural = _("book condition assessments")
        constraints = [
            models.CheckConstraint(
                condition=Q(missing_page_count__isnull=True)
                | Q(missing_page_count__gte=1, missing_pages=True),
                name="assessment_missing_count_needs_flag",
            ),
        ]

    def __str__(self) -> str:
        labels = ", ".join(str(label) for label in self.defect_labels) or str(_("no defect"))
        return f"{self.book}: {labels}"

    @property
    def defect_labels(self) -> list:
        from registry.book_condition import DEFECTS

        return [label for key, label in DEFECTS if getattr(self, key)]


class RecordState(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    SCANNED = "scanned", _("Scanned")
    ENTERED = "entered", _("Entered")
    ATTACHED = "attached", _("Attached")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    TRANSFERRED = "transferred", _("Transferred")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Closed as duplicate")
    # A case the registrar crossed out in the book ("bị gạch bỏ"): digitized as written (scan kept,
    # data optional), counted against the book's closing total, never a live event.
    CROSSED_OUT = "crossed_out", _("Crossed out in the book")


CLOSED_STATES = (RecordState.REJECTED, RecordState.DUPLICATE)
ACTIVE_Q = ~Q(state__in=[s.value for s in CLOSED_STATES])
# The order cases stand in a book: 15, 15a, 15 bis, 16.
ENTRY_ORDER = ("entry_no", "entry_suffix_rank", "entry_suffix")


class Competence(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    DISTRICT = "district", _("District")
    PROVINCE = "province", _("Province")


class RegistrationType(models.IntegerChoices):
    """`loaiDangKy` of the Ministry template."""

    UNKNOWN = 0, _("No information")
    ON_TIME = 1, _("On time")
    REREGISTRATION = 2, _("Re-registration")
    FROM_ABROAD = 3, _("Recorded from abroad")
    LATE = 4, _("Late registration")


# The ignore: viewflow's process and task models (reverse `processes`, `tasks`) get their default
# manager from `QuerySet.as_manager()` in untyped code, which the django-stubs plugin cannot resolve.
class CivilRecord(models.Model):  # type: ignore[django-manager-missing]
    """One registered case (trường hợp đăng ký) in one book."""

    book = models.ForeignKey(RegisterBook, on_delete=models.PROTECT, related_name="records")
    # Denormalized from the book so that scoping and counts need no join.
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="records")
    unit_path = models.CharField(max_length=255, editable=False)
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    entry_no = models.PositiveIntegerField(_("entry number"))
    # A case squeezed in under an existing number: "15a", "15 bis" (see registry.entry_numbers).
    # Defaults in the database too, so that bulk loads (COPY in bench/seed.py, imports) need not name them.
    entry_suffix = models.CharField(
        _("entry number suffix"), max_length=12, blank=True, default="", db_default=""
    )
    entry_suffix_rank = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    page_no = models.PositiveIntegerField(_("page"), null=True, blank=True)
    reg_year = models.PositiveSmallIntegerField(null=True, blank=True)
    reg_month = models.PositiveSmallIntegerField(null=True, blank=True)
    reg_day = models.PositiveSmallIntegerField(null=True, blank=True)
    registration_type = models.PositiveSmallIntegerField(
        _("registration type"), choices=RegistrationType.choices, default=RegistrationType.UNKNOWN
    )
    registration_place = models.CharField(_("place of registration"), max_length=255, blank=True)
    signer_name = models.CharField(_("signer"), max_length=120, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=120, blank=True)
    performer_name = models.CharField(_("officer who performed it"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The event itself (birth date lives on the subject party; these serve death,
    # marriage and the others).
    event_year = models.PositiveSmallIntegerField(null=True, blank=True)
    event_month = models.PositiveSmallIntegerField(null=True, blank=True)
    event_day = models.PositiveSmallIntegerField(null=True, blank=True)
    event_time = models.CharField(_("time of event"), max_length=16, blank=True)
    event_place = models.CharField(_("place of event"), max_length=255, blank=True)
    event_cause = models.CharField(_("cause"), max_length=255, blank=True)
    # Per-type fields that are printed but neither queried nor constrained.
    details = models.JSONField(default=dict, blank=True)

    state = models.CharField(
        _("state"), max_length=16, choices=RecordState.choices, default=RecordState.COLLECTED, editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    competence = models.CharField(
        _("competence"), max_length=16, choices=Competence.choices, default=Competence.COMMUNE
    )
    # Hard duplicate key for births and deaths: "pin:…" or "id:name|dob|mother".
    identity_key = models.CharField(max_length=400, null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # A lawful re-registration (đăng ký lại) of an earlier record of the same event: not a duplicate.
    reregistration_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reregistrations",
        editable=False,
        verbose_name=_("re-registration of"),
    )
    # Blocking keys of the likely-duplicate check ("birth|nguyen|an|2020" and one-letter
    # deletions of family and given name): see registry.matching.
    dedup_keys = ArrayField(models.CharField(max_length=200), default=list, blank=True, editable=False)

    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    transferred_at = models.DateTimeField(null=True, blank=True)
    # The last return, rejection or closing: why, by whom, with remarks per field.
    last_reason = models.TextField(blank=True, editable=False)
    # Required fields (EventSpec.required) the clerk confirmed the book does not write
    # ("không ghi trong sổ"), as the services name them ("party.subject.full_name").
    not_in_book = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    # Fields whose implausible value the clerk confirmed "as written in the book" ("đúng như trong
    # sổ"), named as the checks name them ("party.mother.birth_date"); a confirmation lasts while
    # the field keeps a warning and is dropped when its value changes (registry.record_checks).
    as_written = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    return_remarks = models.JSONField(default=dict, blank=True, editable=False)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("civil record")
        verbose_name_plural = _("civil records")
        constraints = [
            models.UniqueConstraint(
                fields=["book", "entry_no", "entry_suffix"],
                condition=ACTIVE_Q,
                name="record_one_active_per_book_entry",
                violation_error_message=_("This book already has an active case with this entry number."),
            ),
            models.UniqueConstraint(
                fields=["event_type", "identity_key"],
                condition=ACTIVE_Q
                & Q(identity_key__isnull=False)
                & Q(event_type__in=["birth", "death"])
                & Q(reregistration_of__isnull=True),
                name="record_one_birth_death_per_person",
                violation_error_message=_("This person's birth or death is already registered."),
            ),
            # A re-registration does not count against the person's one registration, but an
            # original is re-registered once.
            models.UniqueConstraint(
                fields=["reregistration_of"],
                condition=ACTIVE_Q & Q(reregistration_of__isnull=False),
                name="record_one_reregistration_per_original",
                violation_error_message=_("This record has already been re-registered."),
            ),
            models.CheckConstraint(
                condition=Q(reg_month__isnull=True) | Q(reg_month__gte=1, reg_month__lte=12),
                name="record_reg_month_valid",
            ),
            models.CheckConstraint(
                condition=Q(reg_day__isnull=True)
                | (Q(reg_day__gte=1, reg_day__lte=31) & Q(reg_month__isnull=False)),
                name="record_reg_day_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["book", "entry_no"], name="record_book_entry"),
            models.Index(fields=["unit", "state"], name="record_unit_state"),
            models.Index(
                fields=["unit_path", "state"],
                name="record_path_state",
                opclasses=["varchar_pattern_ops", "varchar_ops"],
            ),
            models.Index(fields=["state", "approved_at"], name="record_state_approved"),
            # No pending list (fastupdate): every likely-duplicate search scans that list whole, and
            # steady entry kept it at hundreds of pages (90 ms a search, 0.7 ms once merged).
            # Lookups by identity (import checks, the duplicate message): the unique index above cannot serve
            # them, its predicate names re-registrations, which these queries do not.
            models.Index(
                fields=["event_type", "identity_key"],
                name="record_identity_lookup",
                condition=Q(identity_key__isnull=False),
            ),
            GinIndex(fields=["dedup_keys"], name="record_dedup_keys", condition=ACTIVE_Q, fastupdate=False),
            # The few cases with a value confirmed as written, counted by the progress statistics.
            models.Index(
                fields=["unit_path"],
                name="record_as_written",
                opclasses=["varchar_pattern_ops"],
                condition=ACTIVE_Q & ~Q(as_written=[]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.book} – {_('no.')} {self.entry_label}"

    @property
    def entry_label(self) -> str:
        """The entry number as the book writes it: "15", "15a", "15 bis"."""
        from registry.entry_numbers import entry_label

        return entry_label(self.entry_no, self.entry_suffix)

    @property
    def registration_date(self) -> PartialDate:
        return PartialDate(self.reg_year, self.reg_month, self.reg_day)

    @property
    def event_date(self) -> PartialDate:
        return PartialDate(self.event_year, self.event_month, self.event_day)

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def is_crossed_out(self) -> bool:
        return self.state == RecordState.CROSSED_OUT

    def subject(self) -> Party | None:
        """The main person of the case (the child, the deceased, …), if entered."""
        for party in self.parties.all():
            if party.role in SUBJECT_ROLES:
                return party
        return None


class PartyRole(models.TextChoices):
    SUBJECT = "subject", _("Person registered")
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    HUSBAND = "husband", _("Husband")
    WIFE = "wife", _("Wife")
    DECEASED = "deceased", _("Deceased")
    GUARDIAN = "guardian", _("Guardian")
    WARD = "ward", _("Ward")
    ADOPTIVE_FATHER = "adoptive_father", _("Adoptive father")
    ADOPTIVE_MOTHER = "adoptive_mother", _("Adoptive mother")
    ADOPTEE = "adoptee", _("Adopted child")
    PARENT = "parent", _("Recognizing parent")
    CHILD = "child", _("Recognized child")
    REQUESTER = "requester", _("Requester")
    DECLARANT = "declarant", _("Declarant")


SUBJECT_ROLES = {PartyRole.SUBJECT, PartyRole.DECEASED, PartyRole.WARD, PartyRole.ADOPTEE, PartyRole.CHILD}


class Sex(models.IntegerChoices):
    """`GioiTinh` codes of the Ministry template."""

    UNKNOWN = 0, _("No information")
    MALE = 1, _("Male")
    FEMALE = 2, _("Female")
    UNDETERMINED = 3, _("Undetermined")


class Party(models.Model):
    """A person named in a record, with what the book says about them."""

    record = models.ForeignKey(CivilRecord, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=32, choices=PartyRole.choices)
    full_name = models.CharField(_("full name"), max_length=120, blank=True)
    # Bytewise order ("C"): a name prefix (LIKE 'nguyen van%') and name order on one plain index.
    name_key = models.CharField(max_length=120, blank=True, editable=False, db_collation="C")
    name_exact_key = models.CharField(max_length=160, blank=True, editable=False)
    sex = models.PositiveSmallIntegerField(_("sex"), choices=Sex.choices, default=Sex.UNKNOWN)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_place = models.CharField(_("place of birth"), max_length=255, blank=True)
    hometown = models.CharField(_("home town"), max_length=255, blank=True)
    pin = models.CharField(_("personal identification number"), max_length=12, blank=True)
    id_document = models.CharField(_("identity document"), max_length=120, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=64, blank=True)
    nationality = models.CharField(_("nationality"), max_length=64, blank=True)
    residence = models.CharField(_("residence"), max_length=255, blank=True)
    # The record's `unit_path`, so that a name search starts from the user's units without reading
    # the records (`registry.search`). Kept by the database, whoever writes: a trigger sets it on
    # every insert (and on a move to another record) and copies a record's new path to its people
    # (migration `s7_party_unit_path`); what the ORM sends is overwritten.
    unit_path = models.CharField(max_length=255, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("person in a record")
        verbose_name_plural = _("people in records")
        constraints = [models.UniqueConstraint(fields=["record", "role"], name="party_one_per_role")]
        indexes = [
            # Name prefixes ("nguyen van%") in name order, with the unit path to filter by scope in
            # the index itself (an index-only scan: `registry.search.name_matches`); also serves
            # the parents' name criteria.
            models.Index(
                fields=["name_key", "record"],
                name="party_name_key",
                include=["unit_path"],
            ),
            # The same within one commune's (or district's) people: a clerk's "nguyen van" reads
            # the commune's ~800 matches, not the province's 80,000.
            models.Index(
                fields=["unit_path", "name_key", "record"],
                name="party_path_name",
                opclasses=["varchar_pattern_ops", "varchar_ops", "int8_ops"],
            ),
            models.Index(fields=["pin"], name="party_pin", condition=~Q(pin="")),
        ]

    def __str__(self) -> str:
        return self.full_name or "—"

    @property
    def birth_date(self) -> PartialDate:
        return PartialDate(self.birth_year, self.birth_month, self.birth_day)


# Who appears in a case of each type, in the order the paper book lists them.
EVENT_PARTY_ROLES: dict[str, tuple[str, ...]] = {
    EventType.BIRTH: (PartyRole.SUBJECT, PartyRole.MOTHER, PartyRole.FATHER),
    EventType.MARRIAGE: (PartyRole.HUSBAND, PartyRole.WIFE),
    EventType.DEATH: (PartyRole.DECEASED, PartyRole.DECLARANT),
    EventType.PARENTAGE: (PartyRole.PARENT, PartyRole.CHILD),
    EventType.GUARDIANSHIP: (PartyRole.GUARDIAN, PartyRole.WARD),
    EventType.GUARDIANSHIP_END: (PartyRole.GUARDIAN, PartyRole.WARD),
    EventType.AMENDMENT: (PartyRole.SUBJECT, PartyRole.REQUESTER),
    EventType.DIVORCE_NOTE: (PartyRole.HUSBAND, PartyRole.WIFE),
    EventType.MARITAL_STATUS: (PartyRole.SUBJECT,),
    EventType.ADOPTION: (PartyRole.ADOPTEE, PartyRole.ADOPTIVE_FATHER, PartyRole.ADOPTIVE_MOTHER),
}


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("Not decided")
    NOT_DUPLICATE = "not_duplicate", _("Not a duplicate")
    DUPLICATE = "duplicate", _("Duplicate")


class DuplicatePair(models.Model):
    """Two records the likely-duplicate check matched, and what a supervisor decided about them.

    One row per unordered pair (`record_low` has the smaller id), so a decision is
    remembered and the same pair is not asked about again. Open rows are the
    supervisors' queue; decided rows are kept for good.
    """

    record_low = models.ForeignKey(CivilRecord, on_delete=models.CASCADE, related_name="+")
    record_high = models.ForeignKey(CivilRecord, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("decision"), max_length=16, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(auto_now_add=True)
    # The lowest unit whose subtree holds both records: the pair goes to supervisors there and
    # above, who may see both (`registry.matching.covering_path`).
    route_path = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("likely duplicate")
        verbose_name_plural = _("likely duplicates")
        constraints = [
            models.UniqueConstraint(fields=["record_low", "record_high"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(record_low__lt=models.F("record_high")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["record_high"], name="duplicate_pair_high"),
            models.Index(fields=["status", "found_at"], name="duplicate_pair_status"),
            models.Index(
                fields=["route_path"],
                name="duplicate_pair_route",
                condition=Q(status="open"),
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_low_id} ~ {self.record_high_id} ({self.score})"

    def other(self, record_id: int) -> int:
        return self.record_high_id if record_id == self.record_low_id else self.record_low_id
