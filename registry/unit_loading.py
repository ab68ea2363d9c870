"""Loading the administrative-unit trees and linking the old tree to the new one.

Two trees live side by side in `AdministrativeUnit`, told apart by `era`:

- current: the two-level structure in force since 01/07/2025 (34 provinces, 3,321 communes), read from
  the installed `vietnam_provinces` package;
- legacy: the three-level structure that registered the historic books (63 provinces, 696 districts,
  10,051 communes as published on 2025-01-04), read from `registry/data/units_legacy.json.gz`.

`units_link_successors` then points each legacy province and commune at the current unit that took it
over, from `registry/data/units_successors.json.gz`. The data files are built by hand with
`registry/data/build_unit_fixtures.py` (see `registry/data/README.md`); nothing here downloads.

Every service is idempotent: a second run creates nothing, updates only what changed (names, parents,
validity dates, successors) and never deletes a unit, since books may already refer to it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from audit.actions import AuditAction
from audit.services import audit_change
from registry.models import AdministrativeUnit, UnitEra, UnitLevel
from registry.services import units_rebuild_paths

CURRENT_VALID_FROM = dt.date(2025, 7, 1)
LEGACY_VALID_TO = dt.date(2025, 6, 30)

DATA_DIR = Path(__file__).resolve().parent / "data"
LEGACY_UNITS_FILE = DATA_DIR / "units_legacy.json.gz"
SUCCESSORS_FILE = DATA_DIR / "units_successors.json.gz"

# Official (GSO) codes are zero-padded to a fixed width per level.
CODE_DIGITS = {UnitLevel.PROVINCE: 2, UnitLevel.DISTRICT: 3, UnitLevel.COMMUNE: 5}
BATCH_SIZE = 2000


@dataclass(frozen=True)
class UnitRow:
    """One unit as the source data gives it; `parent_code` is a code of the level above."""

    level: str
    code: str
    name: str
    parent_code: str | None = None


@dataclass
class UnitLoadCounts:
    """Per level: units in the source data, units created, units whose name/parent/dates were updated."""

    era: str
    total: Counter[str] = field(default_factory=Counter)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)


@dataclass
class SuccessorLinkCounts:
    """Legacy units with a successor after the run, and how many links the run changed.

    `communes_split` are legacy communes shared among several current communes, none of which kept
    the old name: the data does not say which one holds the books, so a person has to decide.
    `communes_unmapped` are legacy communes the official mapping does not mention at all, and
    `successor_not_loaded` legacy units whose successor is known but not in the database (the current
    tree is not loaded).
    """

    provinces_linked: int = 0
    communes_linked: int = 0
    communes_split: int = 0
    communes_unmapped: int = 0
    successor_not_loaded: int = 0
    changed: int = 0


def _code(value: int | str, level: str) -> str:
    return str(int(value)).zfill(CODE_DIGITS[UnitLevel(level)])


def _read_gz_json(path: Path) -> Any:
    return json.loads(gzip.decompress(path.read_bytes()))


def _current_rows() -> list[UnitRow]:
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    provinces = json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    rows: list[UnitRow] = []
    for province in provinces:
        code = _code(province["code"], UnitLevel.PROVINCE)
        name = province["name"]
        # The package names provinces bare ("Cao Bằng") but cities in full ("Thành phố Hà Nội").
        if province["division_type"] == "tỉnh" and not name.startswith("Tỉnh "):
            name = f"Tỉnh {name}"
        rows.append(UnitRow(level=UnitLevel.PROVINCE, code=code, name=name))
        rows.extend(
            UnitRow(
                level=UnitLevel.COMMUNE,
                code=_code(ward["code"], UnitLevel.COMMUNE),
                name=ward["name"],
                parent_code=code,
            )
            for ward in province["wards"]
        )
    return rows


def _legacy_rows() -> list[UnitRow]:
    data = _read_gz_json(LEGACY_UNITS_FILE)
    return [
        *(UnitRow(level=UnitLevel.PROVINCE, code=code, name=name) for code, name in data["provinces"]),
        *(UnitRow(level=UnitLevel.DISTRICT, code=c, name=n, parent_code=p) for c, n, p in data["districts"]),
        *(UnitRow(level=UnitLevel.COMMUNE, code=c, name=n, parent_code=p) for c, n, p in data["communes"]),
    ]


def _units_upsert(
    *,
    era: str,
    rows: Iterable[UnitRow],
    levels: tuple[str, ...],
    valid_from: dt.date | None,
    valid_to: dt.date | None,
) -> UnitLoadCounts:
    """Create or update the units of one era, level by level from the top, in a few bulk statements."""
    counts = UnitLoadCounts(era=era)
    by_level: dict[str, list[UnitRow]] = {level: [] for level in levels}
    for row in rows:
        by_level[row.level].append(row)
    existing = {
        (unit.level, unit.code): unit
        for unit in AdministrativeUnit.objects.select_for_update()
        .filter(era=era)
        .only("id", "code", "level", "name", "parent_id", "valid_from", "valid_to")
    }
    ids: dict[tuple[str, str], int] = {key: unit.pk for key, unit in existing.items()}
    to_update: list[AdministrativeUnit] = []
    reparented = False
    for depth, level in enumerate(levels):
        parent_level = levels[depth - 1] if depth else None
        to_create: list[AdministrativeUnit] = []
        for row in by_level[level]:
            parent_id = ids[(parent_level, row.parent_code)] if parent_level and row.parent_code else None
            unit = existing.get((level, row.code))
            if unit is None:
                to_create.append(
                    AdministrativeUnit(
                        code=row.code,
                        name=row.name,
                        level=level,
                        era=era,
                        parent_id=parent_id,
                        path="",
                        depth=depth,
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
                continue
            wanted = {
                "name": row.name,
                "parent_id": parent_id,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
            if any(getattr(unit, name) != value for name, value in wanted.items()):
                reparented = reparented or unit.parent_id != parent_id
                for name, value in wanted.items():
                    setattr(unit, name, value)
                to_update.append(unit)
                counts.updated[level] += 1
        for unit in AdministrativeUnit.objects.bulk_create(to_create, batch_size=BATCH_SIZE):
            ids[(level, unit.code)] = unit.pk
        counts.created[level] = len(to_create)
        counts.total[level] = len(by_level[level])
    if to_update:
        AdministrativeUnit.objects.bulk_update(
            to_update, ["name", "parent", "valid_from", "valid_to"], batch_size=BATCH_SIZE
        )
    if counts.created.total() or reparented:
        units_rebuild_paths()
    if counts.created.total() or counts.updated.total():
        audit_change(
            action=AuditAction.UNITS_LOAD,
            changes={"era": era, "created": dict(counts.created), "updated": dict(counts.updated)},
        )
    return counts


@transaction.atomic
def units_load_current() -> UnitLoadCounts:
    """Load today's provinces and communes (valid from 01/07/2025) from the installed package."""
    return _units_upsert(
        era=UnitEra.CURRENT,
        rows=_current_rows(),
        levels=(UnitLevel.PROVINCE, UnitLevel.COMMUNE),
        valid_from=CURRENT_VALID_FROM,
        valid_to=None,
    )


