"""The viewflow flow that hands out the human work on a record, and how it follows the record.

    start ─► route ─┬─ late scan to check ─► scan_check ──┐   (workflows.late_scan: a scan added
                    ├─ late scan returned ─► late_scan ───┤    after approval; routed by the
                    │                                     │    process's data, not the state)
                    ├─ collected ─► scan ────┐
                    ├─ scanned ───► enter ───┤   (double keying, workflows.keying: the first
                    │   keyed once ─► key_second ┤    keying is `enter`; routed by the process's
                    │   disagree ──► arbitrate ──┤    `keying` data while the case is scanned)
                    ├─ entered ───► attach ──┤   every human node goes back to `route`
                    ├─ attached ──► review ──┤
                    ├─ reviewed ──► approve ─┘
                    └─ otherwise ─► end

The record's state machine (`workflows.machine`) is the truth, and only the
transition services (`workflows.services`) call it. This flow follows: the
services run `process_follow` inside their transaction (a TRANSITION_HOOK), which
completes the open task of the stage that was just done and lets `route`
create the next one from the record's new state. So a pass, a return (the state
goes back, `route` sends the work back to the stage that must redo it) and a
refusal end up in the same place whichever page or script called the service,
in the same transaction as the state change. Returned work goes to whoever did
the stage before, when that person is still active and still holds the role.
Rejection and closing as duplicate cancel the process.

A record comes back after approval (a return, an amendment, a refusal by the
national database) with a new process: at most one per record is active.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow import this
from viewflow.workflow import lock
from viewflow.workflow.base import Flow
from viewflow.workflow.nodes import End, StartHandle, Switch, View, ViewActivation
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from audit.actors import Actor
from audit.copying import copy_insert
from permissions.scoping import can
from registry.models import LEVEL_RANK, AdministrativeUnit, CivilRecord, UnitLevel
from workflows import live, statements
from workflows.four_eyes import Authors, authors_of, record_authors
from workflows.hooks import LATE_SCAN_HOOKS
from workflows.models import (
    KEYING_STAGES,
    LATE_STAGES,
    OPEN_Q,
    STAGE_PERMISSION,
    RecordProcess,
    RecordTask,
    Stage,
)

logger = logging.getLogger(__name__)

# The stage that has work for a record in each state.
STATE_STAGE = {
    "collected": Stage.SCAN,
    "scanned": Stage.ENTER,
    "entered": Stage.ATTACH,
    "attached": Stage.REVIEW,
    "reviewed": Stage.APPROVE,
}
# The stage a transition completes.
EVENT_STAGE = {
    "scan": Stage.SCAN,
    "enter": Stage.ENTER,
    "attach": Stage.ATTACH,
    "review": Stage.REVIEW,
    "approve": Stage.APPROVE,
}
CLOSING_EVENTS = ("reject", "mark_duplicate", "cross_out")
# The stages four eyes guards.
FOUR_EYES_STAGES = (Stage.REVIEW, Stage.APPROVE)
# How long a stage may take before its work item is overdue; returned work is due sooner.
DUE_HOURS = {
    Stage.SCAN: 72,
    Stage.ENTER: 72,
    Stage.ATTACH: 24,
    Stage.REVIEW: 48,
    Stage.APPROVE: 48,
    Stage.SCAN_CHECK: 48,
    Stage.LATE_SCAN: 72,
    Stage.KEY_SECOND: 72,
    Stage.ARBITRATE: 48,
}
RETURN_DUE_HOURS = 24
# Who did a stage before, for sending returned work back to them.
DONE_BY = {Stage.SCAN: "scanned_by", Stage.ENTER: "entered_by", Stage.APPROVE: "approved_by"}


class WorkRefused(Exception):
    """Someone else holds the work item; the message names them and says what to do."""


def _in_state(state: str):
    def condition(activation: Any) -> bool:
        return activation.process.record.state == state

    return condition


def late_scan_of(process: RecordProcess) -> dict[str, Any]:
    """The late scan a process carries (`workflows.late_scan`): {"scan", "by", "step", ...}; {} for
    a pass through the stages."""
    return (process.data or {}).get("late_scan") or {}


def _late_step(step: str):
    def condition(activation: Any) -> bool:
        return late_scan_of(activation.process).get("step") == step

    return condition


def keying_of(process: RecordProcess) -> dict[str, Any]:
    """The double keying a process carries (`workflows.keying`): {"step", "a", "b", ...}; {} when
    the case is keyed once."""
    return (process.data or {}).get("keying") or {}


def _keying_step(step: str):
    def condition(activation: Any) -> bool:
        process = activation.process
        return process.record.state == "scanned" and keying_of(process).get("step") == step

    return condition


def task_fill(
    task: RecordTask, *, record: CivilRecord, stage: Stage, now: dt.datetime, authors: Authors | None = None
) -> None:
    """Copy onto a human task what the inboxes filter by, and the four-eyes exclusion (everyone
    `workflows.four_eyes` refuses for the stage; `authors` when the caller already read them)."""
    book = record.book
    task.record = record
    task.stage = stage
    task.unit_id = record.unit_id
    task.unit_path = record.unit_path
    task.book_id = record.book_id
    task.entry_no = record.entry_no
    task.event_type = record.event_type
    task.book_year = book.year
    task.phase = book.phase
    task.min_rank = LEVEL_RANK[UnitLevel(record.competence)] if stage == Stage.APPROVE else 0
    task.excluded_user_id = {Stage.REVIEW: record.entered_by_id, Stage.APPROVE: record.reviewed_by_id}.get(
        stage
    )
    if stage in FOUR_EYES_STAGES:
        if authors is None:
            known = getattr(record, "_four_eyes_authors", None)
            authors = Authors.from_columns(record) | known if known is not None else record_authors(record)
        task.excluded_user_ids = authors.excluded_from(stage)
    done_by = DONE_BY.get(stage)
    task.is_return = bool(done_by and getattr(record, f"{done_by}_id"))
    hours = RETURN_DUE_HOURS if task.is_return else DUE_HOURS[stage]
    task.due_at = now + dt.timedelta(hours=hours)
    if task.is_return:
        task.data = {
            **(task.data or {}),
            "return": {
                "reason": record.last_reason,
                "remarks": record.return_remarks or {},
                "by": display_name(record.returned_by) if record.returned_by_id else _("national database"),
                "at": record.returned_at.isoformat() if record.returned_at else None,
            },
        }


def _late_fill(task: RecordTask, late: dict[str, Any], *, now: dt.datetime) -> None:
    """A late scan's task: whoever uploaded the scan may not check it (four eyes); a new upload
    after a return is returned work, with the checker's reason (the record's own return fields
    belong to its data, which the late scan does not touch)."""
    task.excluded_user_id = late.get("by") if task.stage == Stage.SCAN_CHECK else None
    task.is_return = task.stage == Stage.LATE_SCAN
    if task.is_return:
        task.due_at = now + dt.timedelta(hours=RETURN_DUE_HOURS)
        task.data = {
            **(task.data or {}),
            "return": {
                "reason": late.get("reason", ""),
                "remarks": {},
                "by": late.get("checked_by_name", ""),
                "at": late.get("checked_at"),
            },
        }


def _permission_object(task: RecordTask) -> None:
    """The node permission's object is the record's unit (guardian permissions live on units);
    set by id so that no unit is loaded."""
    task.owner_permission_content_type = ContentType.objects.get_for_model(AdministrativeUnit)
    task.owner_permission_obj_pk = str(task.unit_id)


def display_name(user: Actor | None) -> str:
    """How a person is named in messages: full name, else user name ("" for nobody)."""
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def local_text(value: dt.datetime | None) -> str:
    """dd/mm/yyyy hh:mm in the local time zone (as the `date:"d/m/Y H:i"` filter writes it); "" for None."""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _human_task(
    node: RecordView,
    *,
    process: RecordProcess,
    token: Token,
    now: dt.datetime,
    data: dict | None = None,
    authors: Authors | None = None,
) -> RecordTask:
    """The open task of a stage, unsaved, as viewflow's `ViewActivation.create` fills it (the node's
    permission, on the record's unit; the owner the node assigns, if any) plus the record's columns."""
    task = RecordTask(
        process=process,
        flow_task=node,
        flow_task_type=node.task_type,
        token=token,
        created=now,
        data=data if data is not None else {},
    )
    task_fill(task, record=process.record, stage=node.stage, now=now, authors=authors)
    if node.stage in LATE_STAGES:
        _late_fill(task, late_scan_of(process), now=now)
    if node.stage in KEYING_STAGES:
        # Neither keyer keys twice nor arbitrates their own case.
        keying = keying_of(process)
        task.excluded_user_id = keying.get("a")
        task.excluded_user_ids = sorted(p for p in (keying.get("a"), keying.get("b")) if p)
    activation = SimpleNamespace(process=process, flow_task=node)
    task.owner_permission = node.calc_owner_permission(activation)
    _permission_object(task)
    owner = node.calc_owner(activation)
    if owner:
        task.owner, task.status, task.assigned, task.last_activity = owner, STATUS.ASSIGNED, now, now
    return task


def _announce_created(task: RecordTask) -> None:
    """Live pushes for a new human task; returned work also tells the person it went back to."""
    live.task_event(task, "created")
    if task.owner_id and task.is_return:
        live.user_event(
            task.owner_id,
            "returned",
            task=task.pk,
            record=task.record_id,
            label=str(task.process.record),
            reason=task.data["return"]["reason"],
        )


class RecordViewActivation(ViewActivation):
    """A human task that carries the record's columns from the moment it is inserted."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = _human_task(
            flow_task, process=prev_activation.process, token=token, now=timezone.now(), data=data
        )
        task.save()
        task.previous.add(prev_activation.task)
        _announce_created(task)
        return cls(task)


