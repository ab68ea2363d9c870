"""The changes of an audit row in words: field labels and readable values instead of codes.

The audit stream keeps machine keys ("party.mother.sex": [null, 2], "superseded": false) so
that it stays verifiable and language-neutral; `change_rows` turns them into the lines the
record history and the audit trail show ("Mother: Sex: — → Female", "Superseded: no").
Keys it does not know are shown as they are, so nothing recorded is ever hidden by a
missing label. Apps above registry label their own values through `VALUE_LABELS` (filled
in `config.wiring`: the workflow stage of a work item).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from registry.event_fields import COMMON_LABELS, PARTY_FIELD_LABELS, field_label
from registry.models import EventType, PartyRole, RecordState, Sex

# Change keys that are not fields of the record, with their labels.
KEY_LABELS = {
    "state": _l("State"),
    "stage": _l("Stage"),
    "remarks": _l("Remarks"),
    "receipt": _l("Receipt of the national database"),
    "duplicate_of": _l("Duplicate of record"),
    "other_record": _l("Other record"),
    "score": _l("Similarity"),
    "status": _l("Decision"),
    "pages": _l("Pages"),
    "size": _l("Size (bytes)"),
    "source": _l("Source"),
    "removed": _l("Removed from the file"),
    "holder": _l("Held by"),
    "to": _l("Given to"),
    "expired_claim_of": _l("Claim expired for"),
    "serial": _l("Serial number"),
    "copies": _l("Copies"),
    "electronic": _l("Electronic copy"),
    "requester": _l("Requester"),
    "requester_document": _l("Requester's identity document"),
    "relationship": _l("Relationship to the person registered"),
    "issuing_unit": _l("Issuing unit"),
    "reprint_no": _l("Reprint number"),
    "reprint_of": _l("Reprint of extract"),
    "superseded": _l("Superseded by a later correction"),
    "imported_as": _l("Imported as"),
    "file": _l("File"),
    "row": _l("Row"),
    "job": _l("Import job"),
    "permission": _l("Permission needed"),
    "batch": _l("Batch"),
    "via": _l("Through"),
    "role": _l("Role"),
    "unit": _l("Unit"),
    "unit_name": _l("Unit name"),
    "book": _l("Book"),
    "year": _l("Year"),
    "event_type": _l("Event type"),
    "approved": _l("Approved"),
    "refused": _l("Refused"),
    "page": _l("Page"),
    "kind": _l("Kind"),
    "records": _l("Records"),
    "rows": _l("Rows"),
    "items": _l("Items"),
    "files": _l("Files"),
    "cases": _l("Cases"),
    "target": _l("Target"),
    "resident": _l("Resident"),
    "name": _l("Name"),
    "mother": _l("Mother"),
    "father": _l("Father"),
    "book_no": _l("Book number"),
    "book_year": _l("Book year"),
    "entry_no": _l("Entry number"),
    "reg_year": _l("Registration date (year)"),
    "reg_month": _l("Registration date (month)"),
    "reg_day": _l("Registration date (day)"),
    "event_year": _l("Date of the event (year)"),
    "event_month": _l("Date of the event (month)"),
    "event_day": _l("Date of the event (day)"),
    "as_written": _l("Confirmed as written in the book"),
}
BIRTH_PARTS = {"birth_year": _l("year"), "birth_month": _l("month"), "birth_day": _l("day")}
# Technical values kept for verification, not for reading.
HIDDEN = {"identity_key", "dedup_keys", "sha256", "original_sha256"}

# Labels of values that belong to apps above registry, by change key: value → label, or None
# when the function does not know the value (then it is shown as it is). See config.wiring.
VALUE_LABELS: dict[str, Callable[[Any], str | None]] = {}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str | None  # None: a value, not an old → new pair


def change_rows(event_type: str | None, changes: dict[str, Any]) -> list[Change]:
    """The changes of one audit row, state first, in words.

    `event_type` is the type of the record the row concerns (its fields are labelled as its
    register names them), or None for rows about no record.
    """
    rows = []
    for key, value in sorted((changes or {}).items(), key=lambda kv: (kv[0] != "state", kv[0])):
        if key in HIDDEN:
            continue
        if key == "details" and _is_pair(value):
            rows += _detail_changes(event_type, value[0] or {}, value[1] or {})
            continue
        label = key_label(event_type, key)
        if _is_pair(value):
            rows.append(
                Change(label, value_text(event_type, key, value[0]), value_text(event_type, key, value[1]))
            )
        else:
            rows.append(Change(label, value_text(event_type, key, value), None))
    return rows


def key_label(event_type: str | None, key: str) -> str:
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    if key.startswith("party."):
        parts = key.split(".")
        if len(parts) == 3 and parts[2] in BIRTH_PARTS:
            return f"{_field_label(event_type, f'party.{parts[1]}.birth_date')} ({BIRTH_PARTS[parts[2]]})"
    return _field_label(event_type, key)


def value_text(event_type: str | None, key: str, value: Any) -> str:
    if key in VALUE_LABELS and (label := VALUE_LABELS[key](value)) is not None:
        return label
    if key in ("state", "imported_as", "target_state") and value in RecordState.values:
        return str(RecordState(value).label)
    if key == "event_type" and value in EventType.values:
        return str(EventType(value).label)
    if key.endswith(".sex") and value in Sex.values:
        return str(Sex(value).label)
    if key in ("as_written", "not_in_book") and isinstance(value, list):
        return ", ".join(_field_label(event_type, str(k)) for k in value) or "—"
    if key == "remarks" and isinstance(value, dict):
        return "; ".join(f"{_remark_label(event_type, k)}: {_text(v)}" for k, v in value.items()) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "—"
    return _text(value)


def _field_label(event_type: str | None, key: str) -> str:
    if event_type in EventType.values:
        return field_label(event_type, key)
    parts = key.split(".")
    if parts[0] == "party" and len(parts) > 1:  # no record: the role and field without the register's words
        role = str(PartyRole(parts[1]).label) if parts[1] in PartyRole.values else parts[1]
        return f"{role}: {PARTY_FIELD_LABELS.get(parts[2], parts[2])}" if len(parts) > 2 else role
    return str(COMMON_LABELS.get(key, key))


def _detail_changes(event_type: str | None, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return [
        Change(_field_label(event_type, f"details.{k}"), _text(old.get(k)), _text(new.get(k)))
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def _remark_label(event_type: str | None, key: str) -> str:
    """Remarks are keyed as the review form names fields: "mother.full_name", "page_no"."""
    role = key.split(".", 1)[0]
    return _field_label(event_type, f"party.{key}" if role in PartyRole.values else key)


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _text(value: Any) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)
