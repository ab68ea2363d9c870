"""The rollout plan: which unit digitizes which phase by when, compared with what was done.

Reads only the counters (`UnitStateCount` for where the cases are now, `DailyCount` for
the pace of approvals over the last 14 days). A unit is *at risk* when, at that pace, it
would finish after its deadline (or has no pace at all with work left); the reason named
is the stage holding most of what remains.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.scoping import can
from registry.models import AdministrativeUnit, DigitizationPhase, RegisterBook
from registry.services import phase_for_year
from reports.models import DailyCount, RolloutPlan, UnitStateCount

PACE_DAYS = 14
# Where the remaining cases wait, and what the unit is then behind on.
BACKLOG = [
    (("collected",), _l("behind on scanning")),
    (("scanned",), _l("behind on data entry")),
    (("entered", "attached"), _l("behind on review")),
    (("reviewed",), _l("behind on approval")),
]
CLOSED = ("rejected", "duplicate")
DONE = ("approved", "transferred")


@dataclass
class PlanRow:
    plan: RolloutPlan
    total: int
    done: int
    remaining: int
    pace: float  # approvals per day over the last PACE_DAYS days
    projected: dt.date | None
    status: str  # done, on_track, at_risk, late, not_started
    reason: str

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.total, 1) if self.total else None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


STATUS_LABELS = {
    "done": _l("Done"),
    "on_track": _l("On track"),
    "at_risk": _l("At risk"),
    "late": _l("Past its deadline"),
    "not_started": _l("Not started"),
}


def plan_rows(unit: AdministrativeUnit, today: dt.date | None = None) -> list[PlanRow]:
    """Every plan line inside the unit's subtree with its actual figures, projection and risk."""
    today = today or timezone.localdate()
    plans = list(
        RolloutPlan.objects.filter(unit_path__startswith=unit.path)
        .select_related("unit")
        .order_by("deadline", "unit__name", "phase")
    )
    if not plans:
        return []
    states: dict[tuple[str, int | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        UnitStateCount.objects.filter(unit_path__startswith=unit.path, phase__in={p.phase for p in plans})
        .values("unit_path", "phase", "state")
        .annotate(n=Sum("n"))
        .order_by()
    ):
        states[(row["unit_path"], row["phase"])][row["state"]] += row["n"]
    since = today - dt.timedelta(days=PACE_DAYS - 1)
    approvals: dict[tuple[str, int | None], int] = defaultdict(int)
    for moved in (
        DailyCount.objects.filter(
            unit_path__startswith=unit.path, action="approve", day__gte=since, day__lte=today
        )
        .values("unit_path", "phase")
        .annotate(n=Sum("n"))
        .order_by()
    ):
        approvals[(moved["unit_path"], moved["phase"])] += moved["n"]
    rows = []
    for plan in plans:
        counts: dict[str, int] = defaultdict(int)
        approved = 0
        for (path, phase), values in states.items():
            if phase == plan.phase and path.startswith(plan.unit_path):
                for state, n in values.items():
                    counts[state] += n
        for (path, phase), n in approvals.items():
            if phase == plan.phase and path.startswith(plan.unit_path):
                approved += n
        rows.append(_row(plan, counts, approved / PACE_DAYS, today))
    return rows


def _row(plan: RolloutPlan, counts: dict[str, int], pace: float, today: dt.date) -> PlanRow:
    total = sum(n for state, n in counts.items() if state not in CLOSED)
    done = sum(counts.get(s, 0) for s in DONE)
    remaining = total - done
    projected = today + dt.timedelta(days=math.ceil(remaining / pace)) if pace > 0 and remaining else None
    reason = ""
    if total == 0:
        status, reason = "not_started", _("no book of this phase collected yet")
    elif remaining == 0:
        status, projected = "done", None
    else:
        stuck = max(BACKLOG, key=lambda item: sum(counts.get(s, 0) for s in item[0]))
        reason = str(stuck[1])
        if today > plan.deadline:
            status = "late"
        elif projected is None or projected > plan.deadline:
            status = "at_risk"
            if projected is None:
                reason = _("nothing approved in the last %(n)s days; %(why)s") % {
                    "n": PACE_DAYS,
                    "why": reason,
                }
        else:
            status = "on_track"
    if status == "not_started" and today > plan.deadline:
        status = "late"
    return PlanRow(plan, total, done, remaining, round(pace, 2), projected, status, reason)


def units_at_risk(unit: AdministrativeUnit, today: dt.date | None = None) -> list[PlanRow]:
    return [r for r in plan_rows(unit, today) if r.status in ("at_risk", "late")]


def plan_set(
    *,
    unit: AdministrativeUnit,
    phase: int,
    year: int,
    deadline: dt.date,
    note: str = "",
    actor: Actor,
) -> RolloutPlan:
    """Plan a phase for a unit; set by the level above it (as targets are). Replaces the unit's plan
    for that phase; audited with the old and new values."""
    errors: dict[str, str] = {}
    parent = unit.parent
    if parent is None or not can(actor, "manage_unit", parent.path):
        errors["unit"] = _(
            "The plan of %(unit)s is set by the level above it; your roles do not manage that level."
        ) % {"unit": unit.name}
    if not DigitizationPhase.objects.filter(number=phase).exists():
        errors["phase"] = _("Choose one of the digitization phases.")
    if not 1990 <= year <= 2100:
        errors["year"] = _("Give the plan year as four digits, e.g. 2026.")
    elif deadline and deadline.year < year:
        errors["deadline"] = _("The deadline is before the plan year.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        old = RolloutPlan.objects.select_for_update(no_key=True).filter(unit=unit, phase=phase).first()
        before = {"year": old.year, "deadline": old.deadline} if old else {}
        plan, _created = RolloutPlan.objects.update_or_create(
            unit=unit,
            phase=phase,
            defaults={
                "unit_path": unit.path,
                "year": year,
                "deadline": deadline,
                "note": note[:255],
                "set_by": actor,
            },
        )
        audit_change(
            action=AuditAction.PLAN_SET,
            actor=actor,
            unit_id=unit.pk,
            obj=plan,
            changes={
                "phase": phase,
                "year": [before.get("year"), year],
                "deadline": [before.get("deadline"), deadline],
            },
        )
    return plan


def plan_delete(*, plan: RolloutPlan, actor: Actor) -> None:
    parent = plan.unit.parent
    if parent is None or not can(actor, "manage_unit", parent.path):
        raise PermissionDenied(
            _("Only the level above %(unit)s changes its plan.") % {"unit": plan.unit.name}
        )
    with transaction.atomic():
        audit_change(
            action=AuditAction.PLAN_DELETE,
            actor=actor,
            unit_id=plan.unit_id,
            obj=plan,
            changes={"phase": plan.phase, "deadline": [plan.deadline, None]},
        )
        plan.delete()


def phase_limits_set(*, number: int, year_from: int | None, year_to: int | None, actor: Actor) -> list[int]:
    """Change a phase's years and move the books whose year now falls in another phase.

    Refused when the new range overlaps another phase. Every moved book is audited, and the
    progress counters are recomputed so that figures per phase follow the books. Returns
    the ids of the books moved.
    """
    if not getattr(actor, "is_superuser", False) and not any(
        can(actor, "manage_unit", u.path) for u in AdministrativeUnit.objects.filter(level="province")
    ):
        raise PermissionDenied(_("Only a province administrator changes the phases."))
    if year_from and year_to and year_from > year_to:
        raise ValidationError({"year_to": _("The last year is before the first: swap them.")})
    with transaction.atomic():
        phase = DigitizationPhase.objects.select_for_update(no_key=True).get(number=number)
        for other in DigitizationPhase.objects.exclude(pk=phase.pk):
            lo, hi = other.year_from or 0, other.year_to or 9999
            if (year_from or 0) <= hi and lo <= (year_to or 9999):
                raise ValidationError(
                    _("Years %(a)s–%(b)s overlap %(phase)s (%(lo)s–%(hi)s).")
                    % {
                        "a": year_from or "…",
                        "b": year_to or "…",
                        "phase": other.name,
                        "lo": other.year_from or "…",
                        "hi": other.year_to or "…",
                    }
                )
        audit_change(
            action=AuditAction.PHASE_LIMITS_SET,
            actor=actor,
            obj=phase,
            changes={"year_from": [phase.year_from, year_from], "year_to": [phase.year_to, year_to]},
        )
        phase.year_from, phase.year_to = year_from, year_to
        phase.save(update_fields=["year_from", "year_to"])
        moved = []
        for book in RegisterBook.objects.select_for_update(no_key=True).only(
            "id", "year", "phase", "custodian_id"
        ):
            new = phase_for_year(book.year)
            if new != book.phase:
                audit_change(
                    action=AuditAction.BOOK_REPHASE,
                    actor=actor,
                    unit_id=book.custodian_id,
                    obj=book,
                    changes={"phase": [book.phase, new]},
                )
                RegisterBook.objects.filter(pk=book.pk).update(phase=new)
                moved.append(book.pk)
        if moved:
            from reports.services import progress_rebuild

            progress_rebuild()
    return moved
