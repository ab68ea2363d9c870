"""Reads for the progress pages: every figure comes from the counter tables, scoped by unit path.

No function here reads `CivilRecord` rows but `as_written_counts`, which reads only the few
active cases with a value confirmed as written, through their own partial index
(`record_as_written`): a province page costs a few indexed aggregate queries over at most
(books × states) or (units × days × actions) rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, Count, F, Func, IntegerField, QuerySet, Sum, Value
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from permissions.scoping import can, scopes_with
from registry.models import ACTIVE_Q, AdministrativeUnit, CivilRecord, EventType, RegisterBook
from reports.models import (
    REPORT_ACTIONS,
    REPORT_STATES,
    Action,
    ActorDailyCount,
    BookStateCount,
    DailyCount,
    DailyReport,
    PeriodReport,
    Quota,
    ReportFigures,
    UnitDailyCount,
    UnitStateCount,
)
from reports.services import PersonQuotaProgress, QuotaProgress, person_quota_progress, quota_due

DIGITIZED = ("entered", "attached", "reviewed", "approved", "transferred")
DONE = ("approved", "transferred")
OPEN = ("collected", "scanned", "entered", "attached", "reviewed")
CLOSED = ("rejected", "duplicate")


# --- which unit ------------------------------------------------------------------------


def progress_unit_for(user, unit_id: int | str | None = None) -> AdministrativeUnit:
    """The unit whose progress `user` asked for, if it lies in their scope; else their widest unit.

    Raises 404 for a unit outside the user's scope, or when the user has no role at all.
    """
    if unit_id not in (None, ""):
        unit = AdministrativeUnit.objects.filter(pk=unit_id).first()
        if unit is None or not can(user, "view_records", unit.path):
            raise Http404("No such unit.")
        return unit
    if getattr(user, "is_superuser", False):
        unit = AdministrativeUnit.objects.order_by("depth", "-id").first()
    else:
        scopes = sorted(
            scopes_with(user, "view_records"), key=lambda s: (s.unit_path.count("/"), s.unit_path)
        )
        unit = AdministrativeUnit.objects.filter(pk=scopes[0].unit_id).first() if scopes else None
    if unit is None:
        raise Http404("You hold no role on any unit.")
    return unit


def children_of(unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    return list(AdministrativeUnit.objects.filter(parent=unit).order_by("name"))


def _child_key(unit: AdministrativeUnit):
    """The id (as text) of the direct child of `unit` a row's path falls under; '' for the unit itself."""
    return Func(
        F("unit_path"), Value("/"), Value(unit.depth + 2), function="split_part", output_field=CharField()
    )


def _label_children(
    unit: AdministrativeUnit, keyed: dict[str, dict]
) -> list[tuple[AdministrativeUnit, dict]]:
    ids = [int(k) for k in keyed if k]
    units = {str(u.pk): u for u in AdministrativeUnit.objects.filter(pk__in=ids)}
    rows = []
    if "" in keyed:
        rows.append((unit, keyed[""]))
    rows.extend(sorted(((units[k], v) for k, v in keyed.items() if k in units), key=lambda r: r[0].name))
    return rows


# --- derived figures -----------------------------------------------------------------------


def derive(values: dict[str, int]) -> dict[str, int | float | None]:
    """Add the totals a reader wants to raw state counts (st_* or bare state names)."""

    def get(state: str) -> int:
        return int(values.get(f"st_{state}", values.get(state, 0)) or 0)

    slots = sum(get(s) for s in REPORT_STATES)
    closed = sum(get(s) for s in CLOSED)
    done = sum(get(s) for s in DONE)
    active = slots - closed
    return {
        **values,
        "slots": slots,
        "digitized": sum(get(s) for s in DIGITIZED),
        "done": done,
        "remaining": sum(get(s) for s in OPEN),
        "checking": get("entered") + get("attached") + get("reviewed"),
        "closed": closed,
        "pct_done": round(100 * done / active, 1) if active else None,
    }


# --- current state counts --------------------------------------------------------------------


def _state_rows(unit: AdministrativeUnit) -> QuerySet:
    return BookStateCount.objects.filter(unit_path__startswith=unit.path)


