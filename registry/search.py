"""Staff search over records: by name (with or without diacritics), PIN, book and entry,
parents' names, date ranges, event type and state. Always scoped by `permissions.scoping`.

Names are matched on `Party.name_key` (diacritic-free, lower case) by prefix, which the
`party_name_key` index serves; "nguyen van a" finds "Nguyễn Văn An" and "Nguyễn Văn Ánh".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from permissions.scoping import records_visible_to
from registry.entry_numbers import EntryNumber
from registry.matching import PRIMARY_ROLE
from registry.models import ENTRY_ORDER, CivilRecord, Party, PartyRole
from vietnamese.input_values import ascii_digits
from vietnamese.names import name_key


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


def _party(**filters) -> Exists:
    return Exists(Party.objects.filter(record=OuterRef("pk"), **filters))


def records_search(user, query: RecordQuery) -> QuerySet[CivilRecord]:
    """Records visible to `user` that match every criterion given, ordered by book and entry."""
    records = records_visible_to(user)
    if query.name:
        key = name_key(query.name)
        if key:
            records = records.filter(_party(name_key__startswith=key))
    if query.pin:
        records = records.filter(_party(pin=ascii_digits("".join(query.pin.split()))))
    for role, text in ((PartyRole.MOTHER, query.mother), (PartyRole.FATHER, query.father)):
        if text and name_key(text):
            records = records.filter(_party(role=role, name_key__startswith=name_key(text)))
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
