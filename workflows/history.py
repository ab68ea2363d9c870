"""A record's history as people read it: what was done, by whom, and what changed, in words.

The audit stream keeps machine codes ("enter", "party.mother.sex": [null, 2]) so that it
stays verifiable and language-neutral; this module turns one record's change rows into
the lines its page shows ("Enter data", "Mother: Sex: — → Female"): the action's
`AuditAction` label and the changes as `registry.change_labels` words them (the audit
trail page uses the same), with the workflow stages labelled here (`stage_label`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from audit.actions import AuditAction
from audit.models import AuditEvent
from registry.change_labels import Change, change_rows
from registry.models import CivilRecord
from workflows.models import Stage

# A return names the stage that must redo the work as the return form does.
RETURN_STAGES = {"entry": Stage.ENTER, "scan": Stage.SCAN}


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    action: str
    changes: list[Change]


def record_history(record: CivilRecord, events: Iterable[AuditEvent]) -> list[HistoryEntry]:
    """The record's change rows, oldest first, in words."""
    return [
        HistoryEntry(
            event=e, action=e.get_action_display(), changes=change_rows(record.event_type, e.changes or {})
        )
        for e in events
    ]


def stage_label(value: Any) -> str | None:
    """The label of a work item's stage (or of the stage a return sends the record back to)."""
    stage = RETURN_STAGES.get(value, value)
    return str(Stage(stage).label) if stage in Stage.values else None


def changes_since_return(record: CivilRecord) -> dict[str, tuple[Any, Any]]:
    """What the data looked like when the record was last returned, and what it is now, per
    changed field (keys as the services write them: "party.mother.pin", "details.x",
    "registration_date"). Empty when the record was never returned."""
    # In the order they were written: a record's rows may lie on several lanes of its unit
    # (audit.streams), each numbered on its own, so `seq` orders them only within one lane.
    events = list(
        AuditEvent.objects.filter(record_id_value=record.pk, kind="change")
        .order_by(*AuditEvent.CHRONOLOGICAL)
        .values_list("action", "changes")
    )
    returns = [n for n, (action, _changes) in enumerate(events) if action == AuditAction.RETURN]
    if not returns:
        return {}
    changed: dict[str, tuple[Any, Any]] = {}
    for _action, changes in events[returns[-1] + 1 :]:
        for key, value in (changes or {}).items():
            if key in ("state", "version") or not (isinstance(value, list) and len(value) == 2):
                continue
            old = changed[key][0] if key in changed else value[0]
            changed[key] = (old, value[1])
    return {key: pair for key, pair in changed.items() if pair[0] != pair[1]}
