"""Keeping the progress counters, quotas and frozen daily reports.

The counters (`BookStateCount`, `DailyCount`, `ActorDailyCount`) change inside
the transaction of the change they count: the transition hook and the
slot-creation hook below are registered by `ReportsConfig.ready()`. Each
upsert touches its rows in a fixed order (sorted keys), so two transactions
never wait on each other's counter rows in opposite orders. Transitions of one
unit are already serialized by the unit's audit-stream head, so these hot rows
add no new waiting.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.anchors import Anchor, latest_anchor
from audit.services import audit_change
from permissions.models import UnitRole
from permissions.scoping import can
from registry.models import AdministrativeUnit, CivilRecord, RegisterBook, UnitLevel
from reports.models import (
    QUOTA_ACTIONS,
    REPORT_ACTIONS,
    REPORT_STATES,
    Action,
    ActorDailyCount,
    BookStateCount,
    DailyReport,
    DailyReportLine,
    DailyReportTarget,
    PeriodReport,
    PeriodReportLine,
    PeriodReportTarget,
    Quota,
)

# --- counters ----------------------------------------------------------------------------

_BOOK_STATE_UPSERT = """
INSERT INTO reports_bookstatecount (book_id, state, n, unit_id, unit_path, event_type, phase, year)
VALUES {values}
ON CONFLICT (book_id, state) DO UPDATE SET n = reports_bookstatecount.n + EXCLUDED.n
"""
_UNIT_STATE_UPSERT = """
INSERT INTO reports_unitstatecount (unit_id, unit_path, event_type, phase, state, n)
VALUES {values}
ON CONFLICT ON CONSTRAINT unitstate_unique DO UPDATE SET n = reports_unitstatecount.n + EXCLUDED.n
"""
_DAILY_UPSERT = """
INSERT INTO reports_dailycount (day, unit_id, unit_path, event_type, phase, action, n)
VALUES {values}
ON CONFLICT ON CONSTRAINT dailycount_unique DO UPDATE SET n = reports_dailycount.n + EXCLUDED.n
"""
_UNIT_DAILY_UPSERT = """
INSERT INTO reports_unitdailycount (day, unit_id, unit_path, action, n)
VALUES {values}
ON CONFLICT ON CONSTRAINT unitdailycount_unique DO UPDATE SET n = reports_unitdailycount.n + EXCLUDED.n
"""
_ACTOR_UPSERT = """
INSERT INTO reports_actordailycount (day, unit_id, unit_path, actor_id, action, n)
VALUES {values}
ON CONFLICT ON CONSTRAINT actordailycount_unique DO UPDATE SET n = reports_actordailycount.n + EXCLUDED.n
"""
# The transition's own audit row (just written, and the last of the record: the
# unit's audit head is locked until this transaction ends) gives the state before
# and the time; the book gives phase and year.
_TRANSITION_LOOKUP = """
SELECT b.phase, b.year, e.old_state, e.at
FROM registry_registerbook b
LEFT JOIN LATERAL (
    SELECT changes -> 'state' ->> 0 AS old_state, at
    FROM audit_auditevent
    WHERE record_id = %s AND kind = 'change' AND action = %s
    ORDER BY seq DESC LIMIT 1
) e ON true
WHERE b.id = %s
"""


def _upsert(cursor, sql: str, rows: list[tuple]) -> None:
    if not rows:
        return
    width = len(rows[0])
    values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(rows))
    cursor.execute(sql.format(values=values), [v for row in rows for v in row])


class _Batch:
    """Upserts collected and sent as one round trip (statements joined by ";", run in order)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.params: list[Any] = []

    def execute(self, sql: str, params: list[Any]) -> None:
        self.statements.append(sql.strip())
        self.params.extend(params)

    def flush(self, cursor) -> None:
        if self.statements:
            cursor.execute(";\n".join(self.statements), self.params)


def progress_count_transition(record: CivilRecord, event: str, actor: Actor | None) -> None:
    """Transition hook: move one case between state counts and count the move for the day and person.

    Runs inside the transition's transaction, after its audit row is written.
    """
    with connection.cursor() as cursor:
        cursor.execute(_TRANSITION_LOOKUP, [record.pk, event, record.book_id])
        phase, year, old_state, at = cursor.fetchone()
        batch = _Batch()
        day = timezone.localdate(at or timezone.now())
        if old_state and old_state != record.state:
            book_rows = sorted(
                [
                    (
                        record.book_id,
                        old_state,
                        -1,
                        record.unit_id,
                        record.unit_path,
                        record.event_type,
                        phase,
                        year,
                    ),
                    (
                        record.book_id,
                        record.state,
                        1,
                        record.unit_id,
                        record.unit_path,
                        record.event_type,
                        phase,
                        year,
                    ),
                ],
                key=lambda row: row[1],
            )
            _upsert(batch, _BOOK_STATE_UPSERT, book_rows)
            _upsert(
                batch,
                _UNIT_STATE_UPSERT,
                [
                    (unit_id, path, etype, phase_, state, n)
                    for _b, state, n, unit_id, path, etype, phase_, _y in book_rows
                ],
            )
        _upsert(
            batch,
            _DAILY_UPSERT,
            [(day, record.unit_id, record.unit_path, record.event_type, phase, event, 1)],
        )
        _upsert(batch, _UNIT_DAILY_UPSERT, [(day, record.unit_id, record.unit_path, event, 1)])
        people: dict[tuple[int, str], int] = {}
        actor_id = getattr(actor, "pk", None)
        if actor_id:
            people[(actor_id, event)] = 1
        if event == "return":
            # The person whose work went back: the scanner if it goes back to scanning, else the enterer.
            author = record.scanned_by_id if record.state == "collected" else record.entered_by_id
            if author:
                key = (author, Action.WORK_RETURNED.value)
                people[key] = people.get(key, 0) + 1
            if old_state == "reviewed" and record.reviewed_by_id:
                # Returned by the approver: the reviewer passed what the approver found wrong.
                key = (record.reviewed_by_id, Action.REVIEW_MISSED.value)
                people[key] = people.get(key, 0) + 1
        _upsert(
            batch,
            _ACTOR_UPSERT,
            [
                (day, record.unit_id, record.unit_path, who, what, n)
                for (who, what), n in sorted(people.items())
            ],
        )
        batch.flush(cursor)
    _push_after_commit(record.unit_path)


