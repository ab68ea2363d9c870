"""Statistics on the civil data itself: counts by any two criteria, from a materialized summary.

`civil_stats_rebuild` recomputes `CivilDataCount` from the records in one statement (a few
seconds at a million records); `civil_stats_table` answers a page view from the summary only,
so the page costs the same at any number of records. Only records whose data has been keyed
count (entered and later states): a collected or scanned slot has no data yet, and rejected
or duplicate records are not civil data.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from registry.models import (
    SUBJECT_ROLES,
    AdministrativeUnit,
    EventType,
    RecordState,
    RegistrationType,
    Sex,
)
from reports.models import CivilDataCount, CivilDataSnapshot

DATA_STATES = [
    RecordState.ENTERED,
    RecordState.ATTACHED,
    RecordState.REVIEWED,
    RecordState.APPROVED,
    RecordState.TRANSFERRED,
]

DIMENSIONS = [
    ("event_type", _l("Event type")),
    ("year", _l("Year of registration")),
    ("decade", _l("Decade of registration")),
    ("unit", _l("Unit")),
    ("sex", _l("Sex")),
    ("ethnicity", _l("Ethnicity")),
    ("registration_type", _l("Kind of registration")),
    ("state", _l("State")),
]
COLUMN_OF = {
    "event_type": "event_type",
    "year": "reg_year",
    "decade": "reg_year",
    "unit": "unit_path",
    "sex": "sex",
    "ethnicity": "ethnicity",
    "registration_type": "registration_type",
    "state": "state",
}

_REBUILD = """
INSERT INTO reports_civildatacount
    (unit_id, unit_path, event_type, reg_year, sex, ethnicity, registration_type, state, n)
SELECT r.unit_id, r.unit_path, r.event_type, r.reg_year, p.sex,
       coalesce(initcap(btrim(p.ethnicity)), ''), r.registration_type, r.state, count(*)
FROM registry_civilrecord r
LEFT JOIN LATERAL (
    SELECT sex, ethnicity FROM registry_party
    WHERE record_id = r.id AND role = ANY(%(roles)s)
    ORDER BY id LIMIT 1
) p ON true
WHERE r.state = ANY(%(states)s)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""


def civil_stats_rebuild() -> CivilDataSnapshot:
    """Recompute the summary from the records, in one transaction (readers see old or new, never half)."""
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE reports_civildatacount IN EXCLUSIVE MODE")
        cursor.execute("DELETE FROM reports_civildatacount")
        cursor.execute(
            _REBUILD, {"roles": [str(r) for r in SUBJECT_ROLES], "states": [str(s) for s in DATA_STATES]}
        )
        rows = cursor.rowcount
        records = CivilDataCount.objects.aggregate(n=Sum("n"))["n"] or 0
        snapshot = CivilDataSnapshot.objects.create(
            built_at=timezone.now(), records=records, rows=rows, seconds=time.monotonic() - started
        )
        CivilDataSnapshot.objects.exclude(pk=snapshot.pk).delete()
    return snapshot


def civil_stats_due(every_minutes: int) -> bool:
    """Is the summary older than `every_minutes` (or missing)?"""
    last = CivilDataSnapshot.objects.order_by("-built_at").first()
    return last is None or last.built_at < timezone.now() - dt.timedelta(minutes=every_minutes)


def last_snapshot() -> CivilDataSnapshot | None:
    return CivilDataSnapshot.objects.order_by("-built_at").first()


@dataclass
class CrossTable:
    """Counts of `rows` × `columns` (labels in order), with totals; `cells[(r, c)]`."""

    row_keys: list[tuple[object, str]]
    column_keys: list[tuple[object, str]]
    cells: dict[tuple[object, object], int]
    row_totals: dict[object, int]
    column_totals: dict[object, int]
    total: int


def _key(dimension: str, value, unit: AdministrativeUnit, depth: int):
    if dimension == "decade":
        return None if value is None else value // 10 * 10
    if dimension == "unit":
        parts = value.strip("/").split("/")
        return int(parts[depth]) if len(parts) > depth else unit.pk
    return value


def _labels(dimension: str, keys: set, unit: AdministrativeUnit) -> list[tuple[object, str]]:
    none = _("Not written")
    if dimension == "event_type":
        names: dict[Any, Any] = dict(EventType.choices)
        return [(k, str(names.get(k, k))) for k in sorted(keys, key=lambda k: list(names).index(k))]
    if dimension in ("year", "decade"):
        fmt = "{}" if dimension == "year" else "{}–{}"
        ordered = sorted((k for k in keys if k is not None), reverse=True)
        labels = [(k, fmt.format(k, k + 9)) for k in ordered]
        return labels + ([(None, none)] if None in keys else [])
    if dimension == "unit":
        units = {u.pk: u for u in AdministrativeUnit.objects.filter(pk__in=keys)}
        own = [(unit.pk, unit.name)] if unit.pk in keys else []
        rest = sorted(((k, units[k].name) for k in keys if k != unit.pk and k in units), key=lambda kv: kv[1])
        return own + rest
    if dimension == "sex":
        names = dict[Any, Any](Sex.choices)
        ordered = sorted(k for k in keys if k is not None)
        labels = [(k, str(names.get(k, k))) for k in ordered]
        return labels + ([(None, _("Not applicable (marriage)"))] if None in keys else [])
    if dimension == "ethnicity":
        ordered = sorted((k for k in keys if k), key=str.lower)
        return [(k, k) for k in ordered] + ([("", none)] if "" in keys else [])
    if dimension == "registration_type":
        names = dict[Any, Any](RegistrationType.choices)
        return [(k, str(names.get(k, k))) for k in sorted(keys)]
    if dimension == "state":
        names = dict[Any, Any](RecordState.choices)
        order = [str(s) for s in DATA_STATES]
        return [
            (k, str(names.get(k, k)))
            for k in sorted(keys, key=lambda k: order.index(k) if k in order else 99)
        ]
    raise ValueError(dimension)


def civil_stats_table(
    unit: AdministrativeUnit,
    rows: str,
    columns: str,
    *,
    event_type: str = "",
    year_from: int | None = None,
    year_to: int | None = None,
) -> CrossTable:
    """The unit's subtree counted by two criteria (the same one twice gives a single column)."""
    query = CivilDataCount.objects.filter(unit_path__startswith=unit.path)
    if event_type:
        query = query.filter(event_type=event_type)
    if year_from:
        query = query.filter(reg_year__gte=year_from)
    if year_to:
        query = query.filter(reg_year__lte=year_to)
    row_col, col_col = COLUMN_OF[rows], COLUMN_OF[columns]
    fields = sorted({row_col, col_col})
    depth = unit.depth + 1
    cells: dict[tuple, int] = defaultdict(int)
    for item in query.values(*fields).annotate(total=Sum("n")).order_by():
        r = _key(rows, item[row_col], unit, depth)
        c = _key(columns, item[col_col], unit, depth) if columns != rows else "all"
        cells[(r, c)] += item["total"]
    row_totals: dict = defaultdict(int)
    column_totals: dict = defaultdict(int)
    for (r, c), n in cells.items():
        row_totals[r] += n
        column_totals[c] += n
    row_keys = _labels(rows, set(row_totals), unit)
    column_keys: list[tuple[object, str]] = (
        [("all", _("Records"))] if columns == rows else _labels(columns, set(column_totals), unit)
    )
    return CrossTable(row_keys, column_keys, dict(cells), row_totals, column_totals, sum(row_totals.values()))
