"""The condition checklist of a register book: defect kinds, checking what was ticked, saving it.

A book is assessed when it is collected (the registration form) and may be re-assessed on its
correction page; the API takes the same checklist. The current assessment is one row per book
(`BookAssessment`); every save writes a `book_assess` audit row (old → new), which is the history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from audit.actions import AuditAction
from audit.services import audit_change
from registry.models import BookAssessment, BookCondition, RegisterBook
from vietnamese.input_values import ascii_digits, unsafe_message, whole_number

# The defect kinds a condition report counts, in the order the checklist and the report show them.
DEFECTS: list[tuple[str, Any]] = [
    ("torn", _l("Torn")),
    ("faded", _l("Faded")),
    ("water_damaged", _l("Water-damaged")),
    ("missing_pages", _l("Missing pages")),
    ("needs_restoration", _l("Needs restoration before scanning")),
]
DEFECT_KEYS = [key for key, _label in DEFECTS]
MAX_PAGES = 100_000
NOTE_MAX = 2_000
# "12, 15-18, 20–22": page numbers and ranges, separated by commas or semicolons.
_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–—]\s*(\d+)\s*)?$")


@dataclass(frozen=True)
class ConditionChecklist:
    """What the assessor ticked and wrote, as sent (the count may still be text: it is checked)."""

    torn: bool = False
    faded: bool = False
    water_damaged: bool = False
    missing_pages: bool = False
    missing_page_count: Any = None
    missing_page_numbers: str = ""
    needs_restoration: bool = False
    note: str = ""

    @property
    def has_defect(self) -> bool:
        return any(
            (self.torn, self.faded, self.water_damaged, self.missing_pages, self.needs_restoration)
        ) or bool(self.missing_page_count or str(self.missing_page_numbers or "").strip())


# The names the forms and the API give the checklist's fields (the book has its own `note`).
FIELD_NAMES = {
    "torn": "torn",
    "faded": "faded",
    "water_damaged": "water_damaged",
    "missing_pages": "missing_pages",
    "missing_page_count": "missing_page_count",
    "missing_page_numbers": "missing_page_numbers",
    "needs_restoration": "needs_restoration",
    "note": "condition_note",
}


def parse_pages(text: str) -> list[int] | None:
    """ "12, 15-18" → [12, 15, 16, 17, 18]; None when the text is not page numbers and ranges."""
    pages: set[int] = set()
    for part in re.split(r"[,;]", ascii_digits(text)):
        if not part.strip():
            continue
        match = _RANGE.match(part)
        if match is None:
            return None
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 1 <= first <= last <= MAX_PAGES or last - first > MAX_PAGES:
            return None
        pages.update(range(first, last + 1))
    return sorted(pages)


def checklist_values(
    checklist: ConditionChecklist, *, declared_pages: int | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The checklist as the columns of `BookAssessment`, and every problem by field name (forms/API).

    A count or a list of missing pages ticks "missing pages"; a list alone gives the count. Refused:
    a count that is not a whole number from 1 (to the book's declared pages, when known), a list that
    is not page numbers and ranges or names a page beyond the book, a count that differs from the
    list, and texts that are too long or hold characters that are not text.
    """
    errors: dict[str, str] = {}
    numbers_text = str(checklist.missing_page_numbers or "").strip()
    note = str(checklist.note or "").strip()
    for name, text, limit in (("missing_page_numbers", numbers_text, 255), ("note", note, NOTE_MAX)):
        problem = unsafe_message(text)
        if problem:
            errors[FIELD_NAMES[name]] = problem
        elif len(text) > limit:
            errors[FIELD_NAMES[name]] = _("Too long: %(length)d characters, at most %(max)d.") % {
                "length": len(text),
                "max": limit,
            }
    limit = declared_pages or MAX_PAGES
    count: int | None = None
    raw_count = checklist.missing_page_count
    if raw_count not in (None, ""):
        count = whole_number(raw_count, minimum=1, maximum=limit)
        if count is None:
            errors["missing_page_count"] = _(
                "The number of missing pages is a whole number from 1 to %(max)s (the book's pages); "
                "leave it empty if it is not known."
            ) % {"max": f"{limit:,}"}
    pages: list[int] | None = []
    if numbers_text and "missing_page_numbers" not in errors:
        pages = parse_pages(numbers_text)
        if pages is None:
            errors["missing_page_numbers"] = _(
                "Write the missing pages as numbers and ranges separated by commas, e.g. 12, 15-18."
            )
        elif pages and pages[-1] > limit:
            errors["missing_page_numbers"] = _(
                "Page %(page)d is beyond the book's %(max)s pages: check the page numbers."
            ) % {"page": pages[-1], "max": f"{limit:,}"}
        elif count is not None and len(pages) != count:
            errors["missing_page_count"] = _(
                "%(listed)d pages are listed as missing but the number given is %(count)d: "
                "correct one of them."
            ) % {"listed": len(pages), "count": count}
    if count is None and pages and "missing_page_count" not in errors:
        count = len(pages)
    values = {
        "torn": bool(checklist.torn),
        "faded": bool(checklist.faded),
        "water_damaged": bool(checklist.water_damaged),
        "missing_pages": bool(checklist.missing_pages or count or numbers_text),
        "missing_page_count": count,
        "missing_page_numbers": numbers_text,
        "needs_restoration": bool(checklist.needs_restoration),
        "note": note,
    }
    return values, errors


def condition_errors(condition: str, checklist: ConditionChecklist | None) -> dict[str, str]:
    """The overall grade must agree with the checklist: a book with a defect ticked is not "good"."""
    if checklist is not None and checklist.has_defect and condition == BookCondition.GOOD:
        return {
            "condition": _(
                "A book with a defect ticked is not in good condition: choose worn or damaged, "
                "or untick the defects."
            )
        }
    return {}


def assessment_of(book: RegisterBook) -> BookAssessment | None:
    """The book's current assessment, or None if it was never assessed."""
    return BookAssessment.objects.filter(book=book).first()


def book_assess(
    *, book: RegisterBook, actor, checklist: ConditionChecklist, values: dict[str, Any] | None = None
) -> BookAssessment | None:
    """Record the book's condition checklist as assessed now by `actor`; audited old → new.

    Call inside the transaction that locked the book (registering or correcting it). `values` are
    the checked columns (`checklist_values`) when the caller already checked them. Refuses what
    `checklist_values` refuses. Returns None when the checklist says what the current assessment
    already says (nothing is written).
    """
    if values is None:
        values, errors = checklist_values(checklist, declared_pages=book.declared_pages)
        if errors:
            raise ValidationError(errors)
    current = assessment_of(book)
    before = {key: getattr(current, key) for key in values} if current is not None else dict.fromkeys(values)
    changes = {key: [before[key], value] for key, value in values.items() if before[key] != value}
    if current is not None and not changes:
        return None
    assessment = current or BookAssessment(book=book)
    for key, value in values.items():
        setattr(assessment, key, value)
    assessment.assessed_by = actor
    assessment.assessed_at = timezone.now()
    assessment.save()
    audit_change(
        action=AuditAction.BOOK_ASSESS,
        actor=actor,
        unit_id=book.custodian_id,
        obj=book,
        changes=changes if current is not None else values,
    )
    return assessment


def checklist_from(data: dict[str, Any]) -> ConditionChecklist:
    """The checklist out of form data or an API payload, by the field names of `FIELD_NAMES`."""
    given: dict[str, Any] = {
        attr: data[name] for attr, name in FIELD_NAMES.items() if data.get(name) is not None
    }
    return ConditionChecklist(**given)