def progress_count_slots(book: RegisterBook, slots: list[CivilRecord]) -> None:
    """Slot-creation hook: new slots are cases in state collected, counted as collected today."""
    if slots:
        _count_new_cases(book, {"collected": len(slots)})


def progress_count_imported(book: RegisterBook, records: list[CivilRecord], actor: Actor) -> None:
    """Import hook: a batch of new cases of one book, each counted in the state it was created in,
    and as collected today like new slots.

    This is what `progress_rebuild` finds for them (their states, and the book's slots; an import's
    audit rows are not transitions), so no rebuild is needed after an import.
    """
    states: dict[str, int] = defaultdict(int)
    for record in records:
        states[record.state] += 1
    if states:
        _count_new_cases(book, states)


def _count_new_cases(book: RegisterBook, states: dict[str, int]) -> None:
    """Add new cases of `book` (count per state) to the state counts, and as collected today."""
    unit = book.custodian
    day = timezone.localdate()
    n = sum(states.values())
    batch = _Batch()
    by_state = sorted(states.items())
    _upsert(
        batch,
        _BOOK_STATE_UPSERT,
        [(book.pk, s, k, unit.pk, unit.path, book.event_type, book.phase, book.year) for s, k in by_state],
    )
    _upsert(
        batch,
        _UNIT_STATE_UPSERT,
        [(unit.pk, unit.path, book.event_type, book.phase, s, k) for s, k in by_state],
    )
    _upsert(batch, _DAILY_UPSERT, [(day, unit.pk, unit.path, book.event_type, book.phase, "collect", n)])
    _upsert(batch, _UNIT_DAILY_UPSERT, [(day, unit.pk, unit.path, "collect", n)])
    if book.created_by_id:
        _upsert(batch, _ACTOR_UPSERT, [(day, unit.pk, unit.path, book.created_by_id, "collect", n)])
    with connection.cursor() as cursor:
        batch.flush(cursor)
    _push_after_commit(unit.path)


def _push_after_commit(unit_path: str) -> None:
    from reports.live import progress_push

    transaction.on_commit(lambda: progress_push(unit_path=unit_path))


_REBUILD_SQL = [
    "DELETE FROM reports_bookstatecount",
    "DELETE FROM reports_unitstatecount",
    "DELETE FROM reports_dailycount",
    "DELETE FROM reports_unitdailycount",
    # Errors found by acceptance sampling are counted when a contract's lot is decided, from tables
    # this app does not read: a rebuild keeps them as they are.
    "DELETE FROM reports_actordailycount WHERE action <> 'acceptance_error'",
    """
    INSERT INTO reports_bookstatecount (book_id, state, n, unit_id, unit_path, event_type, phase, year)
    SELECT b.id, r.state, count(*), b.custodian_id, u.path, b.event_type, b.phase, b.year
    FROM registry_civilrecord r
    JOIN registry_registerbook b ON b.id = r.book_id
    JOIN registry_administrativeunit u ON u.id = b.custodian_id
    GROUP BY b.id, r.state, b.custodian_id, u.path, b.event_type, b.phase, b.year
    """,
    """
    INSERT INTO reports_unitstatecount (unit_id, unit_path, event_type, phase, state, n)
    SELECT unit_id, unit_path, event_type, phase, state, sum(n)
    FROM reports_bookstatecount GROUP BY 1, 2, 3, 4, 5
    """,
    """
    INSERT INTO reports_dailycount (day, unit_id, unit_path, event_type, phase, action, n)
    SELECT day, unit_id, unit_path, event_type, phase, action, sum(n) FROM (
        SELECT (e.at AT TIME ZONE %(tz)s)::date AS day, r.unit_id, r.unit_path, b.event_type, b.phase,
               e.action, count(*) AS n
        FROM audit_auditevent e
        JOIN registry_civilrecord r ON r.id = e.record_id
        JOIN registry_registerbook b ON b.id = r.book_id
        WHERE e.kind = 'change' AND e.changes ? 'state'
        GROUP BY 1, 2, 3, 4, 5, 6
        UNION ALL
        SELECT (b.created_at AT TIME ZONE %(tz)s)::date, b.custodian_id, u.path, b.event_type, b.phase,
               'collect', count(*)
        FROM registry_civilrecord r
        JOIN registry_registerbook b ON b.id = r.book_id
        JOIN registry_administrativeunit u ON u.id = b.custodian_id
        GROUP BY 1, 2, 3, 4, 5
    ) t GROUP BY 1, 2, 3, 4, 5, 6
    """,
    """
    INSERT INTO reports_unitdailycount (day, unit_id, unit_path, action, n)
    SELECT day, unit_id, unit_path, action, sum(n) FROM reports_dailycount GROUP BY 1, 2, 3, 4
    """,
    """
    INSERT INTO reports_actordailycount (day, unit_id, unit_path, actor_id, action, n)
    SELECT day, unit_id, unit_path, actor_id, action, sum(n) FROM (
        SELECT (e.at AT TIME ZONE %(tz)s)::date AS day, r.unit_id, r.unit_path, e.actor_id, e.action,
               count(*) AS n
        FROM audit_auditevent e
        JOIN registry_civilrecord r ON r.id = e.record_id
        WHERE e.kind = 'change' AND e.changes ? 'state' AND e.actor_id IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT (e.at AT TIME ZONE %(tz)s)::date, r.unit_id, r.unit_path, w.actor_id, 'work_returned', count(*)
        FROM audit_auditevent e
        JOIN registry_civilrecord r ON r.id = e.record_id
        JOIN LATERAL (
            SELECT p.actor_id FROM audit_auditevent p
            WHERE p.record_id = e.record_id AND p.seq < e.seq AND p.kind = 'change'
              AND ((e.changes ->> 'stage' = 'scan' AND p.action = 'scan')
                   OR (coalesce(e.changes ->> 'stage', 'entry') <> 'scan' AND p.action IN ('enter', 'amend')))
            ORDER BY p.seq DESC LIMIT 1
        ) w ON true
        WHERE e.kind = 'change' AND e.action = 'return' AND w.actor_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT (e.at AT TIME ZONE %(tz)s)::date, r.unit_id, r.unit_path, w.actor_id, 'review_missed', count(*)
        FROM audit_auditevent e
        JOIN registry_civilrecord r ON r.id = e.record_id
        JOIN LATERAL (
            SELECT p.actor_id FROM audit_auditevent p
            WHERE p.record_id = e.record_id AND p.seq < e.seq AND p.kind = 'change' AND p.action = 'review'
            ORDER BY p.seq DESC LIMIT 1
        ) w ON true
        WHERE e.kind = 'change' AND e.action = 'return' AND e.changes -> 'state' ->> 0 = 'reviewed'
          AND w.actor_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT (b.created_at AT TIME ZONE %(tz)s)::date, b.custodian_id, u.path, b.created_by_id, 'collect',
               count(*)
        FROM registry_civilrecord r
        JOIN registry_registerbook b ON b.id = r.book_id
        JOIN registry_administrativeunit u ON u.id = b.custodian_id
        WHERE b.created_by_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
    ) t GROUP BY 1, 2, 3, 4, 5
    """,
]


