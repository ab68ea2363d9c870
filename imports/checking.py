"""Checking import rows: the rules of manual entry plus hard and soft duplicate checks, a batch at a time.

Each row goes through `registry.ministry_format.row_to_input` (the Ministry columns,
so our own export reads back unchanged) and `registry.record_data.clean_record_input`
(the one validation path of the entry form and the API). Then, per batch, with a
handful of queries whatever the batch size:

- hard duplicates (refused): the same (book, entry number) or the same person's
  birth/death (`identity_key`) already in the database or earlier in the file;
  a row whose case is already in the database (same book, entry and person) is
  "already imported" and is skipped, so re-importing a file creates nothing new;
- soft duplicates (imported, then decided by a supervisor in the resolution queue):
  `registry.matching` scoring against active records and earlier rows of the file.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from imports.reading import RawRow, normalize_date
from registry.matching import (
    MAX_BLOCK,
    PRIMARY_ROLE,
    DedupPerson,
    dedup_keys,
    people_of_records,
    person_from_clean,
    probe_keys,
    rank,
)
from registry.ministry_format import (
    COMMON_TEXT,
    DEATH_EVENT_COLUMNS,
    DETAILS_KEYS,
    PERSON_SUFFIX,
    blocks_for,
    columns_for,
    parse_ministry_date,
    row_to_input,
)
from registry.models import ACTIVE_Q, CLOSED_STATES, AdministrativeUnit, CivilRecord, RegisterBook, Sex
from registry.partial_dates import PartialDate
from registry.record_data import CleanRecord, clean_record_input, identity_key

logger = logging.getLogger(__name__)

VALID, LIKELY, INVALID, ALREADY = "valid", "likely_duplicate", "invalid", "already"
_BOOK_REF = re.compile(r"^\s*([^/]+?)\s*/\s*(\d{4})\s*$")
EMPTY_STATES = ("collected", "scanned")


def field_columns(event_type: str) -> dict[str, str]:
    """Validation error key -> Ministry column, to name the column in the report."""
    columns = {"registration_date": "ngayDangKy", "registration_type": "loaiDangKy", "page_no": "trangSo"}
    columns.update({attr: column for column, attr in COMMON_TEXT.items()})
    columns.update({attr: column for column, attr in DEATH_EVENT_COLUMNS.items()})
    columns["event_date"] = "nktNgayChet"
    columns.update({f"details.{key}": column for column, key in DETAILS_KEYS.items()})
    for prefix, role, suffixes in blocks_for(event_type):
        for suffix in suffixes:
            attr = PERSON_SUFFIX[suffix]
            if attr == "id_number":
                columns[f"party.{role}.pin"] = columns[f"party.{role}.id_document"] = prefix + suffix
            else:
                columns[f"party.{role}.{attr}"] = prefix + suffix
        columns[f"party.{role}"] = prefix + "HoTen"
    return columns


DATE_COLUMNS = ("ngayDangKy", "nktNgayChet", "gbtNgay")


@dataclass
class RowOutcome:
    row_no: int
    status: str
    problems: list[list[str]] = field(default_factory=list)
    book_ref: str = ""
    book_no: str = ""
    book_year: int | None = None
    entry_no: int | None = None
    clean: CleanRecord | None = None
    identity_key: str | None = None
    dedup_keys: list[str] = field(default_factory=list)
    person: DedupPerson | None = None
    name: str = ""
    candidates: list[list[Any]] = field(default_factory=list)  # [["record", id, score] | ["row", n, score]]
    existing_id: int | None = None

    def problem(self, column: str, message: str, fix: str = "") -> None:
        self.problems.append([column, message, fix])
        self.status = INVALID


def person_json(person: DedupPerson | None) -> dict[str, Any] | None:
    if person is None:
        return None
    birth = person.birth
    return {
        "name_key": person.name_key,
        "exact_key": person.exact_key,
        "sex": person.sex,
        "birth": [birth.year, birth.month, birth.day],
        "pin": person.pin,
        "others": person.others,
        "registration": [person.registration.year, person.registration.month, person.registration.day],
    }


def person_from_json(event_type: str, data: dict[str, Any], row_no: int) -> DedupPerson:
    return DedupPerson(
        event_type=event_type,
        name_key=data["name_key"],
        exact_key=data["exact_key"],
        sex=data["sex"],
        birth=PartialDate(*data["birth"]),
        pin=data["pin"],
        others=data["others"],
        registration=PartialDate(*data["registration"]),
        record_id=row_no,
    )


def map_row(values: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """A file row in the Ministry's column names (`mapping`: file column -> Ministry column)."""
    if not mapping:
        return dict(values)
    return {target: values.get(source, "") for source, target in mapping.items() if target}


