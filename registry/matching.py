"""Likely duplicates: the soft check shown while typing, and the supervisor's decision.

The hard rule (one birth and one death per person) is a database constraint on
`CivilRecord.identity_key`. This module finds the cases a constraint cannot: the same
person written differently (no diacritics, old tone placement, a typo, a birth year one
off).

Blocking. pgserver has no pg_trgm, so candidates are found through the record's own
`dedup_keys` (GIN index, built-in array ops): for the main person of the case,
"<event>|<family>|<given>|<birth tag>" plus the same with one letter deleted from the
family name or from the given name (diacritic-free keys). Any single-letter edit of
either name leaves the two spellings with a key in common; middle names may differ
freely. The birth tag is the year, and for a full date also year + day (day and month
in either order), see `dedup_keys`. A probe with a full date asks for the same day in
years y-1..y+1 (and records whose date is partial or unknown), so even "Nguyễn ... Anh"
touches a handful of rows; the column's statistics target (migration 0003) keeps the
planner on the GIN index.

Scoring (rapidfuzz, in the app): name similarity, birth-date agreement, the other people
of the case (parents, spouse, guardian...), sex and PIN. `THRESHOLD` is where a
candidate blocks approval; `registry.dedup_eval` measures recall and precision.

All functions are plain: forms, the API and importers call the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from registry.models import (
    ACTIVE_Q,
    CivilRecord,
    DuplicatePair,
    DuplicateStatus,
    EventType,
    Party,
    PartyRole,
    Sex,
)
from registry.partial_dates import PartialDate, parse_partial_date
from vietnamese.input_values import ascii_digits
from vietnamese.names import name_exact_key, name_key

# Score (0–100) from which a candidate is shown as a likely duplicate and blocks approval.
THRESHOLD = 80
# Given names more than one slip apart are different people: the score stays below the threshold.
GIVEN_NAME_CAP = 60
# Most candidates a probe scores; a block larger than this means a very common name with no year.
MAX_BLOCK = 400

PRIMARY_ROLE: dict[str, str] = {
    EventType.BIRTH: PartyRole.SUBJECT,
    EventType.DEATH: PartyRole.DECEASED,
    EventType.MARRIAGE: PartyRole.HUSBAND,
    EventType.DIVORCE_NOTE: PartyRole.HUSBAND,
    EventType.PARENTAGE: PartyRole.CHILD,
    EventType.GUARDIANSHIP: PartyRole.WARD,
    EventType.GUARDIANSHIP_END: PartyRole.WARD,
    EventType.AMENDMENT: PartyRole.SUBJECT,
    EventType.MARITAL_STATUS: PartyRole.SUBJECT,
    EventType.ADOPTION: PartyRole.ADOPTEE,
}
OTHER_ROLES: dict[str, tuple[str, ...]] = {
    EventType.BIRTH: (PartyRole.MOTHER, PartyRole.FATHER),
    EventType.MARRIAGE: (PartyRole.WIFE,),
    EventType.DIVORCE_NOTE: (PartyRole.WIFE,),
    EventType.PARENTAGE: (PartyRole.PARENT,),
    EventType.GUARDIANSHIP: (PartyRole.GUARDIAN,),
    EventType.GUARDIANSHIP_END: (PartyRole.GUARDIAN,),
    EventType.ADOPTION: (PartyRole.ADOPTIVE_FATHER, PartyRole.ADOPTIVE_MOTHER),
}
# A person may legitimately have many of these: only the same registration day is suspicious.
SAME_DAY_TYPES = {EventType.AMENDMENT, EventType.MARITAL_STATUS}


@dataclass
class DedupPerson:
    """The main person of a case, as the duplicate check sees it."""

    event_type: str
    name_key: str
    exact_key: str = ""
    sex: int = Sex.UNKNOWN
    birth: PartialDate = field(default_factory=PartialDate)
    pin: str = ""
    others: dict[str, str] = field(default_factory=dict)  # role -> name_key
    registration: PartialDate = field(default_factory=PartialDate)
    record_id: int | None = None


@dataclass
class Candidate:
    record_id: int
    score: int
    reasons: list[str]


# --- keys -------------------------------------------------------------------------------


def _deletions(token: str) -> set[str]:
    return {token} | {token[:i] + token[i + 1 :] for i in range(len(token))}


def name_blocks(key: str) -> set[tuple[str, str]]:
    """(family, given) pairs of a diacritic-free name, with one letter deleted from either."""
    tokens = key.split()
    if not tokens:
        return set()
    family, given = (tokens[0], tokens[-1]) if len(tokens) > 1 else ("", tokens[0])
    return {(f, given) for f in _deletions(family)} | {(family, g) for g in _deletions(given)}


def _keys(event_type: str, key: str, years: Iterable[str]) -> list[str]:
    return sorted(f"{event_type}|{f}|{g}|{y}"[:200] for f, g in name_blocks(key) for y in years)


def _day_tag(birth: PartialDate) -> str:
    # Day and month in either order: "03/02" typed for "02/03" lands in the same block.
    low, high = sorted((birth.month or 0, birth.day or 0))
    return f"{low:02d}{high:02d}"


def dedup_keys(person: DedupPerson | None) -> list[str]:
    """The keys stored on a record.

    Every record has "<year>" keys; one with a full birth date also has "<year>-<day>"
    keys, one with a partial date "<year>p" keys, one with no date "x" keys. A probe
    with a full date then only meets records born on the same day (year ± 1) or whose
    date is partial, which keeps blocks to a handful of rows even for "Nguyễn ... Anh".
    """
    if person is None or not person.name_key:
        return []
    birth = person.birth
    if birth.year is None:
        tags = ["x"]
    elif birth.is_complete:
        tags = [str(birth.year), f"{birth.year}-{_day_tag(birth)}"]
    else:
        tags = [str(birth.year), f"{birth.year}p"]
    return _keys(person.event_type, person.name_key, tags)


def probe_keys(person: DedupPerson) -> list[str]:
    """The keys a probe looks up (birth year ± 1).

    Full date: records born the same day, or with a partial date or none. Partial date:
    every record of those years. No date: records without one (plus exact namesakes, in
    `find_likely_duplicates`).
    """
    birth = person.birth
    if birth.year is None:
        tags = ["x"]
    else:
        years = (birth.year - 1, birth.year, birth.year + 1)
        if birth.is_complete:
            tags = [f"{y}-{_day_tag(birth)}" for y in years] + [f"{y}p" for y in years] + ["x"]
        else:
            tags = [str(y) for y in years] + ["x"]
    return _keys(person.event_type, person.name_key, tags)


# --- people -----------------------------------------------------------------------------


def person_from_rows(
    event_type: str, rows: Iterable[dict[str, Any]], registration: PartialDate
) -> DedupPerson | None:
    """Build the check's view of a case from party rows (dicts with role, full_name or name_key, ...)."""
    primary = PRIMARY_ROLE.get(event_type)
    others: dict[str, str] = {}
    person = None
    for row in rows:
        role = row["role"]
        key = row.get("name_key") or name_key(row.get("full_name") or "")
        if role == primary and key:
            person = DedupPerson(
                event_type=event_type,
                name_key=key,
                exact_key=row.get("name_exact_key") or name_exact_key(row.get("full_name") or ""),
                sex=int(row.get("sex") or 0),
                birth=row["birth"],
                pin=row.get("pin") or "",
                registration=registration,
                record_id=row.get("record_id"),
            )
        elif role in OTHER_ROLES.get(event_type, ()) and key:
            others[role] = key
    if person is not None:
        person.others = others
    return person