# Fields of a double keying the arbitrator did not take, per keyer (once the keying tables exist:
# an early migration rebuilds the counters before them).
_REBUILD_KEYING_SQL = """
INSERT INTO reports_actordailycount (day, unit_id, unit_path, actor_id, action, n)
SELECT (d.resolved_at AT TIME ZONE %(tz)s)::date, r.unit_id, r.unit_path, k.keyer, 'keying_overruled',
       count(*)
FROM workflows_keyingdisagreement d
JOIN registry_civilrecord r ON r.id = d.record_id
CROSS JOIN LATERAL (
    VALUES (CASE WHEN d."right" <> 'a' THEN d.keyer_a_id END),
           (CASE WHEN d."right" <> 'b' THEN d.keyer_b_id END)
) k(keyer)
WHERE d.resolved_at IS NOT NULL AND d."right" <> '' AND k.keyer IS NOT NULL
GROUP BY 1, 2, 3, 4
"""


@transaction.atomic
def progress_rebuild() -> dict[str, int]:
    """Recompute every counter from the records and the audit trail (after a bulk load or a restore).

    Locks the three counter tables for the duration, so transitions wait rather than
    being counted twice. Returns the rows written per table.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "LOCK TABLE reports_bookstatecount, reports_unitstatecount, reports_dailycount, "
            "reports_unitdailycount, reports_actordailycount IN EXCLUSIVE MODE"
        )
        for sql in _REBUILD_SQL:
            cursor.execute(sql, {"tz": settings.TIME_ZONE})
        if "workflows_keyingdisagreement" in connection.introspection.table_names(cursor):
            cursor.execute(_REBUILD_KEYING_SQL, {"tz": settings.TIME_ZONE})
        result = {}
        for table in ("bookstatecount", "unitstatecount", "dailycount", "unitdailycount", "actordailycount"):
            cursor.execute(f"SELECT count(*) FROM reports_{table}")  # noqa: S608 - fixed table names
            result[table] = cursor.fetchone()[0]
    return result


# --- quotas ------------------------------------------------------------------------------


@transaction.atomic
def quota_set(
    *,
    unit: AdministrativeUnit,
    action: str,
    target: int,
    start: dt.date,
    end: dt.date,
    per: str = Quota.Per.DAY,
    note: str = "",
    person: Any = None,
    actor: Actor,
) -> Quota:
    """Set a target for a unit, or for one person working in it, replacing the same kind of
    target for the same dates.

    A unit's target is set by the level above it (a unit does not set its own targets); a person's
    by whoever manages the unit they work in ("rõ việc, rõ người"), and only for someone who holds a
    role in that unit's subtree. Refused for an unknown measure, a non-positive target or dates out
    of order.
    """
    errors: dict[str, str] = {}
    if person is None:
        parent = unit.parent
        if parent is None or not can(actor, "manage_unit", parent.path):
            errors["unit"] = _(
                "Targets for %(unit)s are set by the level above it; your roles do not manage that level."
            ) % {"unit": unit.name}
    else:
        if not can(actor, "manage_unit", unit.path):
            errors["unit"] = _(
                "Targets for the staff of %(unit)s are set by who manages it; your roles do not."
            ) % {"unit": unit.name}
        elif not works_in(person, unit):
            errors["person"] = _(
                "%(person)s holds no role in %(unit)s or below it: choose someone who works there."
            ) % {"person": person_label(person), "unit": unit.name}
    if action not in QUOTA_ACTIONS:
        errors["action"] = _(
            "Choose what is counted: collected, scanned, entered, attached, reviewed, approved or "
            "transferred."
        )
    if target is None or target <= 0:
        errors["target"] = _("The target must be a whole number of cases greater than zero.")
    if start and end and end < start:
        errors["end"] = _("The end date is before the start date: swap them or correct one.")
    if per not in Quota.Per.values:
        errors["per"] = _("Say whether the target is per day or for the whole period.")
    if errors:
        raise ValidationError(errors)
    replaced = Quota.objects.select_for_update(no_key=True).filter(
        unit=unit, person=person, action=action, start=start, end=end, per=per
    )
    old = [q.target for q in replaced]
    replaced.delete()
    quota = Quota.objects.create(
        unit=unit,
        person=person,
        action=action,
        target=target,
        start=start,
        end=end,
        per=per,
        note=note,
        set_by=actor,
    )
    audit_change(
        action=AuditAction.QUOTA_SET,
        actor=actor,
        unit_id=unit.pk,
        obj=quota,
        changes={
            "action": action,
            "person": person.pk if person is not None else None,
            "target": [old[0] if old else None, target],
            "per": per,
            "start": start,
            "end": end,
        },
    )
    return quota


def works_in(person: Any, unit: AdministrativeUnit) -> bool:
    """Does `person` hold a role on `unit` or a unit below it (where their work is counted)?"""
    return UnitRole.objects.filter(group__user=person, unit__path__startswith=unit.path).exists()


def person_label(person: Any) -> str:
    return person.get_full_name() or person.get_username()


def progress_count_arbitration(record: CivilRecord, overruled: dict[int, int], actor: Actor) -> None:
    """Arbitration hook: each keyer's fields that the arbitrator did not take count against their work."""
    for keyer_id, n in sorted(overruled.items()):
        person_quality_count(actor_id=keyer_id, unit=record.unit, action=Action.KEYING_OVERRULED, n=n)


