"""Matching our records with population-database extracts, in both directions, as data arrives.

One rule set serves the whole-extract run (`reconciliation_run`, a background job for large
extracts) and the hooks that match a case the moment its data is saved (`config.wiring`):

- civil status → population: each person of a live record is looked up among the residents of
  the latest extract covering its unit (by PIN, else by name without diacritics and full birth
  date). Every field that differs is a finding (`DiffKind.DIFFERS`); the registered person of a
  birth not found at all is `NOT_IN_POPULATION`. These are the commune police's list.
- population → civil status: a resident no record matches is `PENDING_BOOK` while a birth book of
  the unit covering their birth year still has cases not entered (not a finding yet), and
  `NOT_IN_CIVIL` once every covering book is entered. A resident born in a year no book covers
  says nothing about our data and gives no finding.

Findings are kept in step, never duplicated: matching the same data again updates them (one
active finding per record, person and field; one open finding per resident), and a finding
whose two sides now agree (our record corrected, a newer extract) is closed as agreed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from registry.models import CivilRecord, EventType, Party, PartyRole, RecordState, RegisterBook
from transfer.models import (
    ACTIVE_STATUSES,
    DiffKind,
    DiffStatus,
    PopulationExtract,
    ReconciliationItem,
    Resident,
)
from vietnamese.names import name_exact_key, name_key

Progress = Callable[[int, int], None]

COMPARED_FIELDS = ("full_name", "sex", "birth_date", "pin", "ethnicity", "nationality")
IGNORED_STATES = (
    RecordState.COLLECTED,
    RecordState.REJECTED,
    RecordState.DUPLICATE,
    RecordState.CROSSED_OUT,
)
NOT_ENTERED = (RecordState.COLLECTED, RecordState.SCANNED)
# Transitions after which a record's people are matched again: its data changed, or it stopped
# (or started again) being a live case.
RECORD_EVENTS = frozenset({"enter", "amend", "reject", "mark_duplicate", "cross_out", "restore"})
BATCH = 500


def _norm(text: str) -> str:
    return name_key(text or "")


def _differences(party: Party, resident: Resident, matched_by: str) -> list[tuple[str, str, str]]:
    diffs = []
    if name_exact_key(party.full_name) != name_exact_key(resident.full_name):
        diffs.append(("full_name", party.full_name, resident.full_name))
    if resident.sex and party.sex != resident.sex:
        diffs.append(("sex", str(party.sex), str(resident.sex)))
    theirs = resident.birth_date
    if not theirs.is_empty and party.birth_date != theirs:
        diffs.append(("birth_date", str(party.birth_date), str(theirs)))
    if matched_by == "name_dob" and resident.pin and party.pin != resident.pin:
        diffs.append(("pin", party.pin, resident.pin))
    for name in ("ethnicity", "nationality"):
        ours, theirs_text = getattr(party, name), getattr(resident, name)
        if theirs_text and _norm(ours) != _norm(theirs_text):
            diffs.append((name, ours, theirs_text))
    return diffs


def _prefixes(path: str) -> list[str]:
    """The paths of a unit and its ancestors: "205/206/208/" → ["205/", "205/206/", "205/206/208/"]."""
    lead = "/" if path.startswith("/") else ""
    parts = [p for p in path.split("/") if p]
    return [lead + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def latest_extract(unit_path: str) -> PopulationExtract | None:
    """The newest extract of the unit or of a unit above it: what its people are compared with."""
    return (
        PopulationExtract.objects.filter(unit_path__in=_prefixes(unit_path))
        .order_by("-imported_at", "-pk")
        .first()
    )


def _match_parties(parties: list[Party], extract: PopulationExtract) -> dict[int, tuple[Resident, str]]:
    """Each person's resident in the extract and how it was found (indexed lookups, two queries)."""
    pins = {p.pin for p in parties if p.pin}
    keys = {p.name_key for p in parties if p.birth_day and p.name_key}
    by_pin: dict[str, Resident] = {}
    by_name: dict[tuple, list[Resident]] = defaultdict(list)
    if pins:
        for resident in Resident.objects.filter(extract=extract, pin__in=pins).order_by("pk"):
            by_pin.setdefault(resident.pin, resident)
    if keys:
        for resident in Resident.objects.filter(
            extract=extract, name_key__in=keys, birth_day__isnull=False
        ).order_by("pk"):
            key = (resident.name_key, resident.birth_year, resident.birth_month, resident.birth_day)
            by_name[key].append(resident)
    found: dict[int, tuple[Resident, str]] = {}
    for party in parties:
        if party.pin and party.pin in by_pin:
            found[party.pk] = (by_pin[party.pin], "pin")
            continue
        if not party.birth_day:
            continue
        key = (party.name_key, party.birth_year, party.birth_month, party.birth_day)
        # By name and birth date, a resident who has another PIN is someone else.
        same = [r for r in by_name.get(key, []) if not (party.pin and r.pin and party.pin != r.pin)]
        if same:
            found[party.pk] = (same[0], "name_dob")
    return found


