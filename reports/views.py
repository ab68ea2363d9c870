"""Progress pages: dashboard, inventory, statistics, targets, frozen daily reports.

Thin: the unit comes from `progress_unit_for` (scoped), figures from `reports.selectors`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from permissions.scoping import can
from registry.models import AdministrativeUnit, DigitizationPhase, RecordState, UnitLevel
from registry.services import phase_double_keying_set
from reports import selectors
from reports.charts import bar_chart, stacked_bars
from reports.civil_stats import DIMENSIONS as CIVIL_DIMENSIONS
from reports.civil_stats import CrossTable, civil_stats_table, last_snapshot
from reports.condition import COLUMNS as CONDITION_COLUMNS
from reports.condition import condition_report
from reports.dashboard_rows import (
    by_child_rows_html,
    moves_by_child_rows_html,
    people_rows_html,
    per_day_rows_html,
)
from reports.exports import (
    civil_stats_xlsx,
    condition_report_pdf,
    condition_report_xlsx,
    period_report_xlsx,
    report_pdf,
    report_xlsx,
)
from reports.forms import (
    ACTION_LABELS,
    CivilStatsForm,
    ConditionFilterForm,
    PhaseLimitsForm,
    PlanForm,
    QuotaForm,
    RangeForm,
    StatsForm,
)
from reports.models import DailyReport, PeriodReport, RolloutPlan
from reports.plan import PACE_DAYS, phase_limits_set, plan_delete, plan_rows, plan_set, units_at_risk
from reports.services import (
    NARRATIVE_MAX,
    may_confirm,
    may_submit,
    quota_set,
    report_confirm,
    report_narrative_save,
    report_return,
)
from vietnamese.input_values import id_param
from workflows.keying import disagreements_by_field, keyer_counts

STATES = [(s.value, s.label) for s in RecordState]
MOVES = ["collect", "scan", "enter", "attach", "review", "approve", "transfer", "return", "reject"]
PEOPLE_ON_DASHBOARD = 30
# Beside the states: the cases (and values) confirmed "as written in the book".
AS_WRITTEN_COLUMNS = [
    ("as_written", _l("Cases confirmed as written")),
    ("as_written_fields", _l("Values confirmed as written")),
]
PERSON_MOVES = ["scan", "enter", "attach", "review", "approve", "return", "work_returned"]


def _trail(user, unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    """The unit's ancestors the user may open, for the breadcrumb."""
    return [u for u in unit.ancestors() if u.pk != unit.pk and can(user, "view_records", u.path)]


def _base(request: HttpRequest) -> dict:
    unit = selectors.progress_unit_for(request.user, id_param(request.GET.get("unit"), field=_("unit")))
    return {"unit": unit, "trail": _trail(request.user, unit)}


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """Counts by unit × state, work per day, by event type and phase, people, targets; updates live."""
    context = _base(request)
    unit = context["unit"]
    form = RangeForm(request.GET or None)
    start, end = form.range()
    today = timezone.localdate()
    cube = selectors.state_cube(unit)
    by_child = selectors.states_by_child(unit, cube)
    moves = selectors.activity_cube(unit, start, end)
    per_day = selectors.activity_by_day(unit, start, end, moves)
    people = selectors.productivity(unit, start, end)
    days = list(per_day)
    move_columns = [(m, ACTION_LABELS[m]) for m in MOVES]
    person_moves = [(m, ACTION_LABELS[m]) for m in PERSON_MOVES]
    by_day = [(d, per_day[d]) for d in reversed(days)]
    moves_by_child = selectors.activity_by_child(unit, moves)
    people_shown = people[:PEOPLE_ON_DASHBOARD]
    context.update(
        {
            "form": form,
            "start": start,
            "end": end,
            "states": STATES,
            "moves": move_columns,
            "totals": selectors.state_totals(unit, cube),
            "scan_flags": selectors.scan_flags(unit),
            "by_child": by_child,
            "by_child_rows": by_child_rows_html(by_child, unit, STATES),
            "progress_chart": stacked_bars(
                [(u.name, v) for u, v in by_child],
                [(state, str(label)) for state, label in STATES],
                title=_("Cases per state, by unit"),
            ),
            "throughput_chart": bar_chart(
                [d.strftime("%d/%m") for d in days],
                [
                    (str(ACTION_LABELS[a]), [per_day[d].get(a, 0) for d in days])
                    for a in ("scan", "enter", "approve")
                ],
                title=_("Work done per day"),
            ),
            "per_day": by_day,
            "per_day_rows": per_day_rows_html(by_day, move_columns),
            "moves_by_child": moves_by_child,
            "moves_by_child_rows": moves_by_child_rows_html(moves_by_child, move_columns),
            "states_by_type": selectors.states_by(unit, "event_type", cube),
            "states_by_phase": selectors.states_by(unit, "phase", cube),
            "people": people_shown,
            "people_rows": people_rows_html(people_shown, person_moves),
            "at_risk": units_at_risk(unit, today)[:10],
            "people_more": max(len(people) - PEOPLE_ON_DASHBOARD, 0),
            "person_moves": person_moves,
            "quotas": selectors.quota_progress(unit, today),
            "ranking": selectors.people_ranking(unit, today)[:PEOPLE_ON_DASHBOARD],
            "today": today,
            "generated": timezone.localtime(),
        }
    )
    template = "reports/_dashboard_body.html" if request.GET.get("fragment") else "reports/dashboard.html"
    return render(request, template, context)