def person_from_clean(event_type: str, clean: Any) -> DedupPerson | None:
    """From `registry.record_data.CleanRecord` (validated data about to be saved)."""
    rows = [
        {"role": p.role, "full_name": p.full_name, "sex": p.sex, "birth": p.birth_date, "pin": p.pin}
        for p in clean.parties
    ]
    return person_from_rows(event_type, rows, clean.registration_date)


def person_from_input(event_type: str, data: Any) -> DedupPerson | None:
    """From raw `RecordInput` as typed (leniently: a half-typed date is ignored), for the live check."""

    def date(text: Any) -> PartialDate:
        try:
            return parse_partial_date(str(text or ""))
        except ValidationError:
            return PartialDate()

    rows = [
        {
            "role": role,
            "full_name": str(values.get("full_name") or "")[:200],
            "sex": values.get("sex") if str(values.get("sex") or "0").isdigit() else 0,
            "birth": date(values.get("birth_date")),
            "pin": ascii_digits("".join(str(values.get("pin") or "").split()))[:12],
        }
        for role, values in data.parties.items()
    ]
    return person_from_rows(event_type, rows, date(data.registration_date))


def person_for_record(record: CivilRecord) -> DedupPerson | None:
    """From a saved record (one query)."""
    return person_from_rows(
        record.event_type,
        [
            {**row, "birth": PartialDate(row["birth_year"], row["birth_month"], row["birth_day"])}
            for row in Party.objects.filter(record=record).values(
                "role", "name_key", "name_exact_key", "sex", "birth_year", "birth_month", "birth_day", "pin"
            )
        ],
        record.registration_date,
    )


