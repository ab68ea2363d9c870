"""Reads for the transfer page and the dashboard, all scoped through permissions.scoping."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from audit.actors import Actor
from permissions.scoping import books_visible_to, records_visible_to, scope_q
from registry.models import CivilRecord, RecordState, RegisterBook
from transfer.models import (
    ACTIVE_STATUSES,
    CIVIL_KINDS,
    POLICE_KINDS,
    DiffKind,
    DiffStatus,
    ExportJob,
    ReconciliationItem,
    TransferItem,
    TransferStatus,
)


def transfer_deadline(now: dt.datetime | None = None) -> dt.datetime:
    """Records approved before this moment and not transferred break the 12-hour rule."""
    return (now or timezone.now()) - dt.timedelta(hours=settings.TRANSFER_DEADLINE_HOURS)


def overdue_transfers(user: Actor, *, now: dt.datetime | None = None) -> QuerySet[CivilRecord]:
    """Approved records not transferred within TRANSFER_DEADLINE_HOURS, oldest first, with the reason.

    Each record carries `last_error`, `attempts` and `next_attempt_at` of its waiting
    outbox item (None when no attempt was made: is the worker running?). For the
    dashboard: `overdue_transfers(user).count()`.
    """
    pending = TransferItem.objects.filter(record=OuterRef("pk"), status=TransferStatus.PENDING)
    return (
        records_visible_to(user)
        .filter(state=RecordState.APPROVED, approved_at__lt=transfer_deadline(now))
        .annotate(
            last_error=Subquery(pending.values("last_error")[:1]),
            attempts=Subquery(pending.values("attempts")[:1]),
            next_attempt_at=Subquery(pending.values("next_attempt_at")[:1]),
        )
        .select_related("book", "unit")
        .order_by("approved_at", "pk")
    )


def transfer_counts(user: Actor, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Waiting, overdue, transferred in the last 24 h, and refused in the last 7 days."""
    now = now or timezone.now()
    records = records_visible_to(user)
    counts = records.aggregate(
        waiting=Count("pk", filter=Q(state=RecordState.APPROVED)),
        overdue=Count("pk", filter=Q(state=RecordState.APPROVED, approved_at__lt=transfer_deadline(now))),
        transferred_24h=Count(
            "pk", filter=Q(state=RecordState.TRANSFERRED, transferred_at__gte=now - dt.timedelta(hours=24))
        ),
    )
    counts["refused_7d"] = (
        TransferItem.objects.filter(scope_q(user, "view_records"))
        .filter(status=TransferStatus.REJECTED, settled_at__gte=now - dt.timedelta(days=7))
        .count()
    )
    return counts


def recent_refusals(user: Actor, *, limit: int = 20) -> QuerySet[TransferItem]:
    return (
        TransferItem.objects.filter(scope_q(user, "view_records"), status=TransferStatus.REJECTED)
        .select_related("record__book", "record__unit")
        .order_by("-settled_at")[:limit]
    )


def exportable_books(user: Actor) -> QuerySet[RegisterBook]:
    """Books the user may export, with how many cases are ready (approved or transferred)."""
    ready = Q(records__state__in=[RecordState.APPROVED, RecordState.TRANSFERRED])
    return (
        books_visible_to(user, "export_records")
        .annotate(ready=Count("records", filter=ready))
        .filter(ready__gt=0)
        .select_related("custodian")
        .order_by("custodian__name", "event_type", "year", "book_no")
    )


def exports_visible_to(user: Actor) -> QuerySet[ExportJob]:
    return (
        ExportJob.objects.filter(scope_q(user, "export_records"))
        .select_related("book", "unit", "requested_by")
        .order_by("-created_at")
    )


def open_differences(user: Actor) -> QuerySet[ReconciliationItem]:
    """The cleaning worklist: open findings of the comparison with the population database, in the
    user's scope (residents pending on a book not yet entered are not findings yet)."""
    return (
        ReconciliationItem.objects.filter(scope_q(user, "view_records"), status=DiffStatus.OPEN)
        .exclude(kind=DiffKind.PENDING_BOOK)  # not a finding until the book is entered
        .select_related("record__book", "record__unit", "resident")
        .order_by("record_id", "party_role", "field")
    )


# The worklist's direction filter: which side must act.
DIRECTIONS = {"police": POLICE_KINDS, "civil": CIVIL_KINDS}


def differences(
    user: Actor, *, direction: str = "", kind: str = "", status: str = "active"
) -> QuerySet[ReconciliationItem]:
    """The reconciliation worklist in the user's scope, filtered by the side that must act
    ("police": the population database; "civil": our data), the kind and the status ("active":
    every status still followed; "" all)."""
    items = ReconciliationItem.objects.filter(scope_q(user, "view_records"))
    if direction in DIRECTIONS:
        items = items.filter(kind__in=DIRECTIONS[direction])
    if kind in DiffKind.values:
        items = items.filter(kind=kind)
    if status == "active":
        items = items.filter(status__in=ACTIVE_STATUSES)
    elif status in DiffStatus.values:
        items = items.filter(status=status)
    return items.select_related("record__book", "record__unit", "party", "resident", "extract").order_by(
        "kind", "record_id", "party_role", "field", "pk"
    )


def difference_counts(user: Actor) -> list[tuple[str, str, int]]:
    """(status, label, count) of the findings in the user's scope, every status listed."""
    rows = dict(
        ReconciliationItem.objects.filter(scope_q(user, "view_records"))
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(value, str(label), rows.get(value, 0)) for value, label in DiffStatus.choices]