class RecordView(View):
    """A stage done by a person, open to holders of the stage's permission on the record's unit."""

    activation_class = RecordViewActivation

    def __init__(self, stage: Stage, **kwargs: Any):
        super().__init__(view=None, **kwargs)
        self.stage = stage
        self.Permission(f"registry.{STAGE_PERMISSION[stage]}", obj=lambda process: process.record.unit)
        self.Annotation(title=Stage(stage).label)


class RecordFlow(Flow):
    """Digitizing one case

    Scan, enter, attach, review, approve: the stages of a civil record that people do,
    handed out as claimable tasks scoped by the record's unit.
    """

    process_class = RecordProcess
    task_class = RecordTask
    lock_impl = lock.select_for_update_lock

    start = StartHandle(this.start_process).Next(this.route)
    route = (
        Switch()
        .Case(this.scan_check, _late_step("check"))
        .Case(this.late_scan, _late_step("rework"))
        .Case(this.scan, _in_state("collected"))
        .Case(this.key_second, _keying_step("second"))
        .Case(this.arbitrate, _keying_step("arbitrate"))
        .Case(this.enter, _in_state("scanned"))
        .Case(this.attach, _in_state("entered"))
        .Case(this.review, _in_state("attached"))
        .Case(this.approve, _in_state("reviewed"))
        .Default(this.end)
    )
    scan = RecordView(Stage.SCAN).Assign(this.previous_owner).Next(this.route)
    enter = RecordView(Stage.ENTER).Assign(this.previous_owner).Next(this.route)
    attach = RecordView(Stage.ATTACH).Assign(this.previous_owner).Next(this.route)
    review = RecordView(Stage.REVIEW).Next(this.route)
    approve = RecordView(Stage.APPROVE).Assign(this.previous_owner).Next(this.route)
    # A late scan (added after approval): checked by a reviewer, uploaded again when returned.
    scan_check = RecordView(Stage.SCAN_CHECK).Next(this.route)
    late_scan = RecordView(Stage.LATE_SCAN).Assign(this.previous_owner).Next(this.route)
    # Double keying (workflows.keying): a second person keys the case, a third arbitrates.
    key_second = RecordView(Stage.KEY_SECOND).Next(this.route)
    arbitrate = RecordView(Stage.ARBITRATE).Next(this.route)
    end = End()

    def start_process(self, activation: Any, record: CivilRecord) -> RecordProcess:
        activation.process.record = record
        activation.task.record = record
        return activation.process

    def previous_owner(self, activation: Any) -> Any:
        """Who gets the task without claiming it: returned work goes back to whoever did the stage,
        and attaching stays with whoever entered the data; only if that person is still active
        and still holds the stage's role on the record's unit."""
        record = activation.process.record
        stage = activation.flow_task.stage
        if stage == Stage.LATE_SCAN:
            user = _user(late_scan_of(activation.process).get("by"))
        elif stage == Stage.ATTACH:
            user = record.entered_by
        elif stage in DONE_BY and getattr(record, f"{DONE_BY[stage]}_id"):
            user = getattr(record, DONE_BY[stage])
        else:
            return None
        if user is None or not user.is_active or not can(user, STAGE_PERMISSION[stage], record.unit_path):
            return None
        return user