@login_required
def inventory(request: AuthenticatedRequest) -> HttpResponse:
    """Books and cases per unit, event type and phase: what is done and what remains; books to check."""
    context = _base(request)
    context.update(
        {
            "rows": selectors.inventory(context["unit"]),
            "flagged": selectors.books_to_check(context["unit"]),
        }
    )
    return render(request, "reports/inventory.html", context)


@login_required
def statistics(request: AuthenticatedRequest) -> HttpResponse:
    """Cases per state now, or work done in a period, grouped by any criterion of the plans."""
    context = _base(request)
    unit = context["unit"]
    form = StatsForm(request.GET or None)
    measure, by = "states", "child"
    if form.is_valid():
        measure, by = form.cleaned_data["measure"], form.cleaned_data["by"]
    start, end = form.range()
    rows: list = []
    if form.is_bound and not form.is_valid():
        rows = []
    elif measure == "states":
        rows = [(_label(by, k), v) for k, v in selectors.states_by(unit, by, as_written=True)]
    elif by == "person":
        rows = [(p.name, dict(p.counts)) for p in selectors.productivity(unit, start, end)]
    else:
        rows = [(_label(by, k), v) for k, v in selectors.activity_by(unit, by, start, end)]
    columns = STATES + AS_WRITTEN_COLUMNS if measure == "states" else [(m, ACTION_LABELS[m]) for m in MOVES]
    totals = {key: sum(v.get(key, 0) for _, v in rows) for key, _ in columns}
    context.update(
        {"form": form, "measure": measure, "by": by, "rows": rows, "columns": columns, "totals": totals}
    )
    return render(request, "reports/statistics.html", context)


def _label(by: str, key) -> str:
    if by == "child":
        return key.name
    if by == "phase":
        return _("Phase %(n)s") % {"n": key} if key else _("No phase")
    if by == "day":
        return key.strftime("%d/%m/%Y")
    return str(key)


def _unit_choices(form: QuotaForm | PlanForm) -> QuerySet[AdministrativeUnit]:
    """The units the form offers (QuotaForm declares `unit` as a ModelChoiceField and sets its queryset)."""
    queryset = cast("forms.ModelChoiceField[AdministrativeUnit]", form.fields["unit"]).queryset
    return queryset if queryset is not None else AdministrativeUnit.objects.none()


@login_required
def quotas(request: AuthenticatedRequest) -> HttpResponse:
    """Targets in the unit's subtree with progress (furthest behind first) and the people's ranking;
    set a target for a unit below, or for a person working in a unit the user manages."""
    context = _base(request)
    form = QuotaForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            quota_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            messages.success(request, _("Target saved."))
            return redirect(f"{request.path}?unit={context['unit'].pk}")
    context.update(
        {
            "form": form,
            "can_set": _unit_choices(form).exists(),
            "progress": selectors.quota_progress(context["unit"], timezone.localdate()),
            "ranking": selectors.people_ranking(context["unit"], timezone.localdate()),
            "today": timezone.localdate(),
        }
    )
    return render(request, "reports/quotas.html", context)