def person_quality_count(*, actor_id: int, unit: AdministrativeUnit, action: str, n: int = 1) -> None:
    """Count `n` quality findings against a person's work today (overruled keyed fields, errors
    found by acceptance sampling), in the transaction of the decision that found them."""
    if action not in (Action.KEYING_OVERRULED, Action.ACCEPTANCE_ERROR, Action.WORK_RETURNED):
        raise ValueError(f"{action} is not a quality count")
    if n <= 0:
        return
    with connection.cursor() as cursor:
        _upsert(cursor, _ACTOR_UPSERT, [(timezone.localdate(), unit.pk, unit.path, actor_id, action, n)])


def quota_due(quota: Quota, day: dt.date) -> int:
    """What should be done by `day`: the day's target, or the elapsed share of the period's target."""
    if quota.per == Quota.Per.DAY:
        return quota.target
    days = (quota.end - quota.start).days + 1
    elapsed = min(max((day - quota.start).days + 1, 0), days)
    return math.ceil(quota.target * elapsed / days)


# --- daily reports -----------------------------------------------------------------------


def cutoff_for(level: str, day: dt.date) -> dt.datetime:
    """The aware local time at which the reports of `level` for `day` are frozen."""
    hh, mm = (int(x) for x in settings.REPORT_CUTOFFS[level].split(":"))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hh, mm)))


def units_with_books() -> set[int]:
    """Ids of the units that hold books or have a unit holding books below them."""
    paths = BookStateCount.objects.values_list("unit_path", flat=True).distinct()
    return {int(part) for path in paths for part in path.strip("/").split("/") if part}


def _in_campaign(day: dt.date, active: set[int]) -> Q:
    """Units that report on `day`: every unit in force that day inside a province holding books.

    A unit that has not registered a book yet still reports (as "not started"), so that
    nobody above it mistakes silence for progress; units abolished before `day` do not,
    unless they still hold books.
    """
    provinces = AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE, pk__in=active)
    inside = Q(pk__in=[])
    for path in provinces.values_list("path", flat=True):
        inside |= Q(path__startswith=path)
    in_force = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return inside & (in_force | Q(pk__in=active))


def report_units(level: str, day: dt.date | None = None) -> Iterable[AdministrativeUnit]:
    """Units whose reports are frozen at the cut-off of `level` on `day` (see `_in_campaign`)."""
    day = day or timezone.localdate()
    return AdministrativeUnit.objects.filter(_in_campaign(day, units_with_books()), level=level).order_by(
        "path"
    )


_EVENTS_SINCE = """
SELECT e.at, e.action, e.changes -> 'state' ->> 0, e.changes -> 'state' ->> 1,
       coalesce(b1.event_type, b2.event_type), coalesce(b1.phase, b2.phase),
       (e.changes ->> 'declared_cases')::int
FROM audit_auditevent e
LEFT JOIN registry_civilrecord r ON r.id = e.record_id
LEFT JOIN registry_registerbook b1 ON b1.id = r.book_id
LEFT JOIN registry_registerbook b2
       ON b2.id = CASE WHEN e.action = 'book_register' THEN e.object_id::bigint END
WHERE e.stream = %(unit)s
  AND e.seq > (SELECT coalesce(max(seq), 0) FROM audit_auditevent WHERE stream = %(unit)s AND at <= %(since)s)
  AND e.kind = 'change'
  AND (e.action = 'book_register' OR (e.record_id IS NOT NULL AND e.changes ? 'state'))
"""