def _user(pk: int | None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=pk).first() if pk else None


def node_for(stage: str) -> RecordView:
    return getattr(RecordFlow, stage)


# --- starting processes ------------------------------------------------------------------


def process_start(record: CivilRecord) -> RecordProcess:
    """Start a pass for one record through viewflow's StartHandle (about 10 queries)."""
    return RecordFlow.start.run(record=record)


def processes_start_for_slots(book, records: list[CivilRecord]) -> None:
    """Hook for `registry.services.SLOTS_CREATED_HOOKS`: new slots get their process."""
    processes_start_for(records)


def processes_start_for_import(book, records: list[CivilRecord], actor: Actor) -> None:
    """Hook for `workflows.services.IMPORT_HOOKS`: imported cases with work left get their process."""
    processes_start_for(records)


def processes_start_for(records: Iterable[CivilRecord]) -> int:
    """Start a pass for each record with human work and no active pass, in a few bulk inserts.

    Writes the same rows viewflow's `StartHandle.run` writes (a process; a done start task,
    a done route task and the open task of the record's stage, linked as `previous`) with
    three COPY statements (`audit.copying.copy_insert`) whatever the number of records, instead
    of ten statements per record. Returns the number started.
    Records must come with their book loaded (as `record_slots_create` returns them).
    """
    records = [r for r in records if r.state in STATE_STAGE]
    if not records:
        return 0
    active = set(
        RecordProcess.objects.filter(record__in=[r.pk for r in records], status=PROCESS.NEW).values_list(
            "record_id", flat=True
        )
    )
    records = [r for r in records if r.pk not in active]
    now = timezone.now()
    processes = [RecordProcess(flow_class=RecordFlow, record=r, created=now) for r in records]
    copy_insert(RecordProcess, processes)
    starts, routes, humans = [], [], []
    authors = authors_of([r for r in records if STATE_STAGE[r.state] in FOUR_EYES_STAGES])
    for record, process in zip(records, processes, strict=True):
        process.record = record
        base = {"process": process, "token": Token("start"), "created": now, "record": record}
        starts.append(
            RecordTask(flow_task=RecordFlow.start, status=STATUS.DONE, started=now, finished=now, **base)
        )
        routes.append(_route_task(process, token=base["token"], now=now))
        humans.append(
            _human_task(
                node_for(STATE_STAGE[record.state]),
                process=process,
                token=base["token"],
                now=now,
                authors=authors.get(record.pk),
            )
        )
    for task in starts:
        task.flow_task_type = task.flow_task.task_type
    copy_insert(RecordTask, [*starts, *routes, *humans])
    _link_previous([*zip(starts, routes, strict=True), *zip(routes, humans, strict=True)])
    if humans:
        live.push_after_commit(
            sorted({g for h in humans for g in live.path_groups(h.unit_path)}),
            {"event": "created", "count": len(humans)},
        )
    return len(humans)