@transaction.atomic
def units_load_legacy() -> UnitLoadCounts:
    """Load the pre-July-2025 provinces, districts and communes (valid to 30/06/2025) from the fixture."""
    return _units_upsert(
        era=UnitEra.LEGACY,
        rows=_legacy_rows(),
        levels=(UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE),
        valid_from=None,
        valid_to=LEGACY_VALID_TO,
    )


@transaction.atomic
def units_link_successors() -> SuccessorLinkCounts:
    """Point legacy provinces and communes at the current unit that took them over.

    Only links the data gives are written: a successor set by hand on a split or unmapped commune is
    kept. Legacy districts get none (the district level was abolished, its communes are linked one by
    one). Links to current units that are not loaded are skipped, so this is safe to run at any time.
    """
    data = _read_gz_json(SUCCESSORS_FILE)
    current_ids = {
        (level, code): pk
        for level, code, pk in AdministrativeUnit.objects.filter(era=UnitEra.CURRENT).values_list(
            "level", "code", "pk"
        )
    }
    wanted: dict[tuple[str, str], tuple[str, str]] = {
        (UnitLevel.PROVINCE, old): (UnitLevel.PROVINCE, new) for old, new in data["provinces"].items()
    } | {(UnitLevel.COMMUNE, old): (UnitLevel.COMMUNE, new) for old, new in data["communes"].items()}
    counts = SuccessorLinkCounts()
    to_update: list[AdministrativeUnit] = []
    legacy_units = (
        AdministrativeUnit.objects.select_for_update()
        .filter(era=UnitEra.LEGACY, level__in=[UnitLevel.PROVINCE, UnitLevel.COMMUNE])
        .only("id", "level", "code", "successor_id")
    )
    for unit in legacy_units:
        successor_key = wanted.get((unit.level, unit.code))
        successor_id = current_ids.get(successor_key) if successor_key else None
        if successor_key and successor_id is None:
            counts.successor_not_loaded += 1
        if successor_id is not None and unit.successor_id != successor_id:
            unit.successor_id = successor_id
            to_update.append(unit)
        if unit.successor_id is not None:
            if unit.level == UnitLevel.PROVINCE:
                counts.provinces_linked += 1
            else:
                counts.communes_linked += 1
        elif unit.level == UnitLevel.COMMUNE and not successor_key:
            if unit.code in data["splits"]:
                counts.communes_split += 1
            else:
                counts.communes_unmapped += 1
    AdministrativeUnit.objects.bulk_update(to_update, ["successor"], batch_size=BATCH_SIZE)
    counts.changed = len(to_update)
    if to_update:
        audit_change(action=AuditAction.UNITS_LINK_SUCCESSORS, changes={"changed": counts.changed})
    return counts
