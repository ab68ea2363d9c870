"""Staff search over records: by name (with or without diacritics), PIN, book and entry,
parents' names, date ranges, event type and state. Always scoped by `permissions.scoping`.

Names are matched on `Party.name_key` (diacritic-free, lower case) by prefix, which the
`party_name_key` index serves; "nguyen van a" finds "Nguyễn Văn An" and "Nguyễn Văn Ánh".

A name search takes at most `MATCH_CAP` people: the first ones in name order among those in the
user's units (`name_matches`, one index-only scan: the index holds name, record and unit path).
Their records are listed in book and entry order as always. "nguyen van" matches ~80,000 people
of a province: instead of joining every one to its record and sorting them all for a first page,
the page lists the records of the first 1,000 "Nguyễn Văn A…" and says that more people match
(`name_capped`): add the given name or a date of birth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.functional import cached_property

from permissions.roles import ROLE_PERMISSIONS
from permissions.scoping import paths_q, records_visible_to, user_scopes
from registry.entry_numbers import EntryNumber
from registry.matching import PRIMARY_ROLE
from registry.models import ENTRY_ORDER, CivilRecord, Party, PartyRole
from vietnamese.input_values import ascii_digits
from vietnamese.names import name_key

# A name search takes the first 1,000 people who match (by name) and a search is not counted past
# 1,000 records: the page says so and asks for the given name or a date of birth.
MATCH_CAP = 1000


@dataclass
class RecordQuery:
    name: str = ""
    pin: str = ""
    mother: str = ""
    father: str = ""
    book_no: str = ""
    book_year: int | None = None
    entry_no: EntryNumber | int | None = None
    event_type: str = ""
    state: str = ""
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    born_from: dt.date | None = None
    born_to: dt.date | None = None

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f) for f in self.__dataclass_fields__)


def _on_or_after(prefix: str, day: dt.date) -> Q:
    """A partial date (prefix_year/_month/_day) that may fall on or after `day`."""
    y, m, d = f"{prefix}_year", f"{prefix}_month", f"{prefix}_day"
    return (
        Q(**{f"{y}__gt": day.year})
        | Q(**{y: day.year, f"{m}__isnull": True})
        | Q(**{y: day.year, f"{m}__gt": day.month})
        | Q(**{y: day.year, m: day.month, f"{d}__isnull": True})
        | Q(**{y: day.year, m: day.month, f"{d}__gte": day.day})
    )


def _on_or_before(prefix: str, day: dt.date) -> Q:
    y, m, d = f"{prefix}_year", f"{prefix}_month", f"{prefix}_day"
    return (
        Q(**{f"{y}__lt": day.year})
        | Q(**{y: day.year, f"{m}__isnull": True})
        | Q(**{y: day.year, f"{m}__lt": day.month})
        | Q(**{y: day.year, m: day.month, f"{d}__isnull": True})
        | Q(**{y: day.year, m: day.month, f"{d}__lte": day.day})
    )


def narrowed(queryset: QuerySet[Any], **lookups: Any) -> QuerySet[Any]:
    """`queryset` filtered by each lookup whose value was given (None, "" and 0 mean "any")."""
    given = {lookup: value for lookup, value in lookups.items() if value not in (None, "", 0)}
    return queryset.filter(**given) if given else queryset


def party_exists(**filters) -> Exists:
    """A record has a person matching `filters` (a filter without joining, so without duplicates)."""
    return Exists(Party.objects.filter(record=OuterRef("pk"), **filters))


def name_matches(user, name: str, permission: str = "view_records") -> QuerySet[Party]:
    """People whose name starts with `name` (diacritics ignored) under the units where `user` holds
    `permission`, in name order. The unit filter only narrows: `records_visible_to` decides."""
    people = Party.objects.filter(name_key__startswith=name_key(name))
    if not getattr(user, "is_superuser", False):
        seen = [s.unit_path for s in user_scopes(user) if permission in ROLE_PERMISSIONS[s.role]]
        people = people.filter(paths_q(seen, "unit_path"))
    return people.order_by("name_key", "record_id")


def name_capped(user, query: RecordQuery) -> bool:
    """Do more than `MATCH_CAP` people in the user's units match the query's name (so that the
    search lists the records of the first `MATCH_CAP` of them only)?"""
    if not (query.name and name_key(query.name)):
        return False
    return more_than_cap(name_matches(user, query.name))


def more_than_cap(people: QuerySet[Party]) -> bool:
    """Do more than `MATCH_CAP` people match (counting no further than one past the cap)?"""
    return people.values("pk")[: MATCH_CAP + 1].count() > MATCH_CAP


def records_search(user, query: RecordQuery) -> QuerySet[CivilRecord]:
    """Records visible to `user` that match every criterion given, ordered by book and entry.
    A name takes the first `MATCH_CAP` people who match it, in name order (`name_capped`)."""
    records = records_visible_to(user)
    if query.name and name_key(query.name):
        first = name_matches(user, query.name).values("record_id")[:MATCH_CAP]
        records = records.filter(pk__in=first)
    if query.pin:
        records = records.filter(party_exists(pin=ascii_digits("".join(query.pin.split()))))
    for role, text in ((PartyRole.MOTHER, query.mother), (PartyRole.FATHER, query.father)):
        if text and name_key(text):
            records = records.filter(party_exists(role=role, name_key__startswith=name_key(text)))
    if query.book_no:
        records = records.filter(book__book_no=query.book_no.strip())
    if query.book_year:
        # A book that runs across years is found by any of its years.
        records = records.filter(
            Q(book__year=query.book_year)
            | Q(book__year__lt=query.book_year, book__year_to__gte=query.book_year)
        )
    if query.entry_no:
        # "15" finds 15 and the cases squeezed in under it (15a, 15 bis); "15a" finds that one.
        entry = (
            query.entry_no if isinstance(query.entry_no, EntryNumber) else EntryNumber(int(query.entry_no))
        )
        records = records.filter(entry_no=entry.number)
        if entry.suffix:
            records = records.filter(entry_suffix=entry.suffix)
    if query.event_type:
        records = records.filter(event_type=query.event_type)
    if query.state:
        records = records.filter(state=query.state)
    if query.registered_from:
        records = records.filter(_on_or_after("reg", query.registered_from))
    if query.registered_to:
        records = records.filter(_on_or_before("reg", query.registered_to))
    if query.born_from or query.born_to:
        born = Q(role__in=set(PRIMARY_ROLE.values()))
        if query.born_from:
            born &= _on_or_after("birth", query.born_from)
        if query.born_to:
            born &= _on_or_before("birth", query.born_to)
        records = records.filter(Exists(Party.objects.filter(born, record=OuterRef("pk"))))
    return records.select_related("book", "unit").order_by("book__year", "book_id", *ENTRY_ORDER)


class CappedPaginator(Paginator):
    """Pages of a search, counted up to `MATCH_CAP` (a count of 80,000 matches costs what the
    search does; past 1,000 the user narrows the search rather than pages). `capped` says that
    more than `MATCH_CAP` records match; then only the first `MATCH_CAP` are paged.
    `name_capped`: the search took the first `MATCH_CAP` people of its name only."""

    cap = MATCH_CAP

    def __init__(self, records: QuerySet[CivilRecord], per_page: int, *, name_capped: bool = False):
        super().__init__(records, per_page)
        self.records = records
        self.name_capped = name_capped

    @cached_property
    def _counted(self) -> int:
        # In no order: "the first 1,001 in book order" would sort every match first.
        return self.records.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