# --- following the record ------------------------------------------------------------------


def idle_limit() -> dt.timedelta:
    """How long a claim lasts without activity (settings.CLAIM_IDLE_MINUTES)."""
    from django.conf import settings

    return dt.timedelta(minutes=settings.CLAIM_IDLE_MINUTES)


def claim_is_live(task: RecordTask, now: dt.datetime | None = None) -> bool:
    """Is the task held by someone whose claim has not expired?"""
    if task.owner_id is None or task.status != STATUS.ASSIGNED:
        return False
    return task.last_activity is None or task.last_activity >= (now or timezone.now()) - idle_limit()


@cache
def _open_process_sql() -> str:
    return (
        f'SELECT {statements.select_columns(RecordProcess, "t")} FROM "{RecordProcess._meta.db_table}" t '  # noqa: S608
        'WHERE t."record_id" = %s AND t."status" = %s ORDER BY t."id" LIMIT 1 FOR NO KEY UPDATE'
    )


@cache
def _open_task_sql() -> str:
    """`RecordTask.objects.filter(OPEN_Q, process=…).exclude(stage="").first()`, written once."""
    return (
        f'SELECT {statements.select_columns(RecordTask, "t")} FROM "{RecordTask._meta.db_table}" t '  # noqa: S608
        'WHERE t."status" IN (%s, %s, %s) AND t."process_id" = %s AND NOT (t."stage" = %s) '
        'ORDER BY t."created", t."id" LIMIT 1'
    )