def state_cube(unit: AdministrativeUnit) -> list[tuple[str, str, int | None, str, int]]:
    """Current cases per (direct child, event type, phase, state) in one scan of the counters."""
    return list(
        UnitStateCount.objects.filter(unit_path__startswith=unit.path)
        .annotate(k=_child_key(unit))
        .values_list("k", "event_type", "phase", "state")
        .annotate(n=Sum("n"))
        .order_by()
    )


_CUBE_AXIS = {"child": 0, "event_type": 1, "phase": 2}


def _states_grouped(unit: AdministrativeUnit, dimension: str, cube: list | None) -> dict:
    grouped: dict = defaultdict(lambda: defaultdict(int))
    if dimension in _CUBE_AXIS:
        axis = _CUBE_AXIS[dimension]
        for row in state_cube(unit) if cube is None else cube:
            grouped[row[axis]][row[3]] += row[4]
    else:
        for k, state, n in _state_rows(unit).values_list(dimension, "state").annotate(n=Sum("n")).order_by():
            grouped[k][state] += n
    return grouped


# Where a record keeps each grouping of `states_by`.
_RECORD_AXIS = {"event_type": "event_type", "phase": "book__phase", "year": "book__year"}


def as_written_counts(unit: AdministrativeUnit, dimension: str) -> dict:
    """Active cases with at least one value confirmed "as written in the book", and how many such
    values, per group of `states_by` (same keys): {key: {"as_written": cases, "as_written_fields": n}}."""
    records = CivilRecord.objects.filter(ACTIVE_Q, unit_path__startswith=unit.path).exclude(as_written=[])
    if dimension == "child":
        records = records.annotate(k=_child_key(unit))
    else:
        records = records.annotate(k=F(_RECORD_AXIS[dimension]))
    rows = records.values_list("k").annotate(
        cases=Count("id"),
        fields=Sum(Func(F("as_written"), Value(1), function="array_length", output_field=IntegerField())),
    )
    return {
        k: {"as_written": cases, "as_written_fields": fields or 0} for k, cases, fields in rows.order_by()
    }


def states_by_child(
    unit: AdministrativeUnit, cube: list | None = None
) -> list[tuple[AdministrativeUnit, dict]]:
    """`states_by(unit, "child", cube)`, typed: the keys are the units."""
    return [(u, derive(v)) for u, v in _label_children(unit, _states_grouped(unit, "child", cube))]


def states_by(
    unit: AdministrativeUnit, dimension: str, cube: list | None = None, *, as_written: bool = False
) -> list[tuple[object, dict]]:
    """Current cases per state, grouped by 'child' (direct child units), 'event_type', 'phase' or 'year'.

    Pass a `state_cube` to group it again without another query (not for 'year'). With
    `as_written`, each group also counts its cases confirmed as written (`as_written_counts`).
    """
    grouped = _states_grouped(unit, dimension, cube)
    if as_written:
        for key, counts in as_written_counts(unit, dimension).items():
            grouped[key].update(counts)
    if dimension == "child":
        return [(u, derive(v)) for u, v in _label_children(unit, grouped)]
    if dimension == "event_type":
        labels = dict(EventType.choices)
        return [(labels.get(k, k), derive(v)) for k, v in sorted(grouped.items())]
    return [(k, derive(v)) for k, v in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0]))]


def scan_flags(unit: AdministrativeUnit) -> dict[str, int]:
    """Scans to look at under the unit, in one query of the scans table (a partial index): cases whose
    scan is over the size limit (their current scan: not replaced by a newer one) and late scans
    waiting for their check."""
    from django.db.models import Exists, OuterRef, Q

    from scans.models import NOT_CURRENT, LateCheck, ScanFile

    newer = ScanFile.objects.filter(record=OuterRef("record"), id__gt=OuterRef("id")).exclude(
        late_check__in=NOT_CURRENT
    )
    current_over = Q(Q(over_limit=True), ~Q(late_check__in=NOT_CURRENT), ~Exists(newer))
    return ScanFile.objects.filter(
        Q(over_limit=True) | Q(late_check=LateCheck.PENDING), unit_path__startswith=unit.path
    ).aggregate(
        over_limit=Count("pk", filter=current_over),
        late_waiting=Count("pk", filter=Q(late_check=LateCheck.PENDING)),
    )