def check_row(
    raw: RawRow, *, event_type: str, mapping: dict[str, str], default_book: tuple[str, int | None]
) -> RowOutcome:
    """Validate one row on its own (no database): the rules of manual entry."""
    outcome = RowOutcome(row_no=raw.row_no, status=VALID)
    for column, message, fix in raw.problems:
        outcome.problem(mapping.get(column, column), message, fix)
    row = map_row(raw.values, mapping)
    for column in DATE_COLUMNS:
        if column in row:
            row[column] = normalize_date(row[column])
    for prefix, _role, suffixes in blocks_for(event_type):
        if "NgaySinh" in suffixes and prefix + "NgaySinh" in row:
            row[prefix + "NgaySinh"] = normalize_date(row[prefix + "NgaySinh"])
    for column, value in row.items():
        if column in DATE_COLUMNS or column.endswith("NgaySinh"):
            try:
                parse_ministry_date(value)
            except ValidationError as exc:
                outcome.problem(
                    column, " ".join(exc.messages), _("Write the date as dd/mm/yyyy, mm/yyyy or yyyy.")
                )
    if outcome.status == INVALID:
        return outcome
    columns = field_columns(event_type)
    try:
        parsed = row_to_input(row, event_type)
    except ValidationError as exc:
        outcome.problem("", " ".join(exc.messages), _("Write dates as dd/mm/yyyy, mm/yyyy or yyyy."))
        return outcome
    except (TypeError, ValueError):
        outcome.problem(
            "so / trangSo / loaiDangKy / *GioiTinh",
            _("A number column holds text."),
            _("Write entry and page numbers, registration types and sex codes as whole numbers."),
        )
        return outcome
    outcome.entry_no = parsed.entry_no
    if parsed.entry_no is None or parsed.entry_no < 1:
        outcome.problem("so", _("The entry number is missing."), _("Write the case's number in the book."))
    book_ref = parsed.book_reference
    if book_ref:
        match = _BOOK_REF.match(book_ref)
        if match:
            outcome.book_no, outcome.book_year = match[1], int(match[2])
        else:
            outcome.problem(
                "quyenSo",
                _("“%(value)s” is not a book reference.") % {"value": book_ref},
                _("Write it as <book number>/<year>, e.g. 01/2005."),
            )
    else:
        outcome.book_no, outcome.book_year = default_book
        if not outcome.book_no or not outcome.book_year:
            outcome.problem(
                "quyenSo",
                _("The row does not say which book it belongs to."),
                _("Fill quyenSo as <book number>/<year>, or give the book number and year when uploading."),
            )
    outcome.book_ref = f"{outcome.book_no}/{outcome.book_year}" if outcome.book_no else book_ref
    try:
        clean = clean_record_input(parsed.data, event_type=event_type, book_year=outcome.book_year)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            column = columns.get(key, key)
            for message in messages:
                outcome.problem(column, message, _("Correct column %(column)s.") % {"column": column})
        return outcome
    # An implausible value is imported when the row confirms it as written (the ghiChu marker of
    # our own export, registry.ministry_format); else it is a problem of the row, as on the form.
    for key, messages in clean.unconfirmed().items():
        column = columns.get(key, key)
        for message in messages:
            outcome.problem(column, message, _("Correct column %(column)s.") % {"column": column})
    if outcome.status == INVALID:
        return outcome
    outcome.clean = clean
    outcome.identity_key = identity_key(event_type, clean.parties)
    outcome.person = person_from_clean(event_type, clean)
    outcome.dedup_keys = dedup_keys(outcome.person)
    primary = PRIMARY_ROLE.get(event_type)
    outcome.name = next((p.full_name for p in clean.parties if p.role == primary), "")
    return outcome


