"""A record's history as people read it: what was done, by whom, and what changed, in words.

The audit stream keeps machine codes ("enter", "party.mother.sex": [null, 2]) so that it
stays verifiable and language-neutral; this module turns one record's change rows into
the lines its page shows ("Enter data", "Mother: Sex: — → Female"). Codes it does not
know are shown as they are, so nothing recorded is ever hidden by a missing label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _l

from audit.models import AuditEvent
from registry.event_fields import field_label
from registry.models import CivilRecord, PartyRole, RecordState, Sex
from workflows.machine import EVENT_LABELS
from workflows.models import Stage

ACTION_LABELS = {
    **EVENT_LABELS,
    "return": _l("Return for rework"),
    "edit": _l("Data saved"),
    "scan_upload": _l("Scan uploaded"),
    "task_claim": _l("Work item claimed"),
    "task_claim_expired": _l("Claim expired"),
    "task_release": _l("Work item released"),
    "task_reassign": _l("Work item reassigned"),
    "duplicate_decision": _l("Likely duplicate decided"),
    "extract_issue": _l("Extract issued"),
    "extract_reprint": _l("Extract reprinted"),
    "import": _l("Imported from a file"),
    "reconcile_fix_record": _l("Corrected from the population database"),
    "reconcile_keep_ours": _l("Kept after comparison with the population database"),
}

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
    "expired_claim_of": _l("Claim expired for"),
    "serial": _l("Serial number"),
    "copies": _l("Copies"),
    "imported_as": _l("Imported as"),
    "file": _l("File"),
    "row": _l("Row"),
    "job": _l("Import job"),
    "reg_year": _l("Registration date (year)"),
    "reg_month": _l("Registration date (month)"),
    "reg_day": _l("Registration date (day)"),
    "event_year": _l("Date of the event (year)"),
    "event_month": _l("Date of the event (month)"),
    "event_day": _l("Date of the event (day)"),
}
# A return names the stage that must redo the work as the return form does.
RETURN_STAGES = {"entry": Stage.ENTER, "scan": Stage.SCAN}
BIRTH_PARTS = {"birth_year": _l("year"), "birth_month": _l("month"), "birth_day": _l("day")}
# Technical values kept for verification, not for reading.
HIDDEN = {"identity_key", "dedup_keys", "sha256", "original_sha256"}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str | None  # None: a value, not an old → new pair


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    action: str
    changes: list[Change]


def record_history(record: CivilRecord, events: Iterable[AuditEvent]) -> list[HistoryEntry]:
    """The record's change rows, oldest first, in words."""
    return [
        HistoryEntry(
            event=e,
            action=str(ACTION_LABELS.get(e.action, e.action)),
            changes=_changes(record.event_type, e.changes or {}),
        )
        for e in events
    ]


def _changes(event_type: str, changes: dict[str, Any]) -> list[Change]:
    rows = []
    for key, value in sorted(changes.items(), key=lambda kv: (kv[0] != "state", kv[0])):
        if key in HIDDEN:
            continue
        if key == "details" and _is_pair(value):
            rows += _detail_changes(event_type, value[0] or {}, value[1] or {})
            continue
        label = _key_label(event_type, key)
        if _is_pair(value):
            rows.append(Change(label, _value(event_type, key, value[0]), _value(event_type, key, value[1])))
        else:
            rows.append(Change(label, _value(event_type, key, value), None))
    return rows


def _detail_changes(event_type: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return [
        Change(field_label(event_type, f"details.{k}"), _text(old.get(k)), _text(new.get(k)))
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def _key_label(event_type: str, key: str) -> str:
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    if key.startswith("party."):
        parts = key.split(".")
        if len(parts) == 3 and parts[2] in BIRTH_PARTS:
            return f"{field_label(event_type, f'party.{parts[1]}.birth_date')} ({BIRTH_PARTS[parts[2]]})"
    return field_label(event_type, key)


def _value(event_type: str, key: str, value: Any) -> str:
    if key in ("state", "imported_as") and value in RecordState.values:
        return str(RecordState(value).label)
    if key == "stage":
        stage = RETURN_STAGES.get(value, value)
        return str(Stage(stage).label) if stage in Stage.values else _text(value)
    if key.endswith(".sex") and value in Sex.values:
        return str(Sex(value).label)
    if key == "remarks" and isinstance(value, dict):
        return "; ".join(f"{_remark_label(event_type, k)}: {_text(v)}" for k, v in value.items()) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "—"
    return _text(value)


def _remark_label(event_type: str, key: str) -> str:
    """Remarks are keyed as the review form names fields: "mother.full_name", "page_no"."""
    role = key.split(".", 1)[0]
    return field_label(event_type, f"party.{key}" if role in PartyRole.values else key)


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def changes_since_return(record: CivilRecord) -> dict[str, tuple[Any, Any]]:
    """What the data looked like when the record was last returned, and what it is now, per
    changed field (keys as the services write them: "party.mother.pin", "details.x",
    "registration_date"). Empty when the record was never returned."""
    events = AuditEvent.objects.filter(record_id_value=record.pk, kind="change").order_by("seq")
    last_return = events.filter(action="return").values_list("seq", flat=True).last()
    if last_return is None:
        return {}
    changed: dict[str, tuple[Any, Any]] = {}
    for changes in events.filter(seq__gt=last_return).values_list("changes", flat=True):
        for key, value in (changes or {}).items():
            if key in ("state", "version") or not _is_pair(value):
                continue
            old = changed[key][0] if key in changed else value[0]
            changed[key] = (old, value[1])
    return {key: pair for key, pair in changed.items() if pair[0] != pair[1]}