def state_totals(unit: AdministrativeUnit, cube: list | None = None) -> dict:
    totals: dict[str, int] = defaultdict(int)
    for row in state_cube(unit) if cube is None else cube:
        totals[row[3]] += row[4]
    return derive(dict(totals))


@dataclass
class InventoryRow:
    unit: AdministrativeUnit
    event_type: str
    phase: int | None
    books: int = 0
    declared: int = 0
    states: dict = field(default_factory=dict)

    @property
    def event_label(self) -> str:
        return str(dict(EventType.choices).get(self.event_type, self.event_type))


def inventory(unit: AdministrativeUnit) -> list[InventoryRow]:
    """What remains per direct child unit, event type and phase: books, declared cases, cases per state."""
    book_rows = (
        RegisterBook.objects.filter(custodian__path__startswith=unit.path)
        .annotate(
            k=Func(
                F("custodian__path"),
                Value("/"),
                Value(unit.depth + 2),
                function="split_part",
                output_field=CharField(),
            )
        )
        .values("k", "event_type", "phase")
        .annotate(books=Count("id"), declared=Sum("declared_cases"))
        .order_by()
    )
    keyed: dict[tuple, dict] = defaultdict(lambda: {"books": 0, "declared": 0, "states": defaultdict(int)})
    for row in book_rows:
        entry = keyed[(row["k"], row["event_type"], row["phase"])]
        entry["books"] += row["books"]
        entry["declared"] += row["declared"] or 0
    for k, event_type, phase, state, n in state_cube(unit):
        keyed[(k, event_type, phase)]["states"][state] += n
    units = {
        str(u.pk): u for u in AdministrativeUnit.objects.filter(pk__in=[int(k) for k, _, _ in keyed if k])
    }
    units[""] = unit
    rows = [
        InventoryRow(units[k], event_type, phase, v["books"], v["declared"], derive(dict(v["states"])))
        for (k, event_type, phase), v in keyed.items()
        if k in units
    ]
    rows.sort(key=lambda r: (r.unit.pk != unit.pk, r.unit.name, r.event_type, r.phase or 0))
    return rows


_BOOKS_TO_CHECK = """
SELECT s.book_id, s.slots, s.digitized, s.waiting
FROM (
    SELECT book_id, sum(n) AS slots,
           coalesce(sum(n) FILTER (WHERE state IN ('entered', 'attached', 'reviewed', 'approved',
                                                   'transferred')), 0) AS digitized,
           coalesce(sum(n) FILTER (WHERE state IN ('collected', 'scanned')), 0) AS waiting
    FROM reports_bookstatecount WHERE unit_path LIKE %s GROUP BY book_id
) s
JOIN registry_registerbook b ON b.id = s.book_id
WHERE b.declared_cases IS NOT NULL
  AND (s.slots <> b.declared_cases OR (s.waiting = 0 AND s.digitized <> b.declared_cases))
ORDER BY s.book_id LIMIT %s
"""


def books_to_check(unit: AdministrativeUnit, limit: int = 200) -> list[dict]:
    """Books whose digitized count differs from the closing total declared in the book.

    Flagged when nothing is left to scan or enter (no case collected or scanned) and the
    cases entered so far differ from the declared total, or when the book has more or
    fewer slots than declared. At most `limit` books, in one aggregate query and one fetch.
    """
    with connection.cursor() as cursor:
        # unit paths hold digits and slashes only: nothing to escape for LIKE
        cursor.execute(_BOOKS_TO_CHECK, [unit.path + "%", limit])
        found = {
            book_id: (slots, digitized, waiting) for book_id, slots, digitized, waiting in cursor.fetchall()
        }
    books = RegisterBook.objects.filter(pk__in=found).select_related("custodian")
    flagged = []
    for book in books.order_by("custodian__name", "event_type", "year", "book_no"):
        slots, digitized, waiting = found[book.pk]
        flagged.append(
            {
                "book": book,
                "slots": slots,
                "digitized": digitized,
                "waiting": waiting,
                "difference": digitized - book.declared_cases,
                "why": "slots" if slots != book.declared_cases else "digitized",
            }
        )
    return flagged


# --- activity over days ----------------------------------------------------------------------