def _person_label(party: Party) -> str:
    return f"{party.full_name}, {party.birth_date}" if not party.birth_date.is_empty else party.full_name


@dataclass
class Outcome:
    """What a matching step found: residents matched (by how), and findings opened or closed."""

    matched: dict[int, str] = field(default_factory=dict)  # resident id → "pin" | "name_dob"
    released: set[int] = field(default_factory=set)  # residents whose finding with a record closed
    opened: int = 0
    closed: int = 0


def match_records(records: list[CivilRecord], extract: PopulationExtract) -> Outcome:
    """Compare the people of `records` with the extract and bring their findings in step.

    Creates the findings that are new, updates those whose values changed, closes as agreed those
    whose two sides now agree, and drops untouched open findings of records no longer live.
    """
    now = timezone.now()
    outcome = Outcome()
    live = {r.pk: r for r in records if r.state not in IGNORED_STATES}
    parties = list(Party.objects.filter(record_id__in=live)) if live else []
    matches = _match_parties(parties, extract)
    desired: dict[tuple[int | None, str, str], ReconciliationItem] = {}
    for party in parties:
        record = live[party.record_id]
        base = {
            "extract": extract,
            "record": record,
            "party": party,
            "party_role": party.role,
            "unit_path": record.unit_path,
        }
        hit = matches.get(party.pk)
        if hit is not None:
            resident, matched_by = hit
            outcome.matched.setdefault(resident.pk, matched_by)
            for name, ours, theirs in _differences(party, resident, matched_by):
                desired[(record.pk, party.role, name)] = ReconciliationItem(
                    **base,
                    kind=DiffKind.DIFFERS,
                    resident=resident,
                    matched_by=matched_by,
                    field=name,
                    ours=ours[:255],
                    theirs=theirs[:255],
                )
        elif record.event_type == EventType.BIRTH and party.role == PartyRole.SUBJECT and party.full_name:
            desired[(record.pk, party.role, "")] = ReconciliationItem(
                **base, kind=DiffKind.NOT_IN_POPULATION, field="", ours=_person_label(party)[:255]
            )
    existing = ReconciliationItem.objects.select_for_update(no_key=True).filter(
        record_id__in=[r.pk for r in records], status__in=ACTIVE_STATUSES
    )
    changed, agreed, dropped = [], [], []
    for item in existing:
        want = desired.pop((item.record_id, item.party_role, item.field), None)
        if want is None:
            if item.resident_id:
                outcome.released.add(item.resident_id)
            if item.record_id not in live and item.status == DiffStatus.OPEN:
                dropped.append(item.pk)  # a case rejected or crossed out: nothing left to clean
            elif item.record_id in live:
                item.status, item.agreed_at = DiffStatus.AGREED, now
                agreed.append(item)
            continue
        values = ("kind", "resident_id", "party_id", "matched_by", "ours", "theirs", "extract_id")
        if any(getattr(item, v) != getattr(want, v) for v in values):
            for v in values:
                setattr(item, v, getattr(want, v))
            changed.append(item)
    if dropped:
        ReconciliationItem.objects.filter(pk__in=dropped).delete()
    fields = ["kind", "resident", "party", "matched_by", "ours", "theirs", "extract"]
    ReconciliationItem.objects.bulk_update(changed, fields)
    ReconciliationItem.objects.bulk_update(agreed, ["status", "agreed_at"])
    # A concurrent run may have added the same finding: the constraint keeps one, this one is skipped.
    ReconciliationItem.objects.bulk_create(list(desired.values()), ignore_conflicts=True)
    outcome.opened, outcome.closed = len(desired), len(agreed) + len(dropped)
    return outcome