def open_task_of(record: CivilRecord) -> RecordTask | None:
    """The open human task of the record's active process, its process row locked (as claims lock it).

    Two statements, not one joined: the task is read after the lock is granted, so it shows a claim
    committed while this transaction waited. Its owner is not joined: only a refusal names them.
    Both prepared once (`workflows.statements`): the hot path of every transition.
    """
    process = statements.fetch_one(RecordProcess, _open_process_sql(), [record.pk, PROCESS.NEW])
    if process is None:
        return None
    task = statements.fetch_one(
        RecordTask, _open_task_sql(), [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED, process.pk, ""]
    )
    if task is not None:
        task.process = process
    return task


def process_follow(record: CivilRecord, event: str, actor: Actor | None) -> None:
    """TRANSITION_HOOK: move the record's process along with the transition just saved.

    Refuses (raising `TransitionRefused`, which rolls the transition back) when someone
    else holds a live claim on the task the transition would complete.
    """
    from workflows.machine import TransitionRefused

    if event == "transfer":
        return
    if event in CLOSING_EVENTS:
        process_cancel(record=record, actor=actor)
        return
    task = open_task_of(record)
    if task is not None:
        task.process.record = record
    if task is not None and (
        task.stage == EVENT_STAGE.get(event)
        or (event == "return" and task.stage in ("review", "approve"))
        or (event == "enter" and task.stage in KEYING_STAGES)
    ):
        if actor is not None and claim_is_live(task) and task.owner_id != actor.pk:
            raise TransitionRefused(
                _("%(name)s is working on this (claimed %(when)s). Ask them, or a supervisor, to release it.")
                % {
                    "name": display_name(task.owner),
                    "when": local_text(task.assigned),
                }
            )
        task_complete(task, actor=actor, outcome="returned" if event == "return" else "done")
        return
    if task is not None:
        # The open task is not the one this transition finishes: the process fell out of step
        # (a record moved before this workflow existed). Start again from the record's state.
        logger.warning("process of record %s realigned on %s (open task %s)", record.pk, event, task.stage)
        process_cancel(record=record, actor=actor)
    if record.state in STATE_STAGE:
        process_start(record)


def _route_task(process: RecordProcess, *, token: Token, now: dt.datetime) -> RecordTask:
    """The done row of the `route` Switch, unsaved, as viewflow leaves it (never started, no record)."""
    return RecordTask(
        process=process,
        flow_task=RecordFlow.route,
        flow_task_type=RecordFlow.route.task_type,
        status=STATUS.DONE,
        token=token,
        created=now,
        finished=now,
    )


def _link_previous(pairs: Iterable[tuple[RecordTask, RecordTask]]) -> None:
    """Save viewflow's `previous` links, (earlier, later) task pairs, in one statement."""
    through = RecordTask.previous.through
    links = [through(from_recordtask_id=later.pk, to_recordtask_id=earlier.pk) for earlier, later in pairs]
    copy_insert(through, links)


def _routed_node(process: RecordProcess) -> Any:
    """The node the `route` Switch picks for the record's state: its cases, tried in order."""
    activation = SimpleNamespace(process=process)
    for node, condition in RecordFlow.instance.route._branches:  # resolved by the flow instance
        if condition is None or condition(activation):
            return node
    raise AssertionError("route has a default branch")