def _own_figures(unit: AdministrativeUnit, start: dt.datetime, cutoff: dt.datetime) -> dict[tuple, dict]:
    """Figures of the unit's own books as they stood at `cutoff`, and the moves in (start, cutoff].

    Current counts come from `BookStateCount`; what happened after the cut-off is taken
    back out using the unit's audit stream, read from `start` on (within a stream, `at`
    grows with `seq`, so the stream's index finds that point without scanning history).
    A late or repeated run therefore gives the same numbers as one on the dot.
    """
    figures: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for row in (
        RegisterBook.objects.filter(custodian=unit, created_at__lte=cutoff)
        .values("event_type", "phase")
        .annotate(books=Count("id"), declared=Sum("declared_cases"))
        .order_by()
    ):
        line = figures[(row["event_type"], row["phase"])]
        line["books"] += row["books"]
        line["declared_cases"] += row["declared"] or 0
    for state_row in (
        BookStateCount.objects.filter(unit=unit)
        .values("event_type", "phase", "state")
        .annotate(n=Sum("n"))
        .order_by()
    ):
        figures[(state_row["event_type"], state_row["phase"])][f"st_{state_row['state']}"] += state_row["n"]
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_SINCE, {"unit": unit.pk, "since": start})
        for at, action, old, new, event_type, phase, declared in cursor.fetchall():
            line = figures[(event_type, phase)]
            if action == "book_register":
                if at > cutoff:
                    line["st_collected"] -= declared or 0
                elif at > start:
                    line["d_collect"] += declared or 0
                continue
            if at > cutoff:
                line[f"st_{old}"] += 1
                line[f"st_{new}"] -= 1
            elif at > start and action in REPORT_ACTIONS:
                line[f"d_{action}"] += 1
    return figures


def _repeatable_read() -> None:
    """Read counters and audit rows in one snapshot when this is the outermost transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def report_freeze(*, unit: AdministrativeUnit, day: dt.date, actor: Actor | None = None) -> DailyReport:
    """Freeze the unit's report for `day` as of its level's cut-off; return the existing one if frozen.

    The report holds the unit's own books plus, for each child unit, the lines of the
    child's own frozen report of that day (frozen now if missing), so that each level
    reports exactly what the levels below reported. It keeps the short digest of the latest
    audit anchor (audit.anchors), which the report prints. Refused before the cut-off.
    """
    return _report_freeze_outermost(unit=unit, day=day, actor=actor, anchor=latest_anchor())


def _report_freeze_outermost(
    *, unit: AdministrativeUnit, day: dt.date, actor: Actor | None, anchor: Anchor | None
) -> DailyReport:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            _repeatable_read()
        return _report_freeze(unit=unit, day=day, actor=actor, active=units_with_books(), anchor=anchor)


def _report_freeze(
    *, unit: AdministrativeUnit, day: dt.date, actor: Actor | None, active: set[int], anchor: Anchor | None
) -> DailyReport:
    existing = DailyReport.objects.filter(unit=unit, day=day).first()
    if existing:
        return existing
    cutoff = cutoff_for(unit.level, day)
    if timezone.now() < cutoff:
        raise ValidationError(
            _("The report of %(unit)s for %(day)s can be frozen only after its cut-off at %(time)s.")
            % {
                "unit": unit.name,
                "day": day.strftime("%d/%m/%Y"),
                "time": settings.REPORT_CUTOFFS[unit.level],
            }
        )
    children = list(
        AdministrativeUnit.objects.filter(_in_campaign(day, active), parent=unit).order_by("name")
    )
    child_reports = [
        _report_freeze(unit=child, day=day, actor=actor, active=active, anchor=anchor) for child in children
    ]
    start = cutoff_for(unit.level, day - dt.timedelta(days=1))
    own = _own_figures(unit, start, cutoff)
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(
                unit=unit,
                unit_path=unit.path,
                day=day,
                period_start=start,
                cutoff_at=cutoff,
                generated_by=actor,
                started=unit.pk in active,
                audit_anchor=anchor.short if anchor else "",
                audit_anchor_at=anchor.at if anchor else None,
            )
    except IntegrityError:  # frozen meanwhile by another run
        return DailyReport.objects.get(unit=unit, day=day)
    lines = [
        DailyReportLine(
            report=report, unit=unit, child=unit, event_type=event_type, phase=phase, **dict(values)
        )
        for (event_type, phase), values in sorted(own.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
        if any(values.values())
    ]
    copied = [
        field.attname
        for field in DailyReportLine._meta.concrete_fields
        if field.name not in ("id", "report", "child")
    ]
    for child, child_report in zip(children, child_reports, strict=True):
        for line in child_report.lines.all():
            values = {name: getattr(line, name) for name in copied}
            lines.append(DailyReportLine(report=report, child=child, **values))
    DailyReportLine.objects.bulk_create(lines)
    _freeze_targets(report, [unit, *children], lines)
    return report


def _freeze_targets(
    report: DailyReport, units: list[AdministrativeUnit], lines: list[DailyReportLine]
) -> None:
    day = report.day
    quotas = Quota.objects.filter(unit__in=units, person__isnull=True, start__lte=day, end__gte=day).order_by(
        "unit__path", "action"
    )
    rows = []
    for quota in quotas:
        field = f"d_{quota.action}"
        today = sum(
            getattr(line, field, 0)
            for line in lines
            if line.child_id == quota.unit_id or (quota.unit_id == report.unit_id)
        )
        if quota.per == Quota.Per.DAY:
            done = today
        else:
            earlier = (
                DailyReportLine.objects.filter(
                    report__unit=quota.unit, report__day__gte=quota.start, report__day__lt=day
                ).aggregate(n=Sum(field))["n"]
                or 0
            )
            done = earlier + today
        rows.append(
            DailyReportTarget(
                report=report,
                unit=quota.unit,
                action=quota.action,
                per=quota.per,
                target=quota_due(quota, day),
                done=done,
            )
        )
    # The people of the unit's subtree with targets of their own, with what they did (their day counters).
    for standing in person_quota_progress(report.unit, day):
        rows.append(
            DailyReportTarget(
                report=report,
                unit=standing.quota.unit,
                person_id=standing.quota.person_id,
                person_name=standing.person_name,
                action=standing.quota.action,
                per=standing.quota.per,
                target=standing.due,
                done=standing.done,
            )
        )
    DailyReportTarget.objects.bulk_create(rows)


@dataclass
class QuotaProgress:
    """A target on a day: what is due by then and what was done."""

    quota: Quota
    due: int
    done: int

    @property
    def pct(self) -> float | None:
        return round(100 * self.done / self.due, 1) if self.due else None

    @property
    def behind(self) -> bool:
        return self.done < self.due


@dataclass
class PersonQuotaProgress(QuotaProgress):
    """A person's own target on a day, with their name."""

    person_name: str = ""

    @property
    def ahead(self) -> int:
        """Cases ahead of the target (negative: behind)."""
        return self.done - self.due


