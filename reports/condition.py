"""The condition of the books per unit: the figures of the written condition report (seed 001).

Reads the books and their current assessment (`registry.BookAssessment`) under a unit the caller
already scoped (`selectors.progress_unit_for`): one aggregate query per table, grouped by the
direct child unit the book's custodian falls under.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import CharField, Count, F, Func, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from registry.book_condition import DEFECT_KEYS, DEFECTS
from registry.models import AdministrativeUnit, BookCondition, RegisterBook
from reports.selectors import children_of

# Every figure of a row, in the order of the tables (books, then the assessed, the defects, the grades).
FIGURES = [
    "books",
    "assessed",
    "not_assessed",
    "any_defect",
    *DEFECT_KEYS,
    "missing_page_total",
    *BookCondition.values,
]

# (figure, heading) of the page's table.
COLUMNS = [
    ("books", _l("Books")),
    ("assessed", _l("Assessed")),
    ("not_assessed", _l("Not assessed")),
    ("any_defect", _l("With a defect")),
    *DEFECTS,
    ("missing_page_total", _l("Pages missing in all")),
    *BookCondition.choices,
]


@dataclass
class ConditionReport:
    unit: AdministrativeUnit
    phase: int | None
    rows: list[tuple[AdministrativeUnit, dict[str, int]]]
    total: dict[str, int]
    to_restore: list[RegisterBook]
    with_defects: list[RegisterBook] = field(default_factory=list)
    generated_at: object = None


def _books(unit: AdministrativeUnit, phase: int | None):
    books = RegisterBook.objects.filter(custodian__path__startswith=unit.path)
    return books.filter(phase=phase) if phase else books


def condition_by_child(
    unit: AdministrativeUnit, phase: int | None = None
) -> tuple[list[tuple[AdministrativeUnit, dict[str, int]]], dict[str, int]]:
    """Books per direct child unit (every child, with zeros; the unit itself first if it keeps books):
    how many, how many assessed, how many show each defect kind, missing pages, per overall grade."""
    child = Func(
        F("custodian__path"),
        Value("/"),
        Value(unit.depth + 2),
        function="split_part",
        output_field=CharField(),
    )
    counts = {
        "books": Count("id"),
        "assessed": Count("assessment"),
        "any_defect": Count("id", filter=_any_defect()),
        **{key: Count("id", filter=Q(**{f"assessment__{key}": True})) for key in DEFECT_KEYS},
        "missing_page_total": Sum("assessment__missing_page_count"),
        **{grade: Count("id", filter=Q(condition=grade)) for grade in BookCondition.values},
    }
    keyed = {
        row.pop("k"): row
        for row in _books(unit, phase).annotate(k=child).values("k").annotate(**counts).order_by()
    }
    units: list[AdministrativeUnit] = ([unit] if "" in keyed else []) + children_of(unit)
    rows = []
    for u in units:
        values = {
            key: int(keyed.get("" if u.pk == unit.pk else str(u.pk), {}).get(key) or 0) for key in counts
        }
        values["not_assessed"] = values["books"] - values["assessed"]
        rows.append((u, values))
    total = {key: sum(v[key] for _u, v in rows) for key in FIGURES}
    return rows, total


def _any_defect() -> Q:
    q = Q(pk__in=[])
    for key in DEFECT_KEYS:
        q |= Q(**{f"assessment__{key}": True})
    return q


def books_to_restore(unit: AdministrativeUnit, phase: int | None = None) -> list[RegisterBook]:
    """Books whose current assessment says they need restoration before scanning."""
    return list(
        _books(unit, phase)
        .filter(assessment__needs_restoration=True)
        .select_related("custodian", "assessment")
        .order_by("custodian__path", "event_type", "year", "book_no")
    )


def books_with_defects(unit: AdministrativeUnit, phase: int | None = None) -> list[RegisterBook]:
    """Books whose current assessment ticks at least one defect (the book list of the Excel file)."""
    return list(
        _books(unit, phase)
        .filter(_any_defect())
        .select_related("custodian", "assessment", "assessment__assessed_by")
        .order_by("custodian__path", "event_type", "year", "book_no")
    )


def condition_report(
    unit: AdministrativeUnit, phase: int | None = None, *, books: bool = False
) -> ConditionReport:
    """The figures, the books to restore (and with `books`, every book with a defect) under `unit`."""
    rows, total = condition_by_child(unit, phase)
    return ConditionReport(
        unit=unit,
        phase=phase,
        rows=rows,
        total=total,
        to_restore=books_to_restore(unit, phase),
        with_defects=books_with_defects(unit, phase) if books else [],
        generated_at=timezone.localtime(),
    )
