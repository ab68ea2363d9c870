"""Four eyes: nobody checks what they changed themselves.

Who changed a case is read from the audit trail, the one record of every save: each path that
writes a case's data (the entry form and its autosave, `record_data_save`, `record_enter`,
`record_amend`, an import, a correction from the population database) or its scan (upload,
replacement, the scan and attach stages) writes its audit row in the same transaction as the
data, under the record's id. A second table written beside it would be a second truth that a
new path could forget; the trail cannot be skipped without the change going unaudited, which is
itself refused by the hash chain's verification. It is indexed by record (`audit_record`).

The round that counts is everything since the data was last approved (or imported as approved):
whoever saved data in it may neither review nor approve it; whoever uploaded, replaced or
attached the scan in it may not check it (review, the scan check); whoever reviewed it may not
approve it. `four_eyes_refusal` is the one rule: the state machine's validators, the claims
(`workflows.claims.may_take`), the queue (the task's `excluded_user_ids`, filled from
`record_authors`) and the pages all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.models import AuditEvent, AuditKind

# Audit actions that write a case's data, and those that put or confirm its scan.
DATA_ACTIONS = (
    AuditAction.ENTER,
    AuditAction.EDIT,
    AuditAction.AMEND,
    AuditAction.IMPORT,
    AuditAction.RECONCILE_FIX_RECORD,
    AuditAction.KEYING_SUBMIT,  # each keying of a double-keyed case (workflows.keying)
)
SCAN_ACTIONS = (AuditAction.SCAN_UPLOAD, AuditAction.SCAN, AuditAction.ATTACH)
# The checks four eyes guards (the scan check is the review of a late scan).
REVIEW, APPROVE, SCAN_CHECK = "review", "approve", "scan_check"


@dataclass(frozen=True)
class Authors:
    """Who changed the case in the current round: its data, its scan, and who reviewed it."""

    data: frozenset[int] = frozenset()
    scan: frozenset[int] = frozenset()
    reviewer: int | None = None

    def excluded_from(self, stage: str) -> list[int]:
        """Everyone the rule refuses for `stage`, sorted (what a work item's queue filter holds)."""
        people: set[int] = set()
        if stage in (REVIEW, APPROVE, SCAN_CHECK):
            people |= self.data
        if stage in (REVIEW, SCAN_CHECK):
            people |= self.scan
        if stage == APPROVE and self.reviewer is not None:
            people.add(self.reviewer)
        return sorted(people)

    @classmethod
    def from_columns(cls, record: Any) -> Authors:
        """The people the record's own columns name (who entered, who reviewed): the least the
        trail holds, used when a check has no trail to read (the machine on an unsaved record)."""
        entered = getattr(record, "entered_by_id", None)
        return cls(
            data=frozenset({entered} if entered else ()),
            reviewer=getattr(record, "reviewed_by_id", None),
        )

    def __or__(self, other: Authors) -> Authors:
        return Authors(
            data=self.data | other.data,
            scan=self.scan | other.scan,
            reviewer=self.reviewer if self.reviewer is not None else other.reviewer,
        )


@cache
def _round_sql() -> str:
    """The audit rows `_round_rows` reads, on the trail's (record, seq) index; written once (the
    query runs at attach, review and approval: compiling it cost more than running it)."""
    return (
        'SELECT "record_id", "action", "actor_id", "changes" ->> %s '  # noqa: S608 - names from the model
        f'FROM "{AuditEvent._meta.db_table}" WHERE "record_id" = ANY(%s) AND "kind" = %s '
        'AND "action" = ANY(%s) ORDER BY "record_id", "at", "seq"'
    )


def _round_rows(record_ids: list[int]) -> dict[int, list[tuple[str, int | None]]]:
    """Per record, the (action, actor) of its data and scan saves since its last approval, in order."""
    actions = [str(a) for a in (*DATA_ACTIONS, *SCAN_ACTIONS, AuditAction.APPROVE)]
    with connection.cursor() as cursor:
        cursor.execute(_round_sql(), ["imported_as", list(record_ids), str(AuditKind.CHANGE), actions])
        rows = cursor.fetchall()
    rounds: dict[int, list[tuple[str, int | None]]] = {pk: [] for pk in record_ids}
    for record_id, action, actor_id, imported_as in rows:
        if record_id is None:
            continue
        if action == AuditAction.APPROVE or (action == AuditAction.IMPORT and imported_as == "approved"):
            rounds[record_id] = []  # a new round starts after each approval
        else:
            rounds[record_id].append((action, actor_id))
    return rounds


def authors_of(records: list[Any]) -> dict[int, Authors]:
    """`record_authors` for many records in one query (starting work items in bulk)."""
    if not records:
        return {}
    rounds = _round_rows([r.pk for r in records])
    found = {}
    for record in records:
        rows = rounds.get(record.pk, [])
        found[record.pk] = Authors.from_columns(record) | Authors(
            data=frozenset(a for action, a in rows if a is not None and action in DATA_ACTIONS),
            scan=frozenset(a for action, a in rows if a is not None and action in SCAN_ACTIONS),
        )
    return found


def record_authors(record: Any) -> Authors:
    """Who saved the record's data, who uploaded or attached its scan since it was last approved,
    and who reviewed it (one indexed query on the audit trail)."""
    return authors_of([record])[record.pk]


def four_eyes_refusal(*, stage: str, user_id: int | None, authors: Authors) -> str | None:
    """Why the person may not do the check `stage` on a case with these authors, or None.

    The one rule of four eyes: refused to whoever saved the data since its last approval
    (review, approval, scan check), to whoever uploaded, replaced or attached the scan (review,
    scan check), and to whoever reviewed it (approval)."""
    if user_id is None:
        return None
    if user_id in authors.data and stage in (REVIEW, APPROVE, SCAN_CHECK):
        if stage == APPROVE:
            return _("You changed this record's data, so someone else must approve it (four eyes).")
        return _("You changed this record's data, so someone else must review it (four eyes).")
    if user_id in authors.scan and stage in (REVIEW, SCAN_CHECK):
        return _(
            "You uploaded or attached this case's scan, so someone else must check it against the scan "
            "(four eyes)."
        )
    if stage == APPROVE and user_id == authors.reviewer:
        return _("You reviewed this record, so someone else must approve it (four eyes).")
    return None


def task_excluded(task: Any) -> list[int]:
    """The people a work item's four eyes exclude (rows written before the list: its one person)."""
    if task.excluded_user_ids is not None:
        return list(task.excluded_user_ids)
    return [task.excluded_user_id] if task.excluded_user_id else []
