"""The short path of a late scan: a scan added to an approved or transferred case (seed 002:
"bổ sung đính kèm bản scan … nhập bù").

    upload (scans.intake.scan_store_late) ─► scan_check ─┬─ passed ───► end: the transfer sends the scan
                                                ▲         └─ returned ─► late_scan: uploaded again ─┐
                                                └───────────────────────────────────────────────────┘

The record's data and state do not move: nothing is keyed, reviewed or approved again, and an
approved or transferred record stays so. The scan is checked by a reviewer of the record's unit
who did not upload it (four eyes: `scan_check_refusal`, the one place this rule is decided for the
check; the task also carries the uploader as its excluded person, so the inboxes and claims apply
the same rule). The work items are tasks of the record's viewflow process (`workflows.flows`:
the `scan_check` and `late_scan` nodes, routed by the process's `late_scan` data), so they are in
the inboxes, claimable and returned like every other stage. When the check passes, the record's
version moves on (its scan changed) and `LATE_SCAN_HOOKS` run: the scan becomes the case's scan
(scans) and goes to the national database (transfer).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.scoping import can
from registry.models import CivilRecord, RecordState
from workflows.flows import (
    RecordFlow,
    claim_is_live,
    display_name,
    late_scan_of,
    local_text,
    open_task_of,
    task_complete,
)
from workflows.hooks import LATE_SCAN_HOOKS
from workflows.machine import TransitionRefused
from workflows.models import RecordTask, Stage

# A record whose data is final: a scan added to it takes the short path.
LATE_SCAN_STATES = (RecordState.APPROVED.value, RecordState.TRANSFERRED.value)


def scan_check_refusal(actor: Actor, late: dict[str, Any]) -> str | None:
    """Four eyes on a late scan: whoever uploaded it may not check it. The reason, or None."""
    if actor is not None and late.get("by") == actor.pk:
        return _("You uploaded this scan, so someone else must check it (four eyes).")
    return None


def _held_by_other(task: RecordTask, actor: Actor) -> None:
    if claim_is_live(task) and task.owner_id != actor.pk:
        raise TransitionRefused(
            _("%(name)s is working on this (claimed %(when)s). Ask them, or a supervisor, to release it.")
            % {"name": display_name(task.owner), "when": local_text(task.assigned)}
        )


def late_scan_refusal(record: CivilRecord) -> str | None:
    """Why a late scan cannot be added to the record now (its state, a check already waiting), or None.
    Call with the record locked (inside the upload's transaction) for an answer that holds."""
    if record.state not in LATE_SCAN_STATES:
        return _(
            "A scan is added this way only to an approved or transferred case; this one is “%(state)s”."
        ) % {"state": record.get_state_display()}
    task = open_task_of(record)
    if task is not None and task.stage != Stage.LATE_SCAN:
        return _(
            "A late scan of this case is already waiting for its check. "
            "Wait for the check, or ask the reviewer to return it."
        )
    return None


def late_scan_start(*, record: CivilRecord, scan_id: int, actor: Actor) -> RecordTask:
    """Open the check of a late scan just stored (called by `scans.intake.scan_store_late` in its
    transaction, with the record locked). A first late scan starts a process; a scan uploaded again
    after a return completes the returned upload task. Returns the check task.

    Refused (`TransitionRefused`) as `late_scan_refusal` says, and when someone else holds the returned
    upload task.
    """
    problem = late_scan_refusal(record)
    if problem:
        raise TransitionRefused(problem)
    late = {"scan": scan_id, "by": actor.pk, "by_name": display_name(actor), "step": "check"}
    task = open_task_of(record)
    if task is None:
        RecordFlow.start.run(record=record, _process_data={"late_scan": late})
    else:
        _held_by_other(task, actor)
        process = task.process
        process.record = record
        process.data = {**(process.data or {}), "late_scan": late}
        process.save(update_fields=["data"])
        task_complete(task, actor=actor, outcome="done")
    check = open_task_of(record)
    assert check is not None and check.stage == Stage.SCAN_CHECK
    return check


@transaction.atomic
def late_scan_check(
    *, record: CivilRecord | int, actor: Actor, passed: bool, reason: str = ""
) -> CivilRecord:
    """The reviewer's decision on a late scan: it is this case's page and legible (`passed`), or it
    goes back to whoever uploaded it with `reason`.

    Refused (`TransitionRefused`) when no late scan is waiting for a check, to someone without the
    review role on the record's unit, to whoever uploaded the scan (four eyes), while someone else
    holds the check, and on a return without a reason. The record's state never changes; a pass
    moves its version on (its scan changed).
    """
    pk = record.pk if isinstance(record, CivilRecord) else record
    record = (
        CivilRecord.objects.select_for_update(no_key=True, of=("self",))
        .select_related("book", "unit")
        .get(pk=pk)
    )
    task = open_task_of(record)
    if task is None or task.stage != Stage.SCAN_CHECK:
        raise TransitionRefused(_("No late scan of this case is waiting for a check. Reload the page."))
    if not can(actor, "review_record", record.unit_path):
        raise TransitionRefused(
            _("Your roles do not allow this action on records of %(unit)s.") % {"unit": record.unit.name}
        )
    process = task.process
    process.record = record
    late = dict(late_scan_of(process))
    problem = scan_check_refusal(actor, late)
    if problem:
        raise TransitionRefused(problem)
    _held_by_other(task, actor)
    reason = (reason or "").strip()
    if not passed and not reason:
        raise TransitionRefused(_("Give a reason: it is shown to the person who must act on it."))
    now = timezone.now()
    late.update(
        step="done" if passed else "rework",
        reason=reason,
        checked_by=actor.pk,
        checked_by_name=display_name(actor),
        checked_at=now.isoformat(),
    )
    process.data = {**(process.data or {}), "late_scan": late}
    process.save(update_fields=["data"])
    if passed:
        record.version += 1
        record.save(update_fields=["version", "updated_at"])
    audit_change(
        action=AuditAction.SCAN_CHECK_PASS if passed else AuditAction.SCAN_CHECK_RETURN,
        actor=actor,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"scan": late["scan"], "uploaded_by": late.get("by_name", "")},
        reason=reason,
    )
    task_complete(task, actor=actor, outcome="done" if passed else "returned")
    for hook in LATE_SCAN_HOOKS:
        hook(record, late["scan"], "passed" if passed else "returned", actor, reason)
    return record