class BookFinder:
    """Books of one unit and event type by (number, year), cached for the run (a few hundred at most)."""

    def __init__(self, unit: AdministrativeUnit, event_type: str):
        self.unit, self.event_type = unit, event_type
        self._books: dict[tuple[str, int], RegisterBook | None] = {}

    def find(self, book_no: str, year: int) -> RegisterBook | None:
        key = (book_no, year)
        if key not in self._books:
            self._books[key] = (
                RegisterBook.objects.filter(
                    custodian=self.unit, event_type=self.event_type, year=year, book_no=book_no
                )
                .select_related("custodian", "authority_unit")
                .first()
            )
        return self._books[key]

    def remember(self, book: RegisterBook) -> None:
        self._books[(book.book_no, book.year)] = book


def _describe(record: CivilRecord) -> str:
    return _("%(book)s, entry no. %(no)d (%(unit)s)") % {
        "book": record.book,
        "no": record.entry_no,
        "unit": record.unit.name,
    }


def check_against_database(
    outcomes: list[RowOutcome], *, event_type: str, books: BookFinder, job_id: int | None, dry_run: bool
) -> None:
    """Duplicate checks of a batch: hard ones against the database and earlier rows of the batch,
    and in the dry run (`dry_run`) also against earlier rows of the file and soft ones.

    Rows already checked valid are marked ALREADY, INVALID (hard duplicate) or, in the dry run,
    LIKELY. The commit takes the dry run's likely duplicates as found (`ImportRow.candidates`);
    a record entered since then meets the imported one through its own check and approval.
    """
    rows = [o for o in outcomes if o.status == VALID]
    if not rows:
        return
    # Same (book, entry number) earlier in this batch / file.
    seen_entries: dict[tuple[str, int | None], int] = {}
    seen_identity: dict[str, int] = {}
    if dry_run and job_id:
        from imports.models import ImportRow

        earlier = ImportRow.objects.filter(job_id=job_id, status__in=[VALID, LIKELY])
        for ref, no, row_no in earlier.filter(
            book_ref__in={o.book_ref for o in rows}, entry_no__in={o.entry_no for o in rows}
        ).values_list("book_ref", "entry_no", "row_no"):
            seen_entries.setdefault((ref, no), row_no)
        keys = {o.identity_key for o in rows if o.identity_key}
        for key, row_no in earlier.filter(identity_key__in=keys).values_list("identity_key", "row_no"):
            if key is not None:  # always: the filter matches only these keys
                seen_identity.setdefault(key, row_no)
    # The database: records at these entries, and records of these people.
    by_entry: dict[tuple[int | None, int | None], CivilRecord] = {}
    book_ids = {}
    for o in rows:
        if o.book_year is None:  # a valid row always has it; without one there is no book
            continue
        book = books.find(o.book_no, o.book_year)
        if book is not None:
            book_ids[o.row_no] = book.pk
    if book_ids:
        entry_q = Q()
        for o in rows:
            if o.row_no in book_ids:
                entry_q |= Q(book_id=book_ids[o.row_no], entry_no=o.entry_no)
        for record in (
            CivilRecord.objects.filter(ACTIVE_Q)
            .filter(entry_q)
            .select_related("book", "unit")
            .prefetch_related("parties")
        ):
            by_entry[(record.book_id, record.entry_no)] = record
    by_identity = {
        r.identity_key: r
        for r in CivilRecord.objects.filter(ACTIVE_Q)
        .filter(event_type=event_type, identity_key__in={o.identity_key for o in rows if o.identity_key})
        .select_related("book", "unit")
    }
    primary = PRIMARY_ROLE.get(event_type)
    for o in rows:
        entry = (o.book_ref, o.entry_no)
        if entry in seen_entries:
            o.problem(
                "so",
                _("Row %(row)d already has entry no. %(no)s of book %(book)s.")
                % {"row": seen_entries[entry], "no": o.entry_no, "book": o.book_ref},
                _("Check the entry numbers: one case per entry of a book."),
            )
            continue
        seen_entries[entry] = o.row_no
        existing = by_entry.get((book_ids.get(o.row_no), o.entry_no))
        if existing is not None:
            names = {p.name_exact_key for p in existing.parties.all() if p.role == primary}
            if existing.state in EMPTY_STATES and not names:
                o.problem(
                    "so",
                    _(
                        "Entry no. %(no)s of book %(book)s is an empty slot already being digitized "
                        "(%(state)s)."
                    )
                    % {"no": o.entry_no, "book": o.book_ref, "state": existing.get_state_display()},
                    _("Enter this case through the entry form beside its scan, or remove the row."),
                )
            elif o.person is not None and o.person.exact_key in names:
                o.status, o.existing_id = ALREADY, existing.pk
            else:
                o.problem(
                    "so",
                    _("%(where)s already holds another case.") % {"where": _describe(existing)},
                    _("Check the book and entry number of this row."),
                )
            continue
        if o.identity_key:
            if o.identity_key in seen_identity:
                o.problem(
                    "nksHoTen",
                    _("Row %(row)d registers the same person (same name, birth date and mother, or PIN).")
                    % {"row": seen_identity[o.identity_key]},
                    _("One civil event is registered once: remove one of the rows, or correct it."),
                )
                continue
            seen_identity[o.identity_key] = o.row_no
            other = by_identity.get(o.identity_key)
            if other is not None:
                o.problem(
                    "nksHoTen",
                    _("This person's event is already registered: %(where)s.") % {"where": _describe(other)},
                    _("Remove the row; if it is a different person, check name, birth date, mother and PIN."),
                )
                continue
    if dry_run:
        _soft_check([o for o in rows if o.status == VALID], event_type=event_type, job_id=job_id)