def days_back(last: dt.date, n: int) -> list[dt.date]:
    return [last - dt.timedelta(days=i) for i in range(n - 1, -1, -1)]


def activity_cube(
    unit: AdministrativeUnit, start: dt.date, end: dt.date
) -> list[tuple[str, dt.date, str, int]]:
    """Moves per (direct child, day, action) in [start, end], in one scan of the daily counters."""
    return list(
        UnitDailyCount.objects.filter(unit_path__startswith=unit.path, day__gte=start, day__lte=end)
        .annotate(k=_child_key(unit))
        .values_list("k", "day", "action")
        .annotate(n=Sum("n"))
        .order_by()
    )


def activity_by_day(
    unit: AdministrativeUnit, start: dt.date, end: dt.date, cube: list | None = None
) -> dict[dt.date, dict[str, int]]:
    """Moves per day and action in the unit's subtree (every day of the range, empty ones too)."""
    out: dict[dt.date, dict[str, int]] = {d: defaultdict(int) for d in days_back(end, (end - start).days + 1)}
    for _k, day, action, n in activity_cube(unit, start, end) if cube is None else cube:
        out[day][action] += n
    return out


def activity_by_child(
    unit: AdministrativeUnit, cube: list
) -> list[tuple[AdministrativeUnit, dict[str, int]]]:
    grouped: dict = defaultdict(lambda: defaultdict(int))
    for k, _day, action, n in cube:
        grouped[k][action] += n
    return _label_children(unit, grouped)


def activity_by(
    unit: AdministrativeUnit, dimension: str, start: dt.date, end: dt.date
) -> Sequence[tuple[object, dict[str, int]]]:
    """Moves per action in [start, end], grouped by 'child', 'event_type', 'phase' or 'day'."""
    table = UnitDailyCount if dimension in ("child", "day") else DailyCount
    rows = table.objects.filter(unit_path__startswith=unit.path, day__gte=start, day__lte=end)
    key = _child_key(unit) if dimension == "child" else F(dimension)
    grouped: dict = defaultdict(lambda: defaultdict(int))
    for k, action, n in rows.annotate(k=key).values_list("k", "action").annotate(n=Sum("n")).order_by():
        grouped[k][action] += n
    if dimension == "child":
        return _label_children(unit, grouped)
    if dimension == "event_type":
        labels = dict(EventType.choices)
        return [(labels.get(k, k), dict(v)) for k, v in sorted(grouped.items())]
    return [(k, dict(v)) for k, v in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0]))]


@dataclass
class PersonRow:
    user_id: int
    name: str
    counts: dict[str, int]

    @property
    def return_rate(self) -> float | None:
        worked = self.counts.get("enter", 0) + self.counts.get("amend", 0)
        if not worked:
            return None
        return round(100 * self.counts.get(Action.WORK_RETURNED, 0) / worked, 1)

    @property
    def keying_overruled(self) -> int:
        return self.counts.get(Action.KEYING_OVERRULED, 0)

    @property
    def acceptance_errors(self) -> int:
        return self.counts.get(Action.ACCEPTANCE_ERROR, 0)

    @property
    def review_missed_rate(self) -> float | None:
        """The share of the cases this person passed in review that the approver returned."""
        reviewed = self.counts.get("review", 0)
        if not reviewed:
            return None
        return round(100 * self.counts.get(Action.REVIEW_MISSED, 0) / reviewed, 1)


def productivity(unit: AdministrativeUnit, start: dt.date, end: dt.date) -> list[PersonRow]:
    """Per person: cases moved per action in [start, end] and the share of their entries returned."""
    return people_work(
        ActorDailyCount.objects.filter(unit_path__startswith=unit.path, day__gte=start, day__lte=end)
    )


def people_work(counters: QuerySet[ActorDailyCount]) -> list[PersonRow]:
    """Per person of `counters` (their day counters, filtered by the caller): cases moved per
    action and their quality counts, busiest first."""
    rows = counters.values_list("actor_id", "action").annotate(n=Sum("n")).order_by()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for actor_id, action, n in rows:
        counts[actor_id][action] += n
    # Names in a second query: grouping the counters first keeps the join off the big scan.
    names = {
        pk: f"{first} {last}".strip() or username
        for pk, username, first, last in get_user_model()
        .objects.filter(pk__in=counts)
        .values_list("pk", "username", "first_name", "last_name")
    }
    people = {pk: PersonRow(pk, names.get(pk, str(pk)), c) for pk, c in counts.items()}
    return sorted(people.values(), key=lambda p: (-sum(p.counts.values()), p.name))