REPORT_KINDS = [("day", _l("Daily")), *PeriodReport.Kind.choices]


@login_required
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.GET.get("kind") or "day"
    if kind not in dict(REPORT_KINDS):
        kind = "day"
    unit_id = id_param(request.GET.get("unit"), field=_("unit"))
    reports: QuerySet
    if kind == "day":
        reports = (
            selectors.reports_visible_to(request.user).select_related("unit").order_by("-day", "unit_path")
        )
    else:
        reports = (
            selectors.period_reports_visible_to(request.user)
            .filter(kind=kind)
            .select_related("unit")
            .order_by("-start", "unit_path")
        )
    if unit_id:
        unit = selectors.progress_unit_for(request.user, unit_id)
        reports = reports.filter(unit_path__startswith=unit.path)
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(r, selectors.report_status(r, now) if isinstance(r, DailyReport) else None) for r in page]
    return render(
        request,
        "reports/report_list.html",
        {"page": page, "rows": rows, "unit_id": unit_id or "", "kind": kind, "kinds": REPORT_KINDS},
    )


@login_required
def period_report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = selectors.get_period_report_for(request.user, pk)
    below = selectors.reports_below(report)
    return render(
        request,
        "reports/period_detail.html",
        {
            "summary": selectors.report_summary(report),
            "report": report,
            "states": STATES,
            "not_started": [r.unit for r in below if not r.started],
        },
    )


def _period_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    report = selectors.get_period_report_for(request.user, pk)
    stem = f"bao-cao-{report.kind}-{report.unit.code}-{report.start:%Y%m%d}"
    return _report_file(request, report, kind, stem, period_report_xlsx)


@login_required
def period_report_xlsx_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _period_download(request, pk, "xlsx")


@login_required
def period_report_pdf_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _period_download(request, pk, "pdf")


class NarrativeForm(forms.Form):
    narrative = forms.CharField(
        label=_l("Difficulties, problems and proposals"),
        required=False,
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_l("Reason for return"), max_length=500)