def task_complete(task: RecordTask, *, actor: Actor | None, outcome: str) -> None:
    """Finish a human task and let `route` open the next one, writing the rows viewflow would.

    Viewflow's own path (activation assign, start, execute; a route row created, activated and
    completed; the next node's create; End finishing the process) costs ten statements, two of
    them empty savepoints, and ~1 ms more CPU. These are the same rows, columns and statuses in
    four: the task done (owner, assigned, started, finished), a done route row, the next stage's
    task (or a done End row and the process done), and the `previous` links. RecordFlow has no Split, so
    the finished task was the process's only open one, and no receiver listens to viewflow's
    task signals (only Split and boundary nodes do), so none is sent. The statements are prepared
    once (`workflows.statements`): the ORM's compilation of them cost more CPU than running them.
    """
    now = timezone.now()
    process = task.process
    if task.status == STATUS.NEW:
        task.assigned = now
        task.owner = actor
    elif actor is not None and task.owner_id != actor.pk:
        task.owner = actor
    task.status = STATUS.DONE
    task.started = task.finished = task.last_activity = now
    task.data = {**(task.data or {}), "outcome": outcome}
    statements.update_fields(
        task, ["owner", "assigned", "status", "started", "finished", "last_activity", "data"]
    )
    route = _route_task(process, token=task.token, now=now)
    node = _routed_node(process)
    if node is RecordFlow.end:
        following = RecordTask(
            process=process,
            flow_task=node,
            flow_task_type=node.task_type,
            status=STATUS.DONE,
            token=task.token,
            created=now,
            started=now,
            finished=now,
        )
        process.status, process.finished = PROCESS.DONE, now
        statements.update_fields(process, ["status", "finished"])
    else:
        following = _human_task(node, process=process, token=task.token, now=now)
    statements.insert([route, following])
    through = RecordTask.previous.through
    statements.insert(
        [
            through(from_recordtask_id=later.pk, to_recordtask_id=earlier.pk)
            for earlier, later in ((task, route), (route, following))
        ]
    )
    if following.stage:
        _announce_created(following)
    live.task_event(task, "done", by=actor, outcome=outcome)


def process_cancel(*, record: CivilRecord, actor: Actor | None = None) -> None:
    """Cancel the record's active process and its open task (rejection, duplicate)."""
    processes = RecordProcess.objects.select_for_update(no_key=True).filter(record=record, status=PROCESS.NEW)
    for process in processes:
        open_tasks = list(RecordTask.objects.filter(OPEN_Q, process=process).exclude(stage=""))
        RecordFlow.instance.cancel(process)
        for task in open_tasks:
            live.task_event(task, "cancelled", by=actor)
        late = late_scan_of(process)
        if late.get("step") in ("check", "rework"):
            # The record moved on (an amendment, a rejection): its late scan is no longer checked.
            for hook in LATE_SCAN_HOOKS:
                hook(record, late["scan"], "cancelled", actor, "")


@transaction.atomic
def processes_sync() -> int:
    """Start a pass for every open record that has work and no active pass (after an import,
    or for records moved before this workflow existed). Returns the number started."""
    started = 0
    pending = (
        CivilRecord.objects.filter(state__in=list(STATE_STAGE))
        .exclude(processes__status=PROCESS.NEW)
        .select_related("book", "unit")
        .order_by("pk")
    )
    batch: list[CivilRecord] = []
    for record in pending.iterator(chunk_size=2000):
        batch.append(record)
        if len(batch) == 2000:
            started += processes_start_for(batch)
            batch = []
    return started + processes_start_for(batch)


# --- books corrected after registration ----------------------------------------------------


def processes_drop_for_slots(book, records: list[CivilRecord]) -> None:
    """Hook for `registry.services.SLOTS_REMOVED_HOOKS`: an empty slot's passes and work items go
    with it. Refused (ValidationError) while someone holds the slot's work item."""
    from django.core.exceptions import ValidationError

    claimed = (
        RecordTask.objects.filter(OPEN_Q, record__in=records, owner__isnull=False)
        .select_related("owner", "record")
        .first()
    )
    if claimed is not None and claimed.record is not None:
        raise ValidationError(
            {
                "record": [
                    _("%(name)s holds the work item of case no. %(no)s: ask them to release it first.")
                    % {"name": display_name(claimed.owner), "no": claimed.record.entry_label}
                ]
            }
        )
    open_tasks = list(RecordTask.objects.filter(OPEN_Q, record__in=records).exclude(stage=""))
    RecordProcess.objects.filter(record__in=records).delete()
    for task in open_tasks:
        live.task_event(task, "cancelled", by=None)


def tasks_follow_book(old, book) -> None:
    """Hook for `registry.services.BOOK_CHANGED_HOOKS`: work items keep the book's year, phase and
    event type, and open approvals the competence of their record."""
    RecordTask.objects.filter(book_id=book.pk).update(
        book_year=book.year, phase=book.phase, event_type=book.event_type
    )
    if old.authority_unit_id != book.authority_unit_id:
        for level, rank in LEVEL_RANK.items():
            RecordTask.objects.filter(
                OPEN_Q, book_id=book.pk, stage=Stage.APPROVE, record__competence=level.value
            ).update(min_rank=rank)