# --- quotas ----------------------------------------------------------------------------------


def quota_progress(unit: AdministrativeUnit, day: dt.date) -> list[QuotaProgress]:
    """Targets active on `day` in the unit's subtree, with what is due and done; furthest behind first."""
    quotas = list(
        Quota.objects.filter(
            unit__path__startswith=unit.path, person__isnull=True, start__lte=day, end__gte=day
        ).select_related("unit")
    )
    if not quotas:
        return []
    earliest = min(q.start if q.per == Quota.Per.PERIOD else day for q in quotas)
    counts = (
        UnitDailyCount.objects.filter(
            unit_path__startswith=unit.path,
            day__gte=earliest,
            day__lte=day,
            action__in={q.action for q in quotas},
        )
        .values_list("unit_path", "day", "action")
        .annotate(n=Sum("n"))
        .order_by()
    )
    rows = list(counts)
    result = []
    for quota in quotas:
        since = day if quota.per == Quota.Per.DAY else quota.start
        done = sum(
            n
            for path, d, action, n in rows
            if action == quota.action and since <= d <= day and path.startswith(quota.unit.path)
        )
        result.append(QuotaProgress(quota, quota_due(quota, day), done))
    result.sort(key=lambda p: (p.pct if p.pct is not None else 1000, p.quota.unit.name))
    return result


# --- frozen reports --------------------------------------------------------------------------


def reports_visible_to(user) -> QuerySet[DailyReport]:
    from permissions.scoping import scope_q

    return DailyReport.objects.filter(scope_q(user, "view_records", path_field="unit_path"))


def get_report_for(user, pk: int) -> DailyReport:
    report = DailyReport.objects.filter(pk=pk).select_related("unit").first()
    if report is None or not can(user, "view_records", report.unit_path):
        raise Http404("No such report.")
    return report


LINE_FIELDS = [
    "books",
    "declared_cases",
    *[f"st_{s}" for s in REPORT_STATES],
    *[f"d_{a}" for a in REPORT_ACTIONS],
]


def _sum_lines(lines: Iterable[ReportFigures]) -> dict[str, int]:
    total = dict.fromkeys(LINE_FIELDS, 0)
    for line in lines:
        for name in LINE_FIELDS:
            total[name] += getattr(line, name)
    return total


AnyReport = DailyReport | PeriodReport


@dataclass
class ReportSummary:
    report: AnyReport
    by_child: list[tuple[AdministrativeUnit, dict]]
    by_type_phase: list[tuple[str, int | None, dict]]
    by_unit: list[tuple[AdministrativeUnit, dict]]
    total: dict
    targets: list


