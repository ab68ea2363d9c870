"""Likely duplicates: the soft check shown while typing, and the supervisor's decision.

The hard rule (one birth and one death per person) is a database constraint on
`CivilRecord.identity_key`. This module finds the cases a constraint cannot: the same
person written differently (no diacritics, old tone placement, a typo, a birth year one
off, one digit of the date of birth wrong).

Blocking. pgserver has no pg_trgm, so candidates are found through the record's own
`dedup_keys` (GIN index, built-in array ops): for the main person of the case,
"<event>|<family>|<given>|<birth tag>" plus the same with one letter deleted from the
family name or from the given name (diacritic-free keys). Any single-letter edit of
either name leaves the two spellings with a key in common; middle names may differ
freely. The birth tags of a full date are two of its three parts each (day + month in
either order of any year, year + month, year + day: `_full_date_tags`), so one slip in
any part, a year one off or day and month swapped still share a tag; a partial date has
"<year>p", no date "x", and every dated record "<year>" for probes with a partial date.
Blocks stay small even for "Nguyễn ... Anh" (the largest full-date block in the bench's
1,000,000 records is in `bench/README.md`); the column's statistics target (migration
0004) keeps the planner on the GIN index.

Scoring (rapidfuzz, in the app): name similarity, birth-date agreement (one digit apart
counts as nearly the same date), the other people of the case (parents, spouse,
guardian...; family and given name only, the least alike relative counts), sex and PIN.
A given name one letter apart costs `GIVEN_SLIP_PENALTY`; a possible twin or sibling
(same mother, two real close given names: `possible_twin`) stays below the threshold
with that reason. `THRESHOLD` is where a candidate blocks approval;
`duplicates.evaluation` (`manage.py dedup_eval`) measures recall and precision.

All functions are plain: forms, the API and importers call the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from registry.models import (
    ACTIVE_Q,
    CLOSED_STATES,
    CivilRecord,
    DuplicatePair,
    DuplicateStatus,
    EventType,
    Party,
    PartyRole,
    RecordState,
    Sex,
)
from registry.partial_dates import PartialDate, parse_partial_date
from vietnamese.common_names import is_known_given_name
from vietnamese.input_values import ascii_digits
from vietnamese.names import name_exact_key, name_key

# Score (0–100) from which a candidate is shown as a likely duplicate and blocks approval.
THRESHOLD = 80
# Given names more than one slip apart are different people: the score stays below the threshold.
GIVEN_NAME_CAP = 60
# Taken off when the given names differ by one letter (the rest of the name may still be alike).
GIVEN_SLIP_PENALTY = 8
# Twins (same mother, same day, two close given names) stay below the threshold: see `possible_twin`.
TWIN_CAP = 70
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


# A reason of a score before translation: its message and the message's parameters.
Reason = tuple[str, dict[str, Any] | None]


def _words(reasons: list[Reason]) -> list[str]:
    return [_(text) % params if params else _(text) for text, params in reasons]


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


def _full_date_tags(birth: PartialDate) -> list[str]:
    """The blocks of a full date: any one of its three parts may be the one written wrong.

    "d<day><month>" (either order, any year: a slip in the year, the year one off, day and
    month swapped), "<year>m<month>" (a slip in the day), "<year>d<day>" (a slip in the month).
    """
    return [f"d{_day_tag(birth)}", f"{birth.year}m{birth.month:02d}", f"{birth.year}d{birth.day:02d}"]


def dedup_keys(person: DedupPerson | None) -> list[str]:
    """The keys stored on a record.

    Every record has "<year>" keys; one with a full birth date also has the keys of
    `_full_date_tags`, one with a partial date "<year>p" keys, one with no date "x" keys.
    A probe with a full date then only meets records that share two of its three parts
    (or whose date is partial), which keeps blocks small even for "Nguyễn ... Anh".
    """
    if person is None or not person.name_key:
        return []
    birth = person.birth
    if birth.year is None:
        tags = ["x"]
    elif birth.is_complete:
        tags = [str(birth.year), *_full_date_tags(birth)]
    else:
        tags = [str(birth.year), f"{birth.year}p"]
    return _keys(person.event_type, person.name_key, tags)


def probe_keys(person: DedupPerson) -> list[str]:
    """The keys a probe looks up.

    Full date: records sharing two of its three parts (day and month in either order, any
    year; year and month; year and day), or with a partial date (year ± 1) or none. Partial
    date: every record of those years. No date: records without one (plus exact namesakes,
    in `find_likely_duplicates`).
    """
    birth = person.birth
    if birth.year is None:
        tags = ["x"]
    else:
        years = (birth.year - 1, birth.year, birth.year + 1)
        if birth.is_complete:
            tags = [*_full_date_tags(birth), *(f"{y}p" for y in years), "x"]
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


def person_from_parties(
    event_type: str, parties: Iterable[Party], registration: PartialDate
) -> DedupPerson | None:
    """From party rows already loaded (what `person_for_record` reads, without the query)."""
    return person_from_rows(
        event_type,
        [
            {
                "role": p.role,
                "name_key": p.name_key,
                "name_exact_key": p.name_exact_key,
                "full_name": p.full_name,
                "sex": p.sex,
                "birth": PartialDate(p.birth_year, p.birth_month, p.birth_day),
                "pin": p.pin,
            }
            for p in parties
        ],
        registration,
    )


def check_inputs_changed(record: CivilRecord) -> bool:
    """Did the last data save change what the duplicate check reads of this record (its person:
    names, birth, sex, PIN, relatives' names, registration date; its blocking keys follow from
    them)? Set by `workflows.services` when it saves data (`mark_check_inputs`); True when unknown."""
    return getattr(record, "_check_inputs_changed", True)


def mark_check_inputs(record: CivilRecord, *, changed: bool) -> None:
    setattr(record, "_check_inputs_changed", changed)  # noqa: B010


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


def _digit_slip(a: int, b: int, width: int) -> bool:
    """Whether two numbers written with `width` digits differ by one slip: one digit, or two
    neighbouring digits swapped (23 for 22, 03 for 13, 1945 for 1954)."""
    x, y = f"{a:0{width}d}", f"{b:0{width}d}"
    if len(x) != len(y) or x == y:
        return False
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    if len(diff) == 1:
        return True
    i = diff[0]
    return len(diff) == 2 and diff[1] == i + 1 and (x[i], x[i + 1]) == (y[i + 1], y[i])


def _birth_similarity(a: PartialDate, b: PartialDate) -> tuple[int, Reason]:
    if a.year is None or b.year is None:  # either date is empty
        return 50, (gettext_noop("birth date missing on one side"), None)
    gap = abs(a.year - b.year)
    same_day = a.month and b.month and a.month == b.month and (a.day == b.day or not (a.day and b.day))
    if a.is_complete and b.is_complete and not (gap == 0 and same_day):
        assert a.month and a.day and b.month and b.day  # complete dates
        if gap == 0 and (a.month, a.day) == (b.day, b.month):
            return 85, (gettext_noop("same birth year, day and month swapped"), None)
        if a.month == b.month and a.day == b.day and gap != 1 and _digit_slip(a.year, b.year, 4):
            return 80, (gettext_noop("same birth day, one digit of the year apart"), None)
        if gap == 0 and a.month == b.month and _digit_slip(a.day, b.day, 2):
            return 80, (gettext_noop("same birth year and month, one digit of the day apart"), None)
        if gap == 0 and a.day == b.day and _digit_slip(a.month, b.month, 2):
            return 80, (gettext_noop("same birth year and day, one digit of the month apart"), None)
    if gap == 0:
        if a.month is None or b.month is None:
            return 85, (gettext_noop("same birth year"), None)
        if same_day:
            return 100, (gettext_noop("same date of birth"), None)
        return 55, (gettext_noop("same birth year, other day"), None)
    if gap == 1:
        if same_day:
            return 80, (gettext_noop("same birth day, year one apart"), None)
        if a.month is None or b.month is None:
            return 65, (gettext_noop("birth year one apart"), None)
        return 45, (gettext_noop("birth year one apart, other day"), None)
    return 0, (gettext_noop("birth years %(a)d and %(b)d"), {"a": a.year, "b": b.year})


def _family_given(key: str) -> tuple[str, str]:
    tokens = key.split()
    if not tokens:
        return "", ""
    return (tokens[0], tokens[-1]) if len(tokens) > 1 else ("", tokens[0])


def _name_part(a: str, b: str) -> int:
    if not a or not b:
        return 50
    if a == b:
        return 100
    return 80 if OSA.distance(a, b) <= 1 else 0


def kin_similarity(a: str, b: str) -> int:
    """How alike two names of a relative (mother, father...) are, 0–100, from their `name_key`s.

    Only the family and the given name count, the given name most: middle names ("Thị",
    "Văn") are shared by half the population and were what made two strangers' mothers
    look alike ("Trần Thị Bình" and "Lê Thị Mai" are 0 + 30 % here). One slip in either
    part still counts as nearly the same name.
    """
    family_a, given_a = _family_given(a)
    family_b, given_b = _family_given(b)
    return round(0.7 * _name_part(given_a, given_b) + 0.3 * _name_part(family_a, family_b))


def _has_marks(person: DedupPerson) -> bool:
    """Whether the name was written with diacritics (the exact key keeps them, the plain key not)."""
    return bool(person.exact_key) and person.exact_key != person.name_key


def possible_twin(probe: DedupPerson, other: DedupPerson) -> bool:
    """Two children of one mother whose given names are two real names: equal without
    diacritics but written differently with them (Thủy / Thùy, Hòa / Hoa), or one letter
    apart (Lan / Loan, Huy / Quý). Born the same day they are twins, otherwise siblings; the
    date is not asked, because a slip in one date must not turn twins into one person. A
    clerk's slip rarely makes another common name ("Hoằ" is none), and an export without
    diacritics cannot tell Thủy from Thùy (then only a one-letter difference counts).
    """
    mother = PartyRole.MOTHER
    if mother not in probe.others or mother not in other.others:
        return False
    if kin_similarity(probe.others[mother], other.others[mother]) < 80:
        return False
    given_a, given_b = probe.name_key.rsplit(" ", 1)[-1], other.name_key.rsplit(" ", 1)[-1]
    marked = _has_marks(probe) and _has_marks(other)
    if marked:
        exact_a, exact_b = probe.exact_key.rsplit(" ", 1)[-1], other.exact_key.rsplit(" ", 1)[-1]
        if exact_a == exact_b:
            return False
        return is_known_given_name(exact_a, exact=True) and is_known_given_name(exact_b, exact=True)
    return (
        given_a != given_b
        and is_known_given_name(given_a, exact=False)
        and is_known_given_name(given_b, exact=False)
    )


def score(probe: DedupPerson, other: DedupPerson) -> tuple[int, list[str]]:
    """How likely `other` is the same case as `probe`, 0–100, with the reasons in words.

    Two given names more than one slip apart cap the score at `GIVEN_NAME_CAP`; a possible
    twin (`possible_twin`) at `TWIN_CAP`, with that reason, so that the pair is never
    flagged on its own but a supervisor looking at it (threshold 0) reads why.
    """
    value, reasons = _score(probe, other)
    return value, _words(reasons)


def _score(probe: DedupPerson, other: DedupPerson) -> tuple[int, list[Reason]]:
    """`score` with its reasons untranslated: `rank` scores every candidate of a block and
    translates only the reasons of those it keeps (gettext was half the time of a check)."""
    if probe.pin and other.pin and len(probe.pin) == 12 == len(other.pin):
        if probe.pin == other.pin:
            return 100, [(gettext_noop("same identification number"), None)]
        return 0, [(gettext_noop("different identification numbers"), None)]
    if probe.event_type in SAME_DAY_TYPES and probe.registration != other.registration:
        return 0, [(gettext_noop("registered on another day"), None)]
    name = (
        100.0
        if probe.exact_key and probe.exact_key == other.exact_key
        else fuzz.ratio(probe.name_key, other.name_key)
    )
    reasons: list[Reason] = [(gettext_noop("name %(n)d%% alike"), {"n": round(name)})]
    given_apart = OSA.distance(probe.name_key.rsplit(" ", 1)[-1], other.name_key.rsplit(" ", 1)[-1])
    if given_apart > 1:
        # One slip changes a given name by one letter at most: "Lan" and "Anh" are two people (siblings).
        return min(GIVEN_NAME_CAP, round(name)), [*reasons, (gettext_noop("other given name"), None)]
    birth, birth_reason = _birth_similarity(probe.birth, other.birth)
    reasons.append(birth_reason)
    pairs = [(probe.others[r], other.others[r]) for r in probe.others if r in other.others]
    if pairs:
        # The least alike relative: one clearly other mother makes another child, whatever the father.
        kin = min(kin_similarity(a, b) for a, b in pairs)
        total = 0.45 * name + 0.25 * birth + 0.30 * kin
        reasons.append((gettext_noop("other people %(n)d%% alike"), {"n": round(kin)}))
    else:
        total = 0.5 * name + 0.5 * birth
    if given_apart:
        # A letter of the given name weighs more than one of a middle name: "Hải" and "Hậu" of one
        # year, with no parents to compare, are two people.
        total -= GIVEN_SLIP_PENALTY
        reasons.append((gettext_noop("given name one letter apart"), None))
    if probe.sex in (Sex.MALE, Sex.FEMALE) and other.sex in (Sex.MALE, Sex.FEMALE) and probe.sex != other.sex:
        total -= 25
        reasons.append((gettext_noop("different sex"), None))
    if possible_twin(probe, other):
        total = min(total, TWIN_CAP)
        reasons.append((gettext_noop("possible twin or sibling: same mother, another given name"), None))
    return max(0, min(100, round(total))), reasons


def rank(probe: DedupPerson, others: Iterable[DedupPerson], *, threshold: int = THRESHOLD) -> list[Candidate]:
    found = []
    for other in others:
        value, reasons = _score(probe, other)
        if value >= threshold and other.record_id is not None:
            found.append(Candidate(other.record_id, value, _words(reasons)))
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
    if probe.birth.year:
        # The usual probe: one prepared statement (compiling the queryset below cost more CPU
        # than running the query, at the sizes blocks have).
        people = _block_people(probe, exclude_record_id)
        return rank(probe, list(people.values()), threshold=threshold)[:limit]
    # The keys as one array parameter: `dedup_keys__overlap=[...]` compiles each of the ~100 keys
    # as an expression of its own, which took longer than the query (4 ms a check at 1M records).
    overlap = Q(dedup_keys__overlap=Cast(Value(probe_keys(probe)), ArrayField(CharField(max_length=200))))
    # A crossed-out case keeps its entry number (active) but is nobody's registration.
    live = ACTIVE_Q & ~Q(state=RecordState.CROSSED_OUT)
    # With no year the keys only reach records without one; also take exact namesakes.
    records = CivilRecord.objects.filter(live).filter(
        overlap
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


def likely_duplicates(*, event_type: str, data: Any, exclude_record_id: int | None = None) -> list[Candidate]:
    """The entry-time check: likely duplicates of a case as typed (`RecordInput`, leniently read)."""
    return find_likely_duplicates(person_from_input(event_type, data), exclude_record_id=exclude_record_id)


_PEOPLE_COLUMNS = (
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
)


@cache
def _block_sql() -> str:
    """`people_of_records` over the block of `find_likely_duplicates` (a probe with a birth year),
    as the ORM writes it, once."""
    party, record = Party._meta.db_table, CivilRecord._meta.db_table
    return (
        'SELECT p."record_id", r."reg_year", r."reg_month", r."reg_day", p."role", p."name_key", '  # noqa: S608
        'p."name_exact_key", p."sex", p."birth_year", p."birth_month", p."birth_day", p."pin" '
        f'FROM "{party}" p INNER JOIN "{record}" r ON p."record_id" = r."id" '
        f'WHERE p."record_id" IN (SELECT u."id" FROM "{record}" u WHERE NOT (u."state" = ANY(%s)) '
        'AND NOT (u."state" = %s) AND u."dedup_keys" && %s::varchar(200)[] '
        'AND u."id" IS DISTINCT FROM %s LIMIT %s) AND p."role" = ANY(%s)'
    )


def _block_people(probe: DedupPerson, exclude_record_id: int | None) -> dict[int, DedupPerson]:
    event_type = probe.event_type
    params = [
        [s.value for s in CLOSED_STATES],
        RecordState.CROSSED_OUT.value,
        probe_keys(probe),
        exclude_record_id or None,
        MAX_BLOCK,
        [PRIMARY_ROLE[event_type], *OTHER_ROLES.get(event_type, ())],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_block_sql(), params)
        rows = [dict(zip(_PEOPLE_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    return _people_from_rows(event_type, rows)


def people_of_records(event_type: str, record_ids: Any) -> dict[int, DedupPerson]:
    """Record id -> the person the duplicate check compares, for records of `event_type` (ids as a
    list or a subquery; one query). Records without such a person are left out."""
    roles = [PRIMARY_ROLE[event_type], *OTHER_ROLES.get(event_type, ())]
    return _people_from_rows(
        event_type, Party.objects.filter(record_id__in=record_ids, role__in=roles).values(*_PEOPLE_COLUMNS)
    )


def _people_from_rows(event_type: str, found: Iterable[dict[str, Any]]) -> dict[int, DedupPerson]:
    rows: dict[int, list[dict[str, Any]]] = {}
    heads: dict[int, PartialDate] = {}
    for row in found:
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
    if not found:
        return []
    settled = set(decided_with(record.pk, [c.record_id for c in found])) | reregistration_links(record)
    return [c for c in found if c.record_id not in settled]


def reregistration_links(record: CivilRecord) -> set[int]:
    """The records linked to `record` as original and re-registration (either way): never duplicates."""
    linked = set(CivilRecord.objects.filter(reregistration_of=record.pk).values_list("pk", flat=True))
    if record.reregistration_of_id:
        linked.add(record.reregistration_of_id)
    return linked


def covering_path(*paths: str) -> str:
    """The materialized path of the lowest unit whose subtree holds every one of `paths`."""
    split = [p.strip("/").split("/") for p in paths if p]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "".join(f"{part}/" for part in common)


def pairs_routed(pairs: list[DuplicatePair]) -> list[DuplicatePair]:
    """Fill each new pair's `route_path` from its records' units (one query)."""
    ids = {pk for pair in pairs for pk in (pair.record_low_id, pair.record_high_id)}
    paths = dict(CivilRecord.objects.filter(pk__in=ids).values_list("pk", "unit_path")) if ids else {}
    for pair in pairs:
        pair.route_path = covering_path(paths.get(pair.record_low_id, ""), paths.get(pair.record_high_id, ""))
    return pairs


def duplicate_pairs_refresh(*, record: CivilRecord) -> list[DuplicatePair]:
    """Bring the open pairs of `record` in line with its current candidates (the supervisors' queue).

    Each pair is routed to the lowest unit that covers both records (`route_path`): its
    supervisors may see both, where the clerk who entered one of them may not. Decided pairs
    are never touched. A closed record keeps no open pairs.
    """
    DuplicatePair.objects.filter(
        Q(record_low=record) | Q(record_high=record), status=DuplicateStatus.OPEN
    ).delete()
    if record.is_closed or record.is_crossed_out:
        return []
    pairs = []
    candidates = open_candidates(record)
    paths = (
        dict(
            CivilRecord.objects.filter(pk__in=[c.record_id for c in candidates]).values_list(
                "pk", "unit_path"
            )
        )
        if candidates
        else {}
    )
    for candidate in candidates:
        low, high = _pair_key(record.pk, candidate.record_id)
        pairs.append(
            DuplicatePair(
                record_low_id=low,
                record_high_id=high,
                score=candidate.score,
                reasons=candidate.reasons,
                route_path=covering_path(record.unit_path, paths.get(candidate.record_id, "")),
            )
        )
    return DuplicatePair.objects.bulk_create(pairs, ignore_conflicts=True)


def dedup_keys_rebuild(*, batch: int = 5000, progress: Any = None, apps: Any = None) -> int:
    """Recompute every record's blocking keys from its people (after the key scheme changes).

    Runs in batches by id, one transaction per batch; returns the number of records whose
    keys changed. The check stays usable meanwhile (a record is at worst briefly unmatched).
    A data migration passes its `apps` (the historical models); `manage.py dedup_rekey` none.
    """
    record_model = apps.get_model("registry", "CivilRecord") if apps else CivilRecord
    party_model = apps.get_model("registry", "Party") if apps else Party
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
            record_model.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "event_type", "dedup_keys")[:batch]
        )
        if not records:
            return changed
        last = records[-1].pk
        rows: dict[int, list[dict[str, Any]]] = {}
        for row in party_model.objects.filter(record_id__in=[r.pk for r in records]).values(*fields):
            row["birth"] = PartialDate(row["birth_year"], row["birth_month"], row["birth_day"])
            rows.setdefault(row["record_id"], []).append(row)
        dirty = []
        for record in records:
            keys = dedup_keys(person_from_rows(record.event_type, rows.get(record.pk, []), PartialDate()))
            if keys != record.dedup_keys:
                record.dedup_keys = keys
                dirty.append(record)
        with transaction.atomic():
            record_model.objects.bulk_update(dirty, ["dedup_keys"], batch_size=1000)
        changed += len(dirty)
        if progress:
            progress(last, changed)
