"""Inbox selectors: the queue, my work, returned to me, done; scoped, filtered, one page at a time.

Scoping is the project's own (permissions.scoping), not viewflow's: a task is in
someone's queue when one of their roles carries the stage's permission on a unit
whose subtree holds the task's unit, the approval role is high enough for the
record's competence, and four eyes do not exclude them. Every list reads only
`RecordTask` columns (partial indexes in this app's migrations), pages by keyset
(never OFFSET, never COUNT over a province), then loads the records of that one
page in a second query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.dateparse import parse_datetime
from viewflow.workflow.status import STATUS

from audit.actors import Actor
from permissions.scoping import (
    _minimal_prefixes,
    contract_paths,
    paths_q,
    scopes_with,
    subtree_q,
    user_scopes,
)
from registry.models import AdministrativeUnit, CivilRecord
from registry.search import narrowed
from workflows.models import STAGE_PERMISSION, RecordTask, Stage

PAGE_SIZE = 50
# The queue counter stops counting here ("1000+"): a province's queue is never counted in full.
COUNT_CAP = 1000


@dataclass
class InboxFilters:
    unit: AdministrativeUnit | None = None
    book_id: int | None = None
    event_type: str = ""
    year: int | None = None
    phase: int | None = None
    stage: str = ""

    def apply(self, tasks: QuerySet[RecordTask]) -> QuerySet[RecordTask]:
        return narrowed(
            tasks,
            unit_path__startswith=self.unit.path if self.unit is not None else None,
            book_id=self.book_id,
            event_type=self.event_type,
            book_year=self.year,
            phase=self.phase,
            stage=self.stage,
        )


def stages_of(user: Actor) -> list[str]:
    """The stages the user holds a role for, anywhere."""
    if getattr(user, "is_superuser", False):
        return list(Stage.values)
    return [stage for stage, perm in STAGE_PERMISSION.items() if scopes_with(user, perm)]


def queue_scope_q(user: Actor) -> Q:
    """Tasks whose stage and unit one of the user's roles covers (approval also by level)."""
    if getattr(user, "is_superuser", False):
        return Q(stage__in=Stage.values)
    by_prefix: dict[tuple[str, int], list[str]] = defaultdict(list)
    leaves = {s.unit_path for s in user_scopes(user) if s.unit_leaf}
    for stage, perm in STAGE_PERMISSION.items():
        scopes = scopes_with(user, perm)
        if stage == Stage.APPROVE:
            for scope in scopes:
                by_prefix[(scope.unit_path, scope.rank)].append(stage)
        else:
            for prefix in _minimal_prefixes(s.unit_path for s in scopes):
                by_prefix[(prefix, 0)].append(stage)
    q = Q(pk__in=[])
    for (prefix, rank), stages in by_prefix.items():
        # A commune's queue is then one range of `task_queue_path_age`, in the page's order.
        part = subtree_q(prefix, "unit_path", leaf=prefix in leaves) & Q(stage__in=sorted(set(stages)))
        if rank:
            part &= Q(min_rank__lte=rank)
        q |= part
    return q


def held_records_q(user: Actor) -> Q:
    """`permissions.scoping.ASSIGNED_WORK` source: the records of the work items the user holds
    (claimed, or returned to them), for as long as they hold them."""
    held = RecordTask.objects.filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED]).exclude(
        stage=""
    )
    return Q(pk__in=held.values("record_id"))


def queue_for(user: Actor, filters: InboxFilters | None = None) -> QuerySet[RecordTask]:
    """Claimable by the user: in the queue, in their scope, not excluded by four eyes."""
    tasks = RecordTask.objects.filter(status=STATUS.NEW, owner__isnull=True).filter(queue_scope_q(user))
    confined = contract_paths(user)
    if confined is not None:  # contract staff: only their contract's units
        tasks = tasks.filter(paths_q(confined, "unit_path"))
    # Four eyes: never offered to anyone `workflows.four_eyes` refuses (rows written before the
    # list was kept name their one person).
    tasks = tasks.exclude(excluded_user=user).exclude(excluded_user_ids__contains=[user.pk])
    return (filters or InboxFilters()).apply(tasks)


