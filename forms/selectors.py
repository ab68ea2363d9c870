"""Reads for the entry screen: the next case, values carried forward, candidates to show."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from audit.actors import Actor
from permissions.scoping import can
from registry.event_fields import CARRY_FORWARD_FIELDS
from registry.matching import PRIMARY_ROLE, Candidate
from registry.models import CivilRecord, Party, RecordState
from registry.partial_dates import PartialDate


def next_case_for(user: Actor, record: CivilRecord) -> CivilRecord | None:
    """The next case of the same book waiting for data entry (scanned), if the user may enter it."""
    if not can(user, "enter_record", record.unit_path):
        return None
    return (
        CivilRecord.objects.filter(
            book_id=record.book_id, entry_no__gt=record.entry_no, state=RecordState.SCANNED
        )
        .order_by("entry_no")
        .first()
    )


def carried_forward(record: CivilRecord) -> dict[str, str]:
    """Registration place, signer and title of the closest earlier case of the book that has them."""
    if any(getattr(record, f) for f in CARRY_FORWARD_FIELDS):
        return {}
    previous = (
        CivilRecord.objects.filter(book_id=record.book_id, entry_no__lt=record.entry_no)
        .exclude(**{f: "" for f in CARRY_FORWARD_FIELDS})
        .order_by("-entry_no")
        .values(*CARRY_FORWARD_FIELDS)
        .first()
    )
    return {k: v for k, v in (previous or {}).items() if v}


def candidates_for_display(user: Actor, candidates: list[Candidate]) -> list[dict[str, Any]]:
    """What a user may see of each likely duplicate: everything if the record is in their scope,
    otherwise only where it is and how alike it is (two queries)."""
    if not candidates:
        return []
    records = CivilRecord.objects.select_related("book", "unit").in_bulk([c.record_id for c in candidates])
    names = {
        p.record_id: p
        for p in Party.objects.filter(record_id__in=list(records), role__in=set(PRIMARY_ROLE.values()))
    }
    shown = []
    for candidate in candidates:
        record = records.get(candidate.record_id)
        if record is None:
            continue
        item: dict[str, Any] = {
            "score": candidate.score,
            "reasons": [str(r) for r in candidate.reasons],
            "unit": record.unit.name,
            "visible": can(user, "view_records", record.unit_path),
        }
        if item["visible"]:
            party = names.get(record.pk)
            item.update(
                {
                    "id": record.pk,
                    "url": reverse("record_detail", args=[record.pk]),
                    "book": str(record.book),
                    "entry_no": record.entry_label,
                    "state": record.get_state_display(),
                    "name": party.full_name if party else "",
                    "birth_date": str(PartialDate(party.birth_year, party.birth_month, party.birth_day))
                    if party
                    else "",
                }
            )
        shown.append(item)
    return shown
