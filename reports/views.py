"""Progress pages: dashboard, inventory, statistics, targets, frozen daily reports.

Thin: the unit comes from `progress_unit_for` (scoped), figures from `reports.selectors`.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from permissions.scoping import can
from registry.models import AdministrativeUnit, RecordState
from reports import selectors
from reports.charts import bar_chart, stacked_bars
from reports.exports import report_pdf, report_xlsx
from reports.forms import ACTION_LABELS, QuotaForm, RangeForm, StatsForm
from reports.services import quota_set
from vietnamese.input_values import id_param

STATES = [(s.value, s.label) for s in RecordState]
MOVES = ["collect", "scan", "enter", "attach", "review", "approve", "transfer", "return", "reject"]
PEOPLE_ON_DASHBOARD = 30
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
    context.update(
        {
            "form": form,
            "start": start,
            "end": end,
            "states": STATES,
            "moves": [(m, ACTION_LABELS[m]) for m in MOVES],
            "totals": selectors.state_totals(unit, cube),
            "scan_flags": selectors.scan_flags(unit),
            "by_child": by_child,
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
            "per_day": [(d, per_day[d]) for d in reversed(days)],
            "moves_by_child": selectors.activity_by_child(unit, moves),
            "states_by_type": selectors.states_by(unit, "event_type", cube),
            "states_by_phase": selectors.states_by(unit, "phase", cube),
            "people": people[:PEOPLE_ON_DASHBOARD],
            "people_more": max(len(people) - PEOPLE_ON_DASHBOARD, 0),
            "person_moves": [(m, ACTION_LABELS[m]) for m in PERSON_MOVES],
            "quotas": selectors.quota_progress(unit, today),
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
        rows = [(_label(by, k), v) for k, v in selectors.states_by(unit, by)]
    elif by == "person":
        rows = [(p.name, dict(p.counts)) for p in selectors.productivity(unit, start, end)]
    else:
        rows = [(_label(by, k), v) for k, v in selectors.activity_by(unit, by, start, end)]
    columns = STATES if measure == "states" else [(m, ACTION_LABELS[m]) for m in MOVES]
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


def _unit_choices(form: QuotaForm) -> QuerySet[AdministrativeUnit]:
    """The units the form offers (QuotaForm declares `unit` as a ModelChoiceField and sets its queryset)."""
    queryset = cast("forms.ModelChoiceField[AdministrativeUnit]", form.fields["unit"]).queryset
    return queryset if queryset is not None else AdministrativeUnit.objects.none()


@login_required
def quotas(request: AuthenticatedRequest) -> HttpResponse:
    """Targets in the unit's subtree with progress (furthest behind first); set a target for a unit below."""
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
            "today": timezone.localdate(),
        }
    )
    return render(request, "reports/quotas.html", context)


@login_required
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    reports = selectors.reports_visible_to(request.user).select_related("unit")
    unit_id = id_param(request.GET.get("unit"), field=_("unit"))
    if unit_id:
        unit = selectors.progress_unit_for(request.user, unit_id)
        reports = reports.filter(unit_path__startswith=unit.path)
    page = Paginator(reports.order_by("-day", "unit_path"), 50).get_page(request.GET.get("page"))
    return render(request, "reports/report_list.html", {"page": page, "unit_id": unit_id or ""})


@login_required
def report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    return render(
        request,
        "reports/report_detail.html",
        {"summary": selectors.report_summary(report), "report": report, "states": STATES},
    )


EXPORT_ACTIONS = {"xlsx": AuditAction.EXPORT_REPORT_XLSX, "pdf": AuditAction.EXPORT_REPORT_PDF}


def _download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    audit_access(request=request, action=EXPORT_ACTIONS[kind], unit_id=report.unit_id, obj=report)
    stem = f"bao-cao-tien-do-{report.unit.code}-{report.day:%Y%m%d}"
    if kind == "xlsx":
        content = report_xlsx(report)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = report_pdf(report)
        mime = "application/pdf"
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
    return response


@login_required
def report_download_xlsx(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "xlsx")


@login_required
def report_download_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "pdf")
