"""Reads for the entry screen: the next case, values carried forward, candidates to show."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

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


def outside_scope_notice() -> dict[str, Any]:
    """What a user learns of likely duplicates outside their units: that there is one, nothing
    else (no unit, name, score or reasons, one notice however many), so that the check cannot be
    used to find out who is registered where. The pair goes to a supervisor who may see both
    (`registry.matching.duplicate_pairs_refresh` routes it)."""
    return {
        "visible": False,
        "message": _("A likely duplicate exists in another unit; a supervisor has been asked."),
    }


def candidates_for_display(user: Actor, candidates: list[Candidate]) -> list[dict[str, Any]]:
    """What a user may see of the likely duplicates: everything of those in their scope, and one
    `outside_scope_notice` for all the others together (two queries)."""
    if not candidates:
        return []
    records = CivilRecord.objects.select_related("book", "unit").in_bulk([c.record_id for c in candidates])
    names = {
        p.record_id: p
        for p in Party.objects.filter(record_id__in=list(records), role__in=set(PRIMARY_ROLE.values()))
    }
    shown = []
    outside = False
    for candidate in candidates:
        record = records.get(candidate.record_id)
        if record is None:
            continue
        if not can(user, "view_records", record.unit_path):
            outside = True
            continue
        party = names.get(record.pk)
        shown.append(
            {
                "visible": True,
                "score": candidate.score,
                "reasons": [str(r) for r in candidate.reasons],
                "unit": record.unit.name,
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
    if outside:
        shown.append(outside_scope_notice())
    return shown