@dataclass(frozen=True)
class Coverage:
    """The unit's birth books by year range, and whether each still has cases not entered."""

    books: tuple[tuple[int, int, bool], ...]

    @classmethod
    def of(cls, unit_path: str) -> Coverage:
        waiting = CivilRecord.objects.filter(book=OuterRef("pk"), state__in=NOT_ENTERED)
        rows = (
            RegisterBook.objects.filter(custodian__path__startswith=unit_path, event_type=EventType.BIRTH)
            .annotate(waiting=Exists(waiting))
            .values_list("year", "year_to", "waiting")
        )
        return cls(tuple((year, year_to or year, bool(w)) for year, year_to, w in rows))

    def kind(self, birth_year: int | None) -> str | None:
        """PENDING_BOOK, NOT_IN_CIVIL, or None (no book of that year: nothing to say)."""
        if birth_year is None:
            return None
        covering = [w for first, last, w in self.books if first <= birth_year <= last]
        if not covering:
            return None
        return DiffKind.PENDING_BOOK if any(covering) else DiffKind.NOT_IN_CIVIL


def _resident_item(resident: Resident, extract: PopulationExtract, kind: str) -> ReconciliationItem:
    return ReconciliationItem(
        extract=extract,
        kind=kind,
        resident=resident,
        unit_path=extract.unit_path,
        theirs=f"{resident.full_name}, {resident.birth_date}"[:255],
    )


def _clear_matched(resident_ids: list[int]) -> None:
    if not resident_ids:
        return
    open_items = ReconciliationItem.objects.filter(resident_id__in=resident_ids, status=DiffStatus.OPEN)
    open_items.filter(kind=DiffKind.PENDING_BOOK).delete()
    open_items.filter(kind=DiffKind.NOT_IN_CIVIL).update(status=DiffStatus.AGREED, agreed_at=timezone.now())


def settle_residents(
    extract: PopulationExtract, outcome: Outcome, *, coverage: Coverage | None = None
) -> None:
    """Residents just matched have a record: their pending or missing finding goes (a missing one
    closes as agreed). Residents whose finding with a record closed are judged again."""
    _clear_matched(list(outcome.matched))
    released = outcome.released - set(outcome.matched)
    if released:
        residents = list(Resident.objects.filter(pk__in=released, extract=extract))
        judge_residents(extract, residents, coverage=coverage or Coverage.of(extract.unit_path))


def _has_record(resident: Resident, unit_path: str) -> bool:
    people = Party.objects.filter(record__unit_path__startswith=unit_path).exclude(
        record__state__in=IGNORED_STATES
    )
    if resident.pin and people.filter(pin=resident.pin).exists():
        return True
    if not resident.birth_day:
        return False
    same = people.filter(
        name_key=resident.name_key,
        birth_year=resident.birth_year,
        birth_month=resident.birth_month,
        birth_day=resident.birth_day,
    )
    if resident.pin:
        same = same.filter(pin__in=["", resident.pin])
    return same.exists()


def judge_residents(
    extract: PopulationExtract,
    residents: Iterable[Resident],
    *,
    coverage: Coverage,
    known_unmatched: bool = False,
) -> int:
    """Give each resident without a record the finding its birth year calls for (or none), keeping
    one open finding per resident. `known_unmatched`: the caller knows they have no record."""
    residents = list(residents)
    current = {
        i.resident_id: i
        for i in ReconciliationItem.objects.select_for_update(no_key=True).filter(
            resident__in=residents, kind__in=[DiffKind.PENDING_BOOK, DiffKind.NOT_IN_CIVIL], status="open"
        )
    }
    create, change, drop = [], [], []
    for resident in residents:
        has_record = not known_unmatched and _has_record(resident, extract.unit_path)
        kind = None if has_record else coverage.kind(resident.birth_year)
        item = current.get(resident.pk)
        if item is None and kind:
            create.append(_resident_item(resident, extract, kind))
        elif item is not None and not kind:
            drop.append(item.pk)
        elif item is not None and item.kind != kind:
            item.kind = kind  # type: ignore[assignment]
            change.append(item)
    ReconciliationItem.objects.filter(pk__in=drop).delete()
    ReconciliationItem.objects.bulk_update(change, ["kind"])
    ReconciliationItem.objects.bulk_create(create, ignore_conflicts=True)
    return len(create)