def person_quota_progress(unit: AdministrativeUnit, day: dt.date) -> list[PersonQuotaProgress]:
    """The personal targets active on `day` in the unit's subtree, with what each person has done
    (their own work within the target's unit), in the order of the units and names."""
    quotas = list(
        Quota.objects.filter(
            unit__path__startswith=unit.path, person__isnull=False, start__lte=day, end__gte=day
        )
        .select_related("unit", "person")
        .order_by("unit__path", "person__last_name", "person__first_name", "person__username", "action")
    )
    if not quotas:
        return []
    earliest = min(q.start if q.per == Quota.Per.PERIOD else day for q in quotas)
    counts = (
        ActorDailyCount.objects.filter(
            actor_id__in={q.person_id for q in quotas},
            unit_path__startswith=unit.path,
            day__gte=earliest,
            day__lte=day,
            action__in={q.action for q in quotas},
        )
        .values_list("actor_id", "unit_path", "day", "action")
        .annotate(n=Sum("n"))
        .order_by()
    )
    rows = list(counts)
    result = []
    for quota in quotas:
        since = day if quota.per == Quota.Per.DAY else quota.start
        done = sum(
            n
            for actor_id, path, d, action, n in rows
            if actor_id == quota.person_id
            and action == quota.action
            and since <= d <= day
            and path.startswith(quota.unit.path)
        )
        result.append(
            PersonQuotaProgress(
                quota=quota, due=quota_due(quota, day), done=done, person_name=person_label(quota.person)
            )
        )
    return result