def report_summary(report: AnyReport) -> ReportSummary:
    """A frozen report's lines summed per direct child, per event type and phase, and per unit."""
    lines = list(report.lines.select_related("unit", "child").order_by("child__name", "unit__name"))
    per_child: dict[int, list] = defaultdict(list)
    per_unit: dict[int, list] = defaultdict(list)
    per_type: dict[tuple, list] = defaultdict(list)
    units: dict[int, AdministrativeUnit] = {}
    for line in lines:
        per_child[line.child_id].append(line)
        per_unit[line.unit_id].append(line)
        per_type[(line.event_type, line.phase)].append(line)
        units[line.child_id] = line.child
        units[line.unit_id] = line.unit
    by_child = [(units[k], derive(_sum_lines(v))) for k, v in per_child.items()]
    by_child.sort(key=lambda r: (r[0].pk != report.unit_id, r[0].name))
    by_unit = sorted(
        ((units[k], derive(_sum_lines(v))) for k, v in per_unit.items()), key=lambda r: r[0].path
    )
    by_type = [
        (t, p, derive(_sum_lines(v)))
        for (t, p), v in sorted(per_type.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]
    # The unit's targets first, then its people's (a daily report freezes both).
    targets = sorted(
        report.targets.select_related("unit"),
        key=lambda t: (t.unit.path, getattr(t, "person_name", ""), t.action),
    )
    # Children that reported nothing (no book yet) still get their row, marked not started.
    listed = {unit.pk for unit, _ in by_child}
    zero = derive(dict.fromkeys(LINE_FIELDS, 0))
    for child_report in reports_below(report, depth=1):
        if child_report.unit_id not in listed:
            by_child.append((child_report.unit, zero))
    by_child.sort(key=lambda r: (r[0].pk != report.unit_id, r[0].name))
    return ReportSummary(report, by_child, by_type, by_unit, derive(_sum_lines(lines)), targets)


def report_status(report: DailyReport, now: dt.datetime | None = None) -> tuple[str, str]:
    """(code, label) of a report's sign-off: not started, draft, overdue, submitted (late), confirmed."""
    now = now or timezone.now()
    if report.confirmed_at:
        code, label = "confirmed", _("Confirmed")
    elif report.submitted_at:
        code, label = "submitted", _("Submitted")
    elif now > report.submit_deadline:
        code, label = "overdue", _("Not submitted, overdue")
    else:
        code, label = "draft", _("Not submitted yet")
    if report.submitted_late:
        label = _("%(status)s (late)") % {"status": label}
    if not report.started:
        label = _("Not started (no book registered); %(status)s") % {"status": label}
    return code, label


def reports_below(report: AnyReport, depth: int | None = None) -> list:
    """The same day's (period's) reports of the units under the report's unit (all levels, or `depth`)."""
    below: QuerySet
    if isinstance(report, PeriodReport):
        below = PeriodReport.objects.filter(kind=report.kind, start=report.start).select_related("unit")
    else:
        below = DailyReport.objects.filter(day=report.day).select_related(
            "unit", "submitted_by", "confirmed_by"
        )
    below = below.filter(unit_path__startswith=report.unit_path, unit__depth__gt=report.unit.depth)
    if depth is not None:
        below = below.filter(unit__depth__lte=report.unit.depth + depth)
    return list(below.order_by("unit_path"))


def period_reports_visible_to(user) -> QuerySet[PeriodReport]:
    from permissions.scoping import scope_q

    return PeriodReport.objects.filter(scope_q(user, "view_records", path_field="unit_path"))


def get_period_report_for(user, pk: int) -> PeriodReport:
    report = PeriodReport.objects.filter(pk=pk).select_related("unit").first()
    if report is None or not can(user, "view_records", report.unit_path):
        raise Http404("No such report.")
    return report


@dataclass
class PersonStanding:
    """One person's targets on a day, summed: the basis of "ahead/behind" and of the ranking."""

    person_id: int
    name: str
    unit: AdministrativeUnit
    targets: list[PersonQuotaProgress]
    rank: int = 0

    @property
    def due(self) -> int:
        return sum(t.due for t in self.targets)

    @property
    def done(self) -> int:
        return sum(t.done for t in self.targets)

    @property
    def ahead(self) -> int:
        """Cases ahead of the targets (negative: behind)."""
        return self.done - self.due

    @property
    def pct(self) -> float | None:
        return round(100 * self.done / self.due, 1) if self.due else None

    @property
    def exceeds(self) -> bool:
        """Past the targets: proposed for commendation (seeds 002, 003)."""
        return self.due > 0 and self.done > self.due


def people_ranking(unit: AdministrativeUnit, day: dt.date) -> list[PersonStanding]:
    """The people of the unit's subtree with targets of their own on `day`, best first by the share
    of their targets done; equal shares share a rank (1, 2, 2, 4)."""
    people: dict[int, PersonStanding] = {}
    for progress in person_quota_progress(unit, day):
        quota = progress.quota
        standing = people.get(quota.person_id or 0)
        if standing is None:
            standing = people[quota.person_id or 0] = PersonStanding(
                quota.person_id or 0, progress.person_name, quota.unit, []
            )
        standing.targets.append(progress)
    ranked = sorted(people.values(), key=lambda p: (-(p.pct or 0), -p.done, p.name))
    previous: tuple[float, int] | None = None
    for position, standing in enumerate(ranked, start=1):
        key = (standing.pct or 0, standing.done)
        standing.rank = ranked[position - 2].rank if key == previous else position
        previous = key
    return ranked