def mine_for(user: Actor, filters: InboxFilters | None = None) -> QuerySet[RecordTask]:
    """Claimed by the user and not returned work."""
    tasks = RecordTask.objects.filter(
        owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED], is_return=False
    ).exclude(stage="")
    return (filters or InboxFilters()).apply(tasks)


def returned_for(user: Actor, filters: InboxFilters | None = None) -> QuerySet[RecordTask]:
    """Work sent back to the user for rework, still open."""
    tasks = RecordTask.objects.filter(
        owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED], is_return=True
    )
    return (filters or InboxFilters()).apply(tasks)


def done_for(user: Actor, filters: InboxFilters | None = None) -> QuerySet[RecordTask]:
    """What the user finished (the archive)."""
    tasks = RecordTask.objects.filter(owner=user, status=STATUS.DONE).exclude(stage="")
    return (filters or InboxFilters()).apply(tasks)


# --- pages ------------------------------------------------------------------------------

ORDERINGS = {
    "age": ("created", "id"),
    "due": ("due_at", "id"),
    "done": ("-finished", "-id"),
}


# What a list row shows of a task, and what pages are ordered by: viewflow's own columns (the
# flow and node references, resolved to objects row by row) stay unread.
LIST_FIELDS = (
    "status",
    "owner_id",
    "record_id",
    "stage",
    "unit_path",
    "event_type",
    "book_year",
    "entry_no",
    "is_return",
    "data",
    "created",
    "due_at",
    "finished",
)


@dataclass
class Page:
    items: list[RecordTask]
    next_cursor: str | None
    is_first: bool


def _cursor_of(task: RecordTask, order: tuple[str, str]) -> str:
    value = getattr(task, order[0].lstrip("-"))
    return f"{value.isoformat() if value else ''}|{task.pk}"


def _after(tasks: QuerySet[RecordTask], order: tuple[str, str], cursor: str) -> QuerySet[RecordTask]:
    raw, _, pk = cursor.partition("|")
    value = parse_datetime(raw) if raw else None
    if value is None or not pk.isdigit():
        return tasks
    field = order[0].lstrip("-")
    # The plain bound (>=, <=) lets the index start at the cursor; the OR settles ties by id.
    if order[0].startswith("-"):
        return tasks.filter(**{f"{field}__lte": value}).filter(
            Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": int(pk)})
        )
    return tasks.filter(**{f"{field}__gte": value}).filter(
        Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": int(pk)})
    )


def page_of(
    tasks: QuerySet[RecordTask], *, sort: str = "age", after: str = "", size: int = PAGE_SIZE
) -> Page:
    """One page by keyset: two queries, of what the lists show (LIST_FIELDS of each task, and the
    book number and unit name of its record, as `book_no` and `unit_name`)."""
    order = ORDERINGS.get(sort, ORDERINGS["age"])
    if after:
        tasks = _after(tasks, order, after)
    items = list(tasks.only(*LIST_FIELDS).order_by(*order)[: size + 1])
    more = len(items) > size
    items = items[:size]
    shown = {
        pk: (book_no, unit_name)
        for pk, book_no, unit_name in CivilRecord.objects.filter(
            pk__in=[t.record_id for t in items]
        ).values_list("pk", "book__book_no", "unit__name")
    }
    for task in items:
        task.book_no, task.unit_name = shown.get(task.record_id, ("", ""))
    return Page(items=items, next_cursor=_cursor_of(items[-1], order) if more else None, is_first=not after)


def counts_for(user: Actor) -> dict[str, Any]:
    """Menu counters: the queue up to COUNT_CAP, my work and returned exactly (two queries)."""
    queue = queue_for(user).order_by()[:COUNT_CAP].count()
    own = RecordTask.objects.filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED]).aggregate(
        mine=Count("pk", filter=Q(is_return=False) & ~Q(stage="")),
        returned=Count("pk", filter=Q(is_return=True)),
    )
    return {
        "queue": queue,
        "queue_more": queue >= COUNT_CAP,
        "mine": own["mine"],
        "returned": own["returned"],
    }


def overdue(task: RecordTask, now: dt.datetime) -> bool:
    return bool(task.due_at and task.due_at < now)