# --- monthly, quarterly and yearly reports ----------------------------------------------------


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the month, quarter or year that holds `day`."""
    if kind == PeriodReport.Kind.MONTH:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    elif kind == PeriodReport.Kind.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        start = day.replace(month=first_month, day=1)
        end = (start + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
    elif kind == PeriodReport.Kind.YEAR:
        start, end = day.replace(month=1, day=1), day.replace(month=12, day=31)
    else:
        raise ValidationError(_("Choose a month, a quarter or a year."))
    return start, end


_STATE_FIELDS = ["books", "declared_cases", *[f"st_{s}" for s in REPORT_STATES]]
_MOVE_FIELDS = [f"d_{a}" for a in REPORT_ACTIONS]


def period_report_freeze(
    *, unit: AdministrativeUnit, kind: str, day: dt.date, actor: Actor | None = None
) -> PeriodReport:
    """Freeze the unit's report of the period holding `day`; return the existing one if frozen.

    Refused before the cut-off of the period's last day. Daily reports of the period that
    are missing are frozen first (as of their own cut-offs), so the period report is
    exactly the sum of its days: moves added up, states as of the last day.
    """
    start, end = period_bounds(kind, day)
    existing = PeriodReport.objects.filter(unit=unit, kind=kind, start=start).first()
    if existing:
        return existing
    cutoff = cutoff_for(unit.level, end)
    if timezone.now() < cutoff:
        raise ValidationError(
            _(
                "The report of %(unit)s for %(start)s–%(end)s can be frozen only after %(time)s "
                "on its last day."
            )
            % {
                "unit": unit.name,
                "start": start.strftime("%d/%m/%Y"),
                "end": end.strftime("%d/%m/%Y"),
                "time": settings.REPORT_CUTOFFS[unit.level],
            }
        )
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            _repeatable_read()
        active = units_with_books()
        anchor = latest_anchor()
        for child in AdministrativeUnit.objects.filter(_in_campaign(end, active), parent=unit):
            period_report_freeze(unit=child, kind=kind, day=day, actor=actor)  # each level has its own
        dailies = []
        day_n = start
        while day_n <= end:
            dailies.append(_report_freeze(unit=unit, day=day_n, actor=actor, active=active, anchor=anchor))
            day_n += dt.timedelta(days=1)
        try:
            with transaction.atomic():
                report = PeriodReport.objects.create(
                    unit=unit,
                    unit_path=unit.path,
                    kind=kind,
                    start=start,
                    end=end,
                    cutoff_at=cutoff,
                    started=any(d.started for d in dailies),
                    generated_by=actor,
                )
        except IntegrityError:  # frozen meanwhile by another run
            return PeriodReport.objects.get(unit=unit, kind=kind, start=start)
        sums: dict[tuple, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(_STATE_FIELDS + _MOVE_FIELDS, 0)
        )
        last = dailies[-1]
        for line in DailyReportLine.objects.filter(report__in=dailies).order_by():
            key = (line.unit_id, line.child_id, line.event_type, line.phase)
            values = sums[key]
            for name in _MOVE_FIELDS:
                values[name] += getattr(line, name)
            if line.report_id == last.pk:
                for name in _STATE_FIELDS:
                    values[name] = getattr(line, name)
        lines = [
            PeriodReportLine(report=report, unit_id=u, child_id=c, event_type=t, phase=ph, **values)
            for (u, c, t, ph), values in sorted(
                sums.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or 0)
            )
            if any(values.values())
        ]
        PeriodReportLine.objects.bulk_create(lines)
        _period_targets(report, lines)
    return report


def _period_targets(report: PeriodReport, lines: list[PeriodReportLine]) -> None:
    """What the quotas of the unit and its children asked within the period, and what was done."""
    children = [report.unit_id, *{line.child_id for line in lines}]
    quotas = Quota.objects.filter(
        unit_id__in=children, person__isnull=True, start__lte=report.end, end__gte=report.start
    )
    rows = []
    for quota in quotas.order_by("unit__path", "action"):
        first, last = max(quota.start, report.start), min(quota.end, report.end)
        if quota.per == Quota.Per.DAY:
            target = quota.target * ((last - first).days + 1)
        else:
            target = quota_due(quota, last) - quota_due(quota, first - dt.timedelta(days=1))
        field = f"d_{quota.action}"
        done = sum(
            getattr(line, field, 0)
            for line in lines
            if line.child_id == quota.unit_id or quota.unit_id == report.unit_id
        )
        rows.append(
            PeriodReportTarget(
                report=report, unit=quota.unit, action=quota.action, per=quota.per, target=target, done=done
            )
        )
    PeriodReportTarget.objects.bulk_create(rows)


def periods_freeze_due(*, now: dt.datetime | None = None, days_back: int = 3) -> list[PeriodReport]:
    """Freeze the month, quarter and year reports whose last day's cut-off passed within `days_back` days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    made = []
    for back in range(days_back, -1, -1):
        day = today - dt.timedelta(days=back)
        for kind in PeriodReport.Kind.values:
            start, end = period_bounds(kind, day)
            if end != day:
                continue
            for level in (UnitLevel.COMMUNE, UnitLevel.DISTRICT, UnitLevel.PROVINCE):
                if cutoff_for(level, day) > now:
                    continue
                done = set(
                    PeriodReport.objects.filter(kind=kind, start=start, unit__level=level).values_list(
                        "unit_id", flat=True
                    )
                )
                for unit in report_units(level, day):
                    if unit.pk not in done:
                        made.append(period_report_freeze(unit=unit, kind=kind, day=day))
    return made