# --- scoring ----------------------------------------------------------------------------


def _birth_similarity(a: PartialDate, b: PartialDate) -> tuple[int, str]:
    if a.year is None or b.year is None:  # either date is empty
        return 50, _("birth date missing on one side")
    gap = abs(a.year - b.year)
    same_day = a.month and b.month and a.month == b.month and (a.day == b.day or not (a.day and b.day))
    if gap == 0 and a.is_complete and b.is_complete and (a.month, a.day) == (b.day, b.month):
        return 85, _("same birth year, day and month swapped")
    if gap == 0:
        if a.month is None or b.month is None:
            return 85, _("same birth year")
        if same_day:
            return 100, _("same date of birth")
        return 55, _("same birth year, other day")
    if gap == 1:
        if same_day:
            return 80, _("same birth day, year one apart")
        if a.month is None or b.month is None:
            return 65, _("birth year one apart")
        return 45, _("birth year one apart, other day")
    return 0, _("birth years %(a)d and %(b)d") % {"a": a.year, "b": b.year}


def score(probe: DedupPerson, other: DedupPerson) -> tuple[int, list[str]]:
    """How likely `other` is the same case as `probe`, 0–100, with the reasons in words."""
    if probe.pin and other.pin and len(probe.pin) == 12 == len(other.pin):
        if probe.pin == other.pin:
            return 100, [_("same identification number")]
        return 0, [_("different identification numbers")]
    if probe.event_type in SAME_DAY_TYPES and probe.registration != other.registration:
        return 0, [_("registered on another day")]
    name = (
        100.0
        if probe.exact_key and probe.exact_key == other.exact_key
        else fuzz.ratio(probe.name_key, other.name_key)
    )
    reasons = [_("name %(n)d%% alike") % {"n": round(name)}]
    if OSA.distance(probe.name_key.rsplit(" ", 1)[-1], other.name_key.rsplit(" ", 1)[-1]) > 1:
        # One slip changes a given name by one letter at most: "Lan" and "Anh" are two people (siblings).
        return min(GIVEN_NAME_CAP, round(name)), [*reasons, _("other given name")]
    birth, birth_reason = _birth_similarity(probe.birth, other.birth)
    reasons.append(birth_reason)
    pairs = [(probe.others[r], other.others[r]) for r in probe.others if r in other.others]
    if pairs:
        kin = sum(fuzz.ratio(a, b) for a, b in pairs) / len(pairs)
        total = 0.45 * name + 0.25 * birth + 0.30 * kin
        reasons.append(_("other people %(n)d%% alike") % {"n": round(kin)})
    else:
        total = 0.5 * name + 0.5 * birth
    if probe.sex in (Sex.MALE, Sex.FEMALE) and other.sex in (Sex.MALE, Sex.FEMALE) and probe.sex != other.sex:
        total -= 25
        reasons.append(_("different sex"))
    return max(0, min(100, round(total))), reasons


def rank(probe: DedupPerson, others: Iterable[DedupPerson], *, threshold: int = THRESHOLD) -> list[Candidate]:
    found = []
    for other in others:
        value, reasons = score(probe, other)
        if value >= threshold and other.record_id is not None:
            found.append(Candidate(other.record_id, value, reasons))
    found.sort(key=lambda c: (-c.score, c.record_id))
    return found


# --- finding them in the database ----------------------------------------------------------


def find_likely_duplicates(
    probe: DedupPerson | None,
    *,
    exclude_record_id: int | None = None,
    threshold: int = THRESHOLD,
    limit: int = 10,
) -> list[Candidate]:
    """Active records that are likely the same case as `probe`, best first (one query).

    Looks across all units: a person registered in two communes is the case that matters
    most. Callers showing the result to a user must scope what they display.
    """
    if probe is None or not probe.name_key:
        return []
    records = CivilRecord.objects.filter(ACTIVE_Q, dedup_keys__overlap=probe_keys(probe))
    if not probe.birth.year:
        # With no year the keys only reach records without one; also take exact namesakes.
        records = CivilRecord.objects.filter(ACTIVE_Q).filter(
            Q(dedup_keys__overlap=probe_keys(probe))
            | Q(
                event_type=probe.event_type,
                parties__role=PRIMARY_ROLE[probe.event_type],
                parties__name_key=probe.name_key,
            )
        )
    if exclude_record_id:
        records = records.exclude(pk=exclude_record_id)
    # One round trip: the block (GIN index, at most MAX_BLOCK records) as a subquery, with its people.
    people = people_of_records(probe.event_type, records.values("pk")[:MAX_BLOCK])
    return rank(probe, list(people.values()), threshold=threshold)[:limit]