# Each probe key joined to the GIN index on dedup_keys on its own (`@> ARRAY[key]`): one statement
# per batch whatever its number of keys. One `&&` with thousands of keys is answered by reading
# every record instead (the planner cannot use the index for it), and every record's keys are then
# compared with the whole array. (One `&&` a probe over its own keys, as `_ROW_BLOCKS` does, took as
# long here: a batch's keys overlap.) Sequential scans are ruled out because the rows of a running
# import have no statistics yet: the planner would then read the table once per key. JIT compilation
# costs more than such a query itself.
_RECORDS_BY_KEYS = """
SELECT DISTINCT r.id, r.dedup_keys
FROM unnest(%s::varchar[]) AS probe(key)
JOIN registry_civilrecord r ON r.dedup_keys @> ARRAY[probe.key]
WHERE NOT (r.state = ANY(%s))
"""

# The earlier rows of this job in each probe's block, as (probe row, earlier row, its person) in probe
# order, read through a server-side cursor: the block of a row grows with the file (a file of one
# year's births shares its names and months), so neither the union of the batch's blocks nor a
# probe's whole block is held. At most `MAX_BLOCK` rows a probe, the latest, as at entry; and only
# rows that can reach `THRESHOLD` against it (`_may_match` says which cannot: their score is
# decided by their PINs or sexes alone).
# One GIN scan a probe with `&&` over its own keys (~80): a matching row is then read once, where a
# join of each key on its own read it once per shared key (~80 times: a name's one-letter variants).
# `job_id + 0` keeps the planner off the job's indexes: reading a job's rows in order until
# `MAX_BLOCK` match would read the whole file for every probe.
_ROW_BLOCKS = """
SELECT q.row_no, b.row_no, b.person::text
FROM unnest(%(rows)s::int[], %(keys)s::text[], %(pins)s::varchar[], %(sexes)s::int[])
    AS q(row_no, keys, pin, sex)
CROSS JOIN LATERAL (
    SELECT i.row_no, i.person
    FROM imports_importrow i
    WHERE i.dedup_keys && string_to_array(q.keys, ' ')::varchar(200)[]
      AND i.job_id + 0 = %(job)s AND i.person IS NOT NULL AND CASE
        WHEN length(q.pin) = 12 AND length(i.person->>'pin') = 12 THEN i.person->>'pin' = q.pin
        ELSE NOT (q.sex IN (1, 2) AND (i.person->>'sex')::int IN (1, 2) AND (i.person->>'sex')::int <> q.sex)
      END
    ORDER BY i.row_no DESC
    LIMIT %(limit)s
) b
ORDER BY q.row_no, b.row_no
"""
# Rows of a block read from the server at a time, and parsed people kept for the next probes.
ROW_BLOCK_FETCH = 2000
ROW_PEOPLE_CACHE = 5000