def reports_freeze_due(*, now: dt.datetime | None = None, days_back: int = 3) -> list[DailyReport]:
    """Freeze every report whose cut-off has passed (today and `days_back` days before) and is missing.

    What the scheduler runs; safe to run again and again (frozen reports are left alone).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    anchor = latest_anchor()  # printed on every report frozen now (read once, not per unit)
    made = []
    for back in range(days_back, -1, -1):
        day = today - dt.timedelta(days=back)
        for level in (UnitLevel.COMMUNE, UnitLevel.DISTRICT, UnitLevel.PROVINCE):
            if cutoff_for(level, day) > now:
                continue
            done = set(
                DailyReport.objects.filter(day=day, unit__level=level).values_list("unit_id", flat=True)
            )
            for unit in report_units(level, day):
                if unit.pk not in done:
                    made.append(_report_freeze_outermost(unit=unit, day=day, actor=None, anchor=anchor))
    return made


# --- sign-off: the narrative, submitted by the unit's head, confirmed by the level above -------

SIGNING_PERMISSIONS = ("approve_record", "manage_unit")
NARRATIVE_MAX = 5000


def may_submit(user, report: DailyReport) -> bool:
    """The unit's head: someone who approves records or manages units at the report's unit."""
    return any(can(user, perm, report.unit_path) for perm in SIGNING_PERMISSIONS)


def may_confirm(user, report: DailyReport) -> bool:
    """Someone who signs for the level above (the parent unit); a province report has no one."""
    parent = report.unit.parent
    if parent is None:
        return False
    return any(can(user, perm, parent.path) for perm in SIGNING_PERMISSIONS)


def _locked(report: DailyReport) -> DailyReport:
    locked = DailyReport.objects.select_for_update(no_key=True, of=("self",)).select_related("unit__parent")
    return locked.get(pk=report.pk)


def _clean_narrative(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > NARRATIVE_MAX:
        raise ValidationError(
            _("The narrative is %(n)s characters long; shorten it to at most %(max)s.")
            % {"n": len(text), "max": NARRATIVE_MAX}
        )
    return text


def report_narrative_save(*, report: DailyReport, actor: Actor, narrative: str, submit: bool) -> DailyReport:
    """Save the unit's narrative and, with `submit`, send the report up; audited.

    Refused once submitted (the level above returns it for changes) and for anyone who
    does not sign for the unit.
    """
    narrative = _clean_narrative(narrative)
    with transaction.atomic():
        report = _locked(report)
        if not may_submit(actor, report):
            raise PermissionDenied(
                _("Only the head of %(unit)s may write its report.") % {"unit": report.unit.name}
            )
        if report.submitted_at:
            raise ValidationError(
                _("This report was submitted on %(at)s; ask the level above to return it to change it.")
                % {"at": timezone.localtime(report.submitted_at).strftime("%d/%m/%Y %H:%M")}
            )
        changes: dict[str, Any] = {}
        if narrative != report.narrative:
            changes["narrative"] = [report.narrative, narrative]
        report.narrative = narrative
        fields = ["narrative"]
        if submit:
            report.submitted_at = timezone.now()
            report.submitted_by = actor
            report.returned_reason = ""
            fields += ["submitted_at", "submitted_by", "returned_reason"]
            changes["submitted_at"] = [None, report.submitted_at.isoformat()]
            if report.submitted_late:
                changes["late"] = [False, True]
        if not changes:
            return report
        report.save(update_fields=fields)
        audit_change(
            action=AuditAction.REPORT_SUBMIT if submit else AuditAction.REPORT_NARRATIVE,
            actor=actor,
            unit_id=report.unit_id,
            obj=report,
            changes=changes,
        )
    return report


def report_confirm(*, report: DailyReport, actor: Actor) -> DailyReport:
    """The level above confirms a submitted report (never the person who submitted it)."""
    with transaction.atomic():
        report = _locked(report)
        _check_reviewer(actor, report)
        if report.confirmed_at:
            return report
        report.confirmed_at = timezone.now()
        report.confirmed_by = actor
        report.save(update_fields=["confirmed_at", "confirmed_by"])
        audit_change(
            action=AuditAction.REPORT_CONFIRM,
            actor=actor,
            unit_id=report.unit_id,
            obj=report,
            changes={"confirmed_at": [None, report.confirmed_at.isoformat()]},
        )
    return report


def report_return(*, report: DailyReport, actor: Actor, reason: str) -> DailyReport:
    """The level above sends a submitted report back to the unit with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the report goes back, so the unit knows what to change."))
    if len(reason) > 500:
        raise ValidationError(_("Keep the reason under 500 characters."))
    with transaction.atomic():
        report = _locked(report)
        _check_reviewer(actor, report)
        if report.confirmed_at:
            raise ValidationError(_("This report is already confirmed."))
        changes = {"submitted_at": [report.submitted_at.isoformat() if report.submitted_at else None, None]}
        report.submitted_at = None
        report.submitted_by = None
        report.returned_reason = reason
        report.save(update_fields=["submitted_at", "submitted_by", "returned_reason"])
        audit_change(
            action=AuditAction.REPORT_RETURN,
            actor=actor,
            unit_id=report.unit_id,
            obj=report,
            changes=changes,
            reason=reason,
        )
    return report


def _check_reviewer(actor: Actor, report: DailyReport) -> None:
    if not may_confirm(actor, report):
        raise PermissionDenied(
            _("Only the level above %(unit)s confirms its report.") % {"unit": report.unit.name}
        )
    if report.submitted_at is None:
        raise ValidationError(_("The unit has not submitted this report yet."))
    if report.submitted_by_id == actor.pk:
        raise ValidationError(_("You submitted this report; someone else of the level above confirms it."))


# --- books corrected after registration ----------------------------------------------------


def progress_drop_slots(book: RegisterBook, slots: list[CivilRecord]) -> None:
    """Slot-removal hook: removed empty slots leave the state counts (they were never cases)."""
    states: dict[str, int] = defaultdict(int)
    for slot in slots:
        states[slot.state] -= 1
    unit = book.custodian
    with connection.cursor() as cursor:
        batch = _Batch()
        by_state = sorted(states.items())
        _upsert(
            batch,
            _BOOK_STATE_UPSERT,
            [
                (book.pk, s, k, unit.pk, unit.path, book.event_type, book.phase, book.year)
                for s, k in by_state
            ],
        )
        _upsert(
            batch,
            _UNIT_STATE_UPSERT,
            [(unit.pk, unit.path, book.event_type, book.phase, s, k) for s, k in by_state],
        )
        batch.flush(cursor)
    _push_after_commit(unit.path)


def progress_follow_book(old: RegisterBook, book: RegisterBook) -> None:
    """Book-correction hook: the book's counts carry its new year, phase and event type, and the
    unit's counts move from the old type and phase to the new ones."""
    counts = list(BookStateCount.objects.filter(book=book).values_list("state", "n"))
    BookStateCount.objects.filter(book=book).update(
        year=book.year, phase=book.phase, event_type=book.event_type
    )
    if (old.event_type, old.phase) == (book.event_type, book.phase) or not counts:
        return
    unit = book.custodian
    rows = [(unit.pk, unit.path, old.event_type, old.phase, s, -n) for s, n in counts] + [
        (unit.pk, unit.path, book.event_type, book.phase, s, n) for s, n in counts
    ]
    rows.sort(key=lambda row: (row[2], row[3] if row[3] is not None else -1, row[4]))
    with connection.cursor() as cursor:
        batch = _Batch()
        _upsert(batch, _UNIT_STATE_UPSERT, rows)
        batch.flush(cursor)
    _push_after_commit(unit.path)