def people_of_records(event_type: str, record_ids: Any) -> dict[int, DedupPerson]:
    """Record id -> the person the duplicate check compares, for records of `event_type` (ids as a
    list or a subquery; one query). Records without such a person are left out."""
    roles = [PRIMARY_ROLE[event_type], *OTHER_ROLES.get(event_type, ())]
    rows: dict[int, list[dict[str, Any]]] = {}
    heads: dict[int, PartialDate] = {}
    for row in Party.objects.filter(record_id__in=record_ids, role__in=roles).values(
        "record_id",
        "record__reg_year",
        "record__reg_month",
        "record__reg_day",
        "role",
        "name_key",
        "name_exact_key",
        "sex",
        "birth_year",
        "birth_month",
        "birth_day",
        "pin",
    ):
        party_row: dict[str, Any] = {
            **row,
            "birth": PartialDate(row["birth_year"], row["birth_month"], row["birth_day"]),
        }
        rows.setdefault(row["record_id"], []).append(party_row)
        heads[row["record_id"]] = PartialDate(
            row["record__reg_year"], row["record__reg_month"], row["record__reg_day"]
        )
    return {
        pk: person
        for pk, party_rows in rows.items()
        if (person := person_from_rows(event_type, party_rows, heads[pk])) is not None
    }


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def decided_with(record_id: int, others: Iterable[int]) -> dict[int, str]:
    """Decisions already taken between `record_id` and each of `others`: {other id: status}."""
    others = list(others)
    if not others:
        return {}
    pairs = DuplicatePair.objects.filter(
        Q(record_low_id=record_id, record_high_id__in=others)
        | Q(record_high_id=record_id, record_low_id__in=others)
    ).exclude(status=DuplicateStatus.OPEN)
    return {p.other(record_id): p.status for p in pairs}


def open_candidates(record: CivilRecord, *, threshold: int = THRESHOLD) -> list[Candidate]:
    """Likely duplicates of a saved record that no supervisor has decided about yet."""
    found = find_likely_duplicates(
        person_for_record(record), exclude_record_id=record.pk, threshold=threshold
    )
    decided = decided_with(record.pk, [c.record_id for c in found])
    return [c for c in found if c.record_id not in decided]


def duplicate_pairs_refresh(*, record: CivilRecord) -> list[DuplicatePair]:
    """Bring the open pairs of `record` in line with its current candidates (the supervisors' queue).

    Decided pairs are never touched. A closed record keeps no open pairs.
    """
    DuplicatePair.objects.filter(
        Q(record_low=record) | Q(record_high=record), status=DuplicateStatus.OPEN
    ).delete()
    if record.is_closed:
        return []
    pairs = []
    for candidate in open_candidates(record):
        low, high = _pair_key(record.pk, candidate.record_id)
        pairs.append(
            DuplicatePair(
                record_low_id=low, record_high_id=high, score=candidate.score, reasons=candidate.reasons
            )
        )
    return DuplicatePair.objects.bulk_create(pairs, ignore_conflicts=True)


def dedup_keys_rebuild(*, batch: int = 5000, progress: Any = None) -> int:
    """Recompute every record's blocking keys from its people (after the key scheme changes).

    Runs in batches by id, one transaction per batch; returns the number of records whose
    keys changed. The check stays usable meanwhile (a record is at worst briefly unmatched).
    """
    changed = 0
    last = 0
    fields = (
        "record_id",
        "role",
        "name_key",
        "name_exact_key",
        "sex",
        "birth_year",
        "birth_month",
        "birth_day",
        "pin",
    )
    while True:
        records = list(
            CivilRecord.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "event_type", "dedup_keys")[:batch]
        )
        if not records:
            return changed
        last = records[-1].pk
        rows: dict[int, list[dict[str, Any]]] = {}
        for row in Party.objects.filter(record_id__in=[r.pk for r in records]).values(*fields):
            row["birth"] = PartialDate(row["birth_year"], row["birth_month"], row["birth_day"])
            rows.setdefault(row["record_id"], []).append(row)
        dirty = []
        for record in records:
            keys = dedup_keys(person_from_rows(record.event_type, rows.get(record.pk, []), PartialDate()))
            if keys != record.dedup_keys:
                record.dedup_keys = keys
                dirty.append(record)
        with transaction.atomic():
            CivilRecord.objects.bulk_update(dirty, ["dedup_keys"], batch_size=1000)
        changed += len(dirty)
        if progress:
            progress(last, changed)