def _by_keys(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off; SET LOCAL enable_seqscan = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def key_index_flush(index: str) -> None:
    """Merge the pending list of the GIN index on the import rows' dedup keys (`import_row_dedup`)
    into the index, after a batch of rows was written. (The records' `record_dedup_keys` has no
    pending list: registry migration 0005.)

    PostgreSQL queues new GIN entries in a pending list that every lookup reads through in full
    until autovacuum merges it: an import adds thousands of rows a minute, and the next batch's
    tens of thousands of key lookups would each read them all. Needs the index's owner (as
    VACUUM does); without that right the merge is left to autovacuum.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
    except DatabaseError:
        logger.warning("cannot merge the pending list of %s (not its owner): left to autovacuum", index)


def _records_people(event_type: str, keys: list[str]) -> list[tuple[list[str], DedupPerson, str]]:
    """Active records sharing a blocking key with `keys`, as the duplicate check sees them."""
    record_keys: dict[int, list[str]] = dict(
        _by_keys(_RECORDS_BY_KEYS, [keys, [s.value for s in CLOSED_STATES]])  # type: ignore[arg-type]
    )
    if not record_keys:
        return []
    people = people_of_records(event_type, list(record_keys))
    return [(record_keys[pk], person, "record") for pk, person in people.items()]


def _may_match(probe: DedupPerson, other: DedupPerson) -> bool:
    """False when `other` scores below `THRESHOLD` against `probe` whatever else they share (what
    `_ROW_BLOCKS` leaves out on the server): two 12-digit PINs decide (another PIN is 0), and two
    known, different sexes take 25 off a score of at most 100."""
    if len(probe.pin) == 12 == len(other.pin):
        return probe.pin == other.pin
    known = (Sex.MALE, Sex.FEMALE)
    return not (probe.sex in known and other.sex in known and probe.sex != other.sex)


def _earlier_rows_blocks(
    event_type: str, probes: dict[int, list[str]], people: dict[int, DedupPerson], job_id: int
) -> Generator[tuple[int, list[DedupPerson]]]:
    """(probe row, the rows of this job checked before (earlier batches) in its block), in row order,
    for the probes that have any: streamed, so memory does not grow with the file (`_ROW_BLOCKS`)."""
    # A probe's keys as one text (keys hold no space: "<event>|<family>|<given>|<tag>").
    params: dict[str, Any] = {
        "rows": list(probes),
        "keys": [" ".join(keys) for keys in probes.values()],
        "pins": [people[row_no].pin for row_no in probes],
        "sexes": [people[row_no].sex for row_no in probes],
        "job": job_id,
        "limit": MAX_BLOCK,
    }
    parsed: dict[int, DedupPerson] = {}
    with transaction.atomic(), connection.cursor() as settings_cursor:
        # planned for all its rows, as a query (a cursor is planned for its first tenth: another plan)
        settings_cursor.execute(
            "SET LOCAL jit = off; SET LOCAL enable_seqscan = off; SET LOCAL cursor_tuple_fraction = 1"
        )
        with connection.chunked_cursor() as cursor:
            cursor.cursor.itersize = ROW_BLOCK_FETCH
            cursor.execute(_ROW_BLOCKS, params)
            current: int | None = None
            block: list[DedupPerson] = []
            for probe, row_no, data in cursor:
                if probe != current:
                    if block:
                        yield current, block  # type: ignore[misc]
                    current, block = probe, []
                person = parsed.get(row_no)
                if person is None:
                    if len(parsed) >= ROW_PEOPLE_CACHE:
                        parsed.clear()
                    person = parsed[row_no] = person_from_json(event_type, json.loads(data), row_no)
                block.append(person)
            if block:
                yield current, block  # type: ignore[misc]


def _soft_check(rows: list[RowOutcome], *, event_type: str, job_id: int | None) -> None:
    """Mark rows with likely duplicates among active records, earlier rows of the job (`job_id`)
    and earlier rows of this batch: two statements for the batch, then scoring in memory."""
    probes = {o.row_no: probe_keys(o.person) for o in rows if o.person is not None and o.person.name_key}
    if not probes:
        return
    records = _records_people(event_type, sorted({k for keys in probes.values() for k in keys}))
    if not job_id:
        _score_rows(rows, probes, records, _no_blocks())
        return
    people = {o.row_no: o.person for o in rows if o.row_no in probes and o.person is not None}
    earlier = _earlier_rows_blocks(event_type, probes, people, job_id)
    try:
        _score_rows(rows, probes, records, earlier)
    finally:
        earlier.close()  # its transaction ends with it


def _no_blocks() -> Generator[tuple[int, list[DedupPerson]]]:
    yield from ()


def _score_rows(
    rows: list[RowOutcome],
    probes: dict[int, list[str]],
    records: list[tuple[list[str], DedupPerson, str]],
    earlier: Generator[tuple[int, list[DedupPerson]]],
) -> None:
    """Score each row against its block: records, earlier rows of the file (`earlier`, in row order)
    and earlier rows of this batch."""
    # Who holds each key (records, and rows of this batch as they are scored): a row's block is then
    # found from its own keys, not by comparing it with everyone (rows x people set intersections).
    holders: dict[str, list[int]] = defaultdict(list)
    kinds: list[tuple[str, DedupPerson]] = []

    def add(stored: Iterable[str], person: DedupPerson, kind: str) -> None:
        for key in stored:
            holders[key].append(len(kinds))
        kinds.append((kind, person))

    for stored, person, kind in records:
        add(stored, person, kind)
    pending = next(earlier, None)
    for o in rows:
        keys = probes.get(o.row_no, ())
        if not keys or o.person is None:  # only rows with a person are probes
            continue
        block = [kinds[i] for i in sorted({i for key in keys for i in holders.get(key, ())})]
        in_file: list[DedupPerson] = []
        if pending is not None and pending[0] == o.row_no:
            in_file, pending = pending[1], next(earlier, None)
        found: list[list[Any]] = []
        probe = o.person
        for candidate in rank(probe, [p for k, p in block if k == "record" and _may_match(probe, p)]):
            found.append(["record", candidate.record_id, candidate.score])
        batch = [p for k, p in block if k == "row" and _may_match(probe, p)]
        for candidate in rank(probe, in_file + batch):
            found.append(["row", candidate.record_id, candidate.score])
        if found:
            o.status = LIKELY
            o.candidates = found[:5]
        # Later rows of this batch compare with this one too.
        add(o.dedup_keys, _with_id(o.person, o.row_no), "row")


def _with_id(person: DedupPerson, row_no: int) -> DedupPerson:
    from dataclasses import replace

    return replace(person, record_id=row_no)


def problems_of(outcomes: Iterable[RowOutcome]) -> int:
    return sum(1 for o in outcomes if o.status == INVALID)


def ministry_header_known(header: list[str], event_type: str) -> bool:
    """True when the header uses the Ministry column names (no mapping needed)."""
    known = set(columns_for(event_type))
    return "so" in header and len(known & set(header)) >= 3