@login_required
def report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    narrative_form = NarrativeForm(initial={"narrative": report.narrative})
    return_form = ReturnForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("save", "submit"):
                narrative_form = NarrativeForm(request.POST)
                if narrative_form.is_valid():
                    report_narrative_save(
                        report=report,
                        actor=request.user,
                        narrative=narrative_form.cleaned_data["narrative"],
                        submit=action == "submit",
                    )
                    messages.success(
                        request, _("Report submitted.") if action == "submit" else _("Narrative saved.")
                    )
                    return redirect("report_detail", pk=report.pk)
            elif action == "confirm":
                report_confirm(report=report, actor=request.user)
                messages.success(request, _("Report confirmed."))
                return redirect("report_detail", pk=report.pk)
            elif action == "return":
                return_form = ReturnForm(request.POST)
                if return_form.is_valid():
                    reason = return_form.cleaned_data["reason"]
                    report_return(report=report, actor=request.user, reason=reason)
                    messages.success(request, _("Report returned to the unit."))
                    return redirect("report_detail", pk=report.pk)
            else:
                messages.error(request, _("Unknown action; use the buttons on this page."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        report.refresh_from_db()
    below = selectors.reports_below(report)
    now = timezone.now()
    return render(
        request,
        "reports/report_detail.html",
        {
            "summary": selectors.report_summary(report),
            "report": report,
            "states": STATES,
            "status": selectors.report_status(report, now),
            "below": [(r, selectors.report_status(r, now)) for r in below],
            "not_started": [r.unit for r in below if not r.started],
            "narrative_form": narrative_form,
            "return_form": return_form,
            "may_submit": not report.submitted_at and may_submit(request.user, report),
            "may_confirm": bool(report.submitted_at)
            and not report.confirmed_at
            and may_confirm(request.user, report)
            and report.submitted_by_id != request.user.pk,
        },
    )


EXPORT_ACTIONS = {"xlsx": AuditAction.EXPORT_REPORT_XLSX, "pdf": AuditAction.EXPORT_REPORT_PDF}


def _download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    stem = f"bao-cao-tien-do-{report.unit.code}-{report.day:%Y%m%d}"
    return _report_file(request, report, kind, stem, report_xlsx)


def _report_file(request: HttpRequest, report, kind: str, stem: str, xlsx) -> HttpResponse:
    """A frozen report (daily or period) as an Excel or PDF download; the download is audited."""
    audit_access(request=request, action=EXPORT_ACTIONS[kind], unit_id=report.unit_id, obj=report)
    return _file_response(xlsx(report) if kind == "xlsx" else report_pdf(report), kind, stem)


FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _file_response(content: bytes, kind: str, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=FILE_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
    return response


@login_required
def report_download_xlsx(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "xlsx")


@login_required
def report_download_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "pdf")


def _civil_stats(request: AuthenticatedRequest) -> tuple[dict, CivilStatsForm, CrossTable | None]:
    context = _base(request)
    form = CivilStatsForm(request.GET or None)
    table = None
    if not form.is_bound or form.is_valid():
        data: dict[str, Any] = (
            form.cleaned_data if form.is_bound else {"rows": "event_type", "columns": "sex"}
        )
        table = civil_stats_table(
            context["unit"],
            data["rows"],
            data["columns"],
            event_type=data.get("event_type") or "",
            year_from=data.get("year_from"),
            year_to=data.get("year_to"),
        )
    return context, form, table


@login_required
def civil_statistics(request: AuthenticatedRequest) -> HttpResponse:
    """Statistics on the civil data itself (seed 004): counts by any two criteria, with export."""
    context, form, table = _civil_stats(request)
    context.update({"form": form, "table": table, "snapshot": last_snapshot()})
    return render(request, "reports/civil_statistics.html", context)


@login_required
def civil_statistics_xlsx(request: AuthenticatedRequest) -> HttpResponse:
    context, form, table = _civil_stats(request)
    if table is None:
        errors = [str(e) for e in form.non_field_errors()]
        messages.error(request, " ".join(errors) or _("Check the criteria."))
        return redirect(f"{reverse('progress_civil_statistics')}?unit={context['unit'].pk}")
    unit = context["unit"]
    audit_access(request=request, action=AuditAction.EXPORT_CIVIL_STATISTICS, unit_id=unit.pk)
    rows_label = dict(CIVIL_DIMENSIONS)[form.cleaned_data["rows"] if form.is_bound else "event_type"]
    content = civil_stats_xlsx(unit, table, str(rows_label), last_snapshot())
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="thong-ke-ho-tich-{unit.code}.xlsx"'
    return response


@login_required
def plan(request: AuthenticatedRequest) -> HttpResponse:
    """The rollout plan in the unit's subtree against what was done, units at risk first; set a line."""
    context = _base(request)
    unit = context["unit"]
    form = PlanForm(request.POST if request.POST.get("action") == "plan" else None, user=request.user)
    phase_form = PhaseLimitsForm(request.POST if request.POST.get("action") == "phase" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "plan" and form.is_valid():
                plan_set(actor=request.user, **form.cleaned_data)
                messages.success(request, _("Plan saved."))
                return redirect(f"{request.path}?unit={unit.pk}")
            if request.POST.get("action") == "delete":
                plan_id = id_param(request.POST.get("plan"), field=_("plan"))
                line = RolloutPlan.objects.filter(pk=plan_id or 0, unit_path__startswith=unit.path).first()
                if line is None:
                    raise Http404("No such plan line.")
                plan_delete(plan=line, actor=request.user)
                messages.success(request, _("Plan line removed."))
                return redirect(f"{request.path}?unit={unit.pk}")
            if request.POST.get("action") == "keying":
                number = id_param(request.POST.get("number"), field=_("phase"))
                if not DigitizationPhase.objects.filter(number=number or 0).exists():
                    raise Http404("No such phase.")
                phase_double_keying_set(
                    number=number or 0,
                    double_keying=bool(request.POST.get("double_keying")),
                    actor=request.user,
                )
                messages.success(request, _("Keying setting saved; the change is in the audit trail."))
                return redirect(f"{request.path}?unit={unit.pk}")
            if request.POST.get("action") == "phase" and phase_form.is_valid():
                moved = phase_limits_set(actor=request.user, **phase_form.cleaned_data)
                messages.success(
                    request,
                    _("Phase years saved; %(n)s book(s) moved to another phase.") % {"n": len(moved)},
                )
                return redirect(f"{request.path}?unit={unit.pk}")
        except ValidationError as exc:
            target = form if request.POST.get("action") == "plan" else phase_form
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        target.add_error(name if name in target.fields else None, error)
            else:
                target.add_error(None, " ".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    rows = plan_rows(unit)
    order = {"late": 0, "at_risk": 1, "not_started": 2, "on_track": 3, "done": 4}
    rows.sort(key=lambda r: (order[r.status], r.plan.deadline))
    context.update(
        {
            "rows": rows,
            "form": form,
            "can_set": _unit_choices(form).exists(),
            "phase_form": phase_form,
            "phases": DigitizationPhase.objects.all(),
            "can_phase": request.user.is_superuser
            or any(
                can(request.user, "manage_unit", u.path)
                for u in AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE)
            ),
            "today": timezone.localdate(),
            "pace_days": PACE_DAYS,
        }
    )
    return render(request, "reports/plan.html", context)


CONDITION_EXPORTS = {"xlsx": AuditAction.EXPORT_CONDITION_XLSX, "pdf": AuditAction.EXPORT_CONDITION_PDF}


def _condition(request: AuthenticatedRequest) -> tuple[dict, ConditionFilterForm, int | None]:
    context = _base(request)
    form = ConditionFilterForm(request.GET or None)
    phase = form.cleaned_data["phase"] if form.is_bound and form.is_valid() else None
    return context, form, phase


@login_required
def condition(request: AuthenticatedRequest) -> HttpResponse:
    """The condition of the books per unit below (seed 001): defects counted, books to restore first."""
    context, form, phase = _condition(request)
    report = condition_report(context["unit"], phase)
    context.update({"form": form, "report": report, "phase": phase, "columns": CONDITION_COLUMNS})
    return render(request, "reports/condition.html", context)


def _condition_download(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    """The written condition report of the unit (Excel or PDF); the download is audited."""
    context, form, phase = _condition(request)
    unit = context["unit"]
    if form.is_bound and not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('progress_condition')}?unit={unit.pk}")
    report = condition_report(unit, phase, books=kind == "xlsx")
    audit_access(request=request, action=CONDITION_EXPORTS[kind], unit_id=unit.pk, changes={"phase": phase})
    author = request.user.get_full_name() or request.user.username
    content = condition_report_xlsx(report) if kind == "xlsx" else condition_report_pdf(report, author=author)
    stem = f"bao-cao-hien-trang-so-{unit.code}{f'-gd{phase}' if phase else ''}-{report.generated_at:%Y%m%d}"
    return _file_response(content, kind, stem)


@login_required
def condition_xlsx(request: AuthenticatedRequest) -> HttpResponse:
    return _condition_download(request, "xlsx")


@login_required
def condition_pdf(request: AuthenticatedRequest) -> HttpResponse:
    return _condition_download(request, "pdf")


@login_required
def keying_quality(request: AuthenticatedRequest) -> HttpResponse:
    """Double keying per keyer in the unit's subtree over a period: cases and fields keyed,
    disagreements, and those where the arbitrator found the keyer wrong. For supervisors."""
    context = _base(request)
    unit = context["unit"]
    if not (
        request.user.is_superuser
        or can(request.user, "manage_unit", unit.path)
        or can(request.user, "approve_record", unit.path)
    ):
        raise PermissionDenied(
            _("Only a supervisor of %(unit)s sees its keyers' figures.") % {"unit": unit.name}
        )
    form = RangeForm(request.GET or None)
    start, end = form.range()
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    audit_access(
        request=request,
        action=AuditAction.VIEW_KEYING_QUALITY,
        unit_id=unit.pk,
        changes={"start": str(start), "end": str(end)},
    )
    context.update(
        {
            "form": form,
            "start": start,
            "end": end,
            "keyers": keyer_counts(unit_path=unit.path, start=since, end=until),
            "fields": [
                (field, n)
                for field, n in disagreements_by_field(unit_path=unit.path, start=since, end=until).items()
            ][:20],
        }
    )
    return render(request, "reports/keying.html", context)