def recheck_pending(extract: PopulationExtract, book: RegisterBook) -> None:
    """A birth book of the unit has no case left to enter: residents pending on its years are
    judged again (still pending on another book, missing, or matched meanwhile)."""
    if book.event_type != EventType.BIRTH:
        return
    if CivilRecord.objects.filter(book=book, state__in=NOT_ENTERED).exists():
        return
    pending = ReconciliationItem.objects.filter(
        extract=extract,
        kind=DiffKind.PENDING_BOOK,
        status=DiffStatus.OPEN,
        resident__birth_year__gte=book.year,
        resident__birth_year__lte=book.year_to or book.year,
    ).select_related("resident")
    residents = [i.resident for i in pending if i.resident is not None]
    if residents:
        judge_residents(extract, residents, coverage=Coverage.of(extract.unit_path))


def reconciliation_follow(records: list[CivilRecord], *, recheck_books: bool = False) -> None:
    """Match records whose data or state just changed, in the caller's transaction (the hooks).
    `recheck_books`: cases may have left "not entered", so their books may now be complete."""
    by_path: dict[str, list[CivilRecord]] = defaultdict(list)
    for record in records:
        by_path[record.unit_path].append(record)
    for path, group in by_path.items():
        extract = latest_extract(path)
        if extract is None:
            continue
        for start in range(0, len(group), BATCH):
            outcome = match_records(group[start : start + BATCH], extract)
            settle_residents(extract, outcome)
        if recheck_books:
            for book in {r.book_id: r.book for r in group}.values():
                recheck_pending(extract, book)


def reconciliation_run(*, extract: PopulationExtract, progress: Progress | None = None) -> PopulationExtract:
    """Match a whole extract with the records of its unit, in batches; counts kept on the extract.

    `progress(done, total)` is called after each batch (records, then residents). Findings of
    earlier matching move to this extract, and close as agreed where it agrees with our records.
    Safe to run again: it changes nothing the second time.
    """
    records = (
        CivilRecord.objects.filter(unit_path__startswith=extract.unit_path)
        .exclude(state__in=[RecordState.COLLECTED])
        .order_by("pk")
    )
    record_ids = list(records.values_list("pk", flat=True))
    resident_ids = list(extract.residents.order_by("pk").values_list("pk", flat=True))
    total, done = len(record_ids) + len(resident_ids), 0
    matched: dict[int, str] = {}
    # Residents of older extracts of this unit still open as pending or missing: this one replaces them.
    ReconciliationItem.objects.filter(
        unit_path=extract.unit_path,
        kind__in=[DiffKind.PENDING_BOOK, DiffKind.NOT_IN_CIVIL],
        status=DiffStatus.OPEN,
    ).exclude(extract=extract).delete()
    for start in range(0, len(record_ids), BATCH):
        with transaction.atomic():
            batch = list(
                CivilRecord.objects.select_for_update(no_key=True, of=("self",)).filter(
                    pk__in=record_ids[start : start + BATCH]
                )
            )
            outcome = match_records(batch, extract)
            for pk, how in outcome.matched.items():
                matched.setdefault(pk, how)
        done += len(batch)
        if progress:
            progress(done, total)
    coverage = Coverage.of(extract.unit_path)
    for start in range(0, len(resident_ids), BATCH):
        ids = resident_ids[start : start + BATCH]
        with transaction.atomic():
            _clear_matched([i for i in ids if i in matched])
            unmatched = Resident.objects.filter(pk__in=[i for i in ids if i not in matched])
            judge_residents(extract, unmatched, coverage=coverage, known_unmatched=True)
        done += len(ids)
        if progress:
            progress(done, total)
    items = ReconciliationItem.objects.filter(extract=extract, status__in=ACTIVE_STATUSES)
    counts: dict[str, Any] = {
        "matched_by_pin": sum(1 for how in matched.values() if how == "pin"),
        "matched_by_name": sum(1 for how in matched.values() if how == "name_dob"),
        "unmatched": len(resident_ids) - len(matched),
        "differences": items.filter(kind=DiffKind.DIFFERS).count(),
        "pending": items.filter(kind=DiffKind.PENDING_BOOK).count(),
        "missing_civil": items.filter(kind=DiffKind.NOT_IN_CIVIL).count(),
        "missing_population": items.filter(kind=DiffKind.NOT_IN_POPULATION).count(),
        "matched_at": timezone.now(),
    }
    PopulationExtract.objects.filter(pk=extract.pk).update(**counts)
    for name, value in counts.items():
        setattr(extract, name, value)
    return extract
