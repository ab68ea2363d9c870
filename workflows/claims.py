"""Claiming work items: claim one, claim the next N, release, reassign, expire idle claims.

Every change takes the process row FOR UPDATE (the row viewflow's
`select_for_update_lock` locks), re-reads the task under that lock and only then
decides, so two people never hold the same task: whoever comes second is told
who has it. Claiming next locks the items and their process rows with SKIP LOCKED
instead, passing over what someone else is taking at that moment. Claims expire
after settings.CLAIM_IDLE_MINUTES without activity and go back to the queue. Each
claim, release, reassignment and expiry is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.models import UnitRole
from permissions.roles import roles_with
from permissions.scoping import can, contract_paths, scopes_with
from registry.models import LEVEL_RANK, CivilRecord, UnitLevel
from workflows import live
from workflows.flows import claim_is_live, display_name, idle_limit, keying_of, local_text
from workflows.four_eyes import four_eyes_refusal, record_authors, task_excluded
from workflows.keying import keying_refusal
from workflows.late_scan import scan_check_refusal
from workflows.models import KEYING_STAGES, QUEUE_Q, STAGE_PERMISSION, RecordProcess, RecordTask, Stage

MAX_CLAIM_NEXT = 50
# What claiming next reads of each item: the checks, the audit row, the live push, the caller's list.
CLAIM_NEXT_FIELDS = (
    "status",
    "owner_id",
    "stage",
    "unit_id",
    "unit_path",
    "record_id",
    "book_id",
    "entry_no",
    "min_rank",
    "excluded_user_id",
    "excluded_user_ids",
)


class ClaimRefused(Exception):
    """The work item cannot be claimed or acted on by this person now; the message says why and what to do."""


def may_take(user: Actor, task: RecordTask) -> str | None:
    """Why `user` may not work on `task` (roles, unit, competence, four eyes), or None if they may."""
    if getattr(user, "is_superuser", False):
        return None
    permission = STAGE_PERMISSION[Stage(task.stage)]
    if not can(user, permission, task.unit_path):
        return _("Your roles do not include this stage (%(stage)s) for this unit.") % {
            "stage": task.get_stage_display()
        }
    confined = contract_paths(user)
    if confined is not None and not any(task.unit_path.startswith(p) for p in confined):
        return _("This unit is not covered by your digitization contract.")
    if task.min_rank and not any(
        s.covers(task.unit_path) and s.rank >= task.min_rank for s in scopes_with(user, permission)
    ):
        return _("This record is approved at a higher level than your approval role.")
    if task.stage == Stage.SCAN_CHECK and task.excluded_user_id == user.pk:
        return scan_check_refusal(user, {"by": task.excluded_user_id})
    if task.stage in KEYING_STAGES and user.pk in task_excluded(task):
        process = RecordProcess.objects.only("data").get(pk=task.process_id)
        return keying_refusal(user, keying_of(process), task.stage) or _(
            "You keyed this case, so someone else must do this step (double keying)."
        )
    if user.pk in task_excluded(task):
        record = CivilRecord.objects.only("pk", "entered_by_id", "reviewed_by_id").get(pk=task.record_id)
        return four_eyes_refusal(stage=task.stage, user_id=user.pk, authors=record_authors(record)) or _(
            "You changed this record or its scan, so someone else must check it (four eyes)."
        )
    return None


def may_supervise(user: Actor, task: RecordTask) -> bool:
    """Supervisors (unit managers and approvers over the task's unit) release and reassign others' work."""
    return can(user, "manage_unit", task.unit_path) or can(user, "approve_record", task.unit_path)


def _locked(task: RecordTask | int) -> RecordTask:
    """The task re-read after locking its process row."""
    pk = task.pk if isinstance(task, RecordTask) else task
    process_id = RecordTask.objects.filter(pk=pk).values_list("process_id", flat=True).first()
    if process_id is None:
        raise ClaimRefused(_("This work item no longer exists. Reload the list."))
    process = RecordProcess.objects.select_for_update(no_key=True).get(pk=process_id)
    locked = RecordTask.objects.select_related("owner").get(pk=pk)
    locked.process = process
    return locked


def _finished_message(task: RecordTask) -> str:
    if task.status == STATUS.CANCELED:
        return _("This work item was cancelled (the record was closed). Reload the list.")
    who = display_name(task.owner) if task.owner_id else _("someone else")
    return _("This work item is already done (by %(name)s). Reload the list.") % {"name": who}


def _taken_message(task: RecordTask) -> str:
    return _("Already taken by %(name)s (claimed %(when)s). Choose another case.") % {
        "name": display_name(task.owner),
        "when": local_text(task.assigned),
    }


def _without_waiting_for_the_disk(sql: str) -> str:
    """`sql` preceded by what lets the current claim transaction commit without waiting for its
    WAL flush (sent together: one round trip).

    Every claim appends to one of its unit's audit lanes, whose head row stays locked until
    commit; waiting there for the disk (~3 ms a flush on this class of machine) would hold
    the lane that long. What a crash can lose is the last fraction of a second of claims,
    each with its audit row (the WAL replays in order, so the chains stay whole): those items
    are back in the queue. Record transitions keep the synchronous commit, and so does any
    transaction a claim runs inside of.
    """
    if connection.savepoint_ids:  # inside someone else's transaction: its durability stands
        return sql
    return f"SET LOCAL synchronous_commit TO OFF; {sql}"


def _audit(task: RecordTask, action: AuditAction, actor: Actor | None, **changes: Any) -> None:
    """The claim's audit row, in whichever of the unit's audit lanes no other claim holds now:
    nothing reads claim rows in stream order, so one commune's claims need not wait on each other."""
    audit_change(
        action=action,
        actor=actor,
        unit_id=task.unit_id,
        obj=task,
        record_id=task.record_id,
        changes={"stage": task.stage, **changes},
        any_lane=True,
    )


@transaction.atomic
def task_claim(*, task: RecordTask | int, actor: Actor) -> RecordTask:
    """Take a work item from the queue (or one whose claim expired).

    Refused when it is done or cancelled, held by someone whose claim is live (the
    message names them), or not open to the actor (roles, unit, competence, four eyes).
    Claiming one's own live claim again just renews it.
    """
    task = _locked(task)
    now = timezone.now()
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise ClaimRefused(_finished_message(task))
    if task.owner_id == actor.pk and claim_is_live(task, now):
        task.last_activity = now
        task.save(update_fields=["last_activity"])
        return task
    if task.owner_id and claim_is_live(task, now):
        raise ClaimRefused(_taken_message(task))
    problem = may_take(actor, task)
    if problem:
        raise ClaimRefused(problem)
    previous = task.owner
    activation = task.flow_task.activation_class(task)
    task.assigned = task.last_activity = now
    if task.status == STATUS.NEW:
        activation.assign(actor)
    else:  # an expired claim, taken over
        activation.reassign(actor)
    _audit(
        task,
        AuditAction.TASK_CLAIM,
        actor,
        **({"expired_claim_of": previous.get_username()} if previous else {}),
    )
    live.task_event(task, "claimed", by=actor)
    return task


_ASSIGN = (
    f"UPDATE {RecordTask._meta.db_table} SET owner_id = %s, status = %s, assigned = %s, last_activity = %s "  # noqa: S608
    "WHERE id = ANY(%s)"
)


@transaction.atomic
def tasks_claim_next(*, actor: Actor, queue: QuerySet[RecordTask], count: int) -> list[RecordTask]:
    """Claim up to `count` of the first items of `queue` (a scoped queue of the actor, with filters),
    unit by unit (a unit's own items before its children's), in book and entry order within a
    unit. Returns what was claimed (fewer when the queue runs short).

    One short transaction and one pass: the items and their process rows are locked with
    SKIP LOCKED, so claimers never wait for each other and never take the same item (an item
    someone else is claiming or acting on at this moment is passed over); each is checked
    against the actor's roles, competence and four eyes (already in a scoped queue, so none
    should be refused), assigned in one UPDATE, audited and pushed live.
    """
    count = max(1, min(int(count), MAX_CLAIM_NEXT))
    picked = (
        queue.filter(QUEUE_Q)
        .select_related("process")
        .only(*CLAIM_NEXT_FIELDS, "process__id")
        .select_for_update(no_key=True, skip_locked=True, of=("self", "process"))
        .order_by("unit_path", "book_id", "entry_no", "id")[:count]
    )
    claimed = [task for task in picked if may_take(actor, task) is None]
    if not claimed:
        return []
    now = timezone.now()
    with connection.cursor() as cursor:  # the ORM's UPDATE, without compiling it every claim
        cursor.execute(
            _without_waiting_for_the_disk(_ASSIGN),
            [actor.pk, STATUS.ASSIGNED, now, now, [task.pk for task in claimed]],
        )
    for task in claimed:
        task.owner, task.status, task.assigned, task.last_activity = actor, STATUS.ASSIGNED, now, now
        _audit(task, AuditAction.TASK_CLAIM, actor)
        live.task_event(task, "claimed", by=actor)
    return claimed


@transaction.atomic
def task_release(*, task: RecordTask | int, actor: Actor) -> RecordTask:
    """Put a claimed work item back into the queue. Its holder or a supervisor may."""
    task = _locked(task)
    if task.status != STATUS.ASSIGNED:
        raise ClaimRefused(
            _finished_message(task)
            if task.status not in (STATUS.NEW,)
            else _("This work item is not claimed: it is already in the queue.")
        )
    if task.owner_id != actor.pk and not may_supervise(actor, task):
        raise ClaimRefused(
            _("Only %(name)s or a supervisor can release this.") % {"name": display_name(task.owner)}
        )
    holder = task.owner
    activation = task.flow_task.activation_class(task)
    task.assigned = task.last_activity = None
    activation.unassign()
    _audit(task, AuditAction.TASK_RELEASE, actor, holder=holder.get_username())
    live.task_event(task, "released", by=actor)
    return task


@transaction.atomic
def task_reassign(*, task: RecordTask | int, actor: Actor, to_user: Actor) -> RecordTask:
    """A supervisor gives a work item (claimed or not) to someone who may do it."""
    task = _locked(task)
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise ClaimRefused(_finished_message(task))
    if not may_supervise(actor, task):
        raise ClaimRefused(_("Only a supervisor of %(unit)s can reassign work.") % {"unit": task.unit_path})
    if not to_user.is_active:
        raise ClaimRefused(_("%(name)s is not active.") % {"name": display_name(to_user)})
    problem = may_take(to_user, task)
    if problem:
        raise ClaimRefused(
            _("%(name)s cannot take it: %(why)s") % {"name": display_name(to_user), "why": problem}
        )
    holder = task.owner
    now = timezone.now()
    activation = task.flow_task.activation_class(task)
    task.assigned = task.last_activity = now
    if task.status == STATUS.NEW:
        activation.assign(to_user)
    else:
        activation.reassign(to_user)
    _audit(
        task,
        AuditAction.TASK_REASSIGN,
        actor,
        holder=holder.get_username() if holder else None,
        to=to_user.get_username(),
    )
    live.task_event(task, "claimed", by=to_user)
    live.user_event(to_user.pk, "assigned", task=task.pk, record=task.record_id, by=display_name(actor))
    return task


def task_touch(*, task: RecordTask, actor: Actor) -> None:
    """Renew the actor's live claim (they opened or saved the work)."""
    if task.owner_id == actor.pk and claim_is_live(task):
        task.last_activity = timezone.now()
        RecordTask.objects.filter(pk=task.pk, owner=actor).update(last_activity=task.last_activity)


@transaction.atomic
def claims_expire(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send claims idle for longer than CLAIM_IDLE_MINUTES back to the queue. Returns how many."""
    now = now or timezone.now()
    expired = list(
        RecordTask.objects.filter(status=STATUS.ASSIGNED, last_activity__lt=now - idle_limit()).values_list(
            "pk", "process_id"
        )[:limit]
    )
    if not expired:
        return 0
    locked = set(
        RecordProcess.objects.select_for_update(no_key=True, skip_locked=True)
        .filter(pk__in=[p for _, p in expired])
        .values_list("pk", flat=True)
    )
    tasks = list(
        RecordTask.objects.filter(
            pk__in=[pk for pk, p in expired if p in locked],
            status=STATUS.ASSIGNED,
            last_activity__lt=now - idle_limit(),
        ).select_related("owner")
    )
    for task in tasks:
        holder = task.owner
        RecordTask.objects.filter(pk=task.pk).update(
            owner=None, status=STATUS.NEW, assigned=None, last_activity=None
        )
        _audit(task, AuditAction.TASK_CLAIM_EXPIRED, None, holder=holder.get_username() if holder else None)
        live.task_event(task, "released")
    return len(tasks)


def claim_for_action(*, task: RecordTask, actor: Actor, reclaim: bool = False) -> None:
    """Make sure the actor holds a live claim before acting; with `reclaim`, claim a free item again.

    Refused (message for the form, the user's input is kept) when the item is done, held by
    someone else, or the actor's own claim expired and they did not ask to claim it again.
    """
    task.refresh_from_db()
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise ClaimRefused(_finished_message(task))
    if task.owner_id == actor.pk and claim_is_live(task):
        return
    if task.owner_id and task.owner_id != actor.pk and claim_is_live(task):
        raise ClaimRefused(_taken_message(task))
    if reclaim:
        task_claim(task=task, actor=actor)
        return
    if task.owner_id == actor.pk:
        raise ClaimRefused(
            _(
                "Your claim on this work item expired after %(minutes)d minutes without activity. "
                "Your input is kept below: tick “Claim it for me and save” and submit."
            )
            % {"minutes": settings.CLAIM_IDLE_MINUTES}
        )
    raise ClaimRefused(
        _(
            "You have not claimed this work item (or your claim expired). Your input is kept below: "
            "tick “Claim it for me and save” and submit."
        )
    )


def eligible_users(task: RecordTask) -> QuerySet:
    """Active people who may take the task: a role with the stage's permission on an ancestor unit."""
    ids = [int(p) for p in task.unit_path.strip("/").split("/") if p]
    roles = UnitRole.objects.filter(unit_id__in=ids, role__in=roles_with(STAGE_PERMISSION[Stage(task.stage)]))
    if task.min_rank:
        roles = roles.filter(
            unit__level__in=[lvl for lvl, rank in LEVEL_RANK.items() if rank >= task.min_rank]
            or [UnitLevel.PROVINCE]
        )
    users = get_user_model().objects.filter(is_active=True, groups__unit_role__in=roles).distinct()
    excluded = task_excluded(task)
    if excluded:
        users = users.exclude(pk__in=excluded)
    return users.order_by("username")
