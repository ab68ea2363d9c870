"""Pages of the contracts app: thin, scoped through `contracts.selectors`, writing through
`contracts.services`. Contractor staff see their contract, its lots and findings (entry numbers
and field names, no personal data); inspecting a case (scan beside data) is the inspectors'."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from contracts import services
from contracts.forms import (
    ContractForm,
    ContractorForm,
    FindingFormSet,
    HandoverForm,
    PeriodForm,
    PriceForm,
    StaffForm,
)
from contracts.models import FIELD_DEFECTS, FindingKind, LotStatus
from contracts.selectors import (
    contracts_visible_to,
    get_contract_for,
    get_lot_case_for,
    get_lot_for,
    may_inspect,
    may_manage,
)
from contracts.services import ContractError, FindingInput, is_staff_of
from contracts.statements import payment_statement, statement_pdf, statement_xlsx
from permissions.scoping import books_visible_to, get_record_for, scopes_with, units_visible_to
from registry.models import CivilRecord
from reports.models import ActorDailyCount
from reports.selectors import PersonRow, people_work
from scans.models import current_scan


def _manager_units(user):
    return units_visible_to(user, "manage_unit").order_by("path")


@login_required
def contract_list(request: AuthenticatedRequest) -> HttpResponse:
    contracts = (
        contracts_visible_to(request.user)
        .select_related("contractor", "unit")
        .annotate(
            lots_waiting=Count("lots", filter=Q(lots__status__in=[LotStatus.HANDED_OVER, LotStatus.SAMPLED]))
        )
    )
    manages = request.user.is_superuser or bool(scopes_with(request.user, "manage_unit"))
    if not manages and not contracts.exists():
        raise PermissionDenied(_("Only province administrators and contract staff see contracts."))
    return render(request, "contracts/contract_list.html", {"contracts": contracts, "manages": manages})


def _require_manager(request) -> None:
    if not (request.user.is_superuser or scopes_with(request.user, "manage_unit")):
        raise PermissionDenied(_("Only province administrators manage contracts."))


@login_required
def contractor_new(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    form = ContractorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contractor_create(actor=request.user, **form.cleaned_data)
        except ContractError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("Contractor recorded."))
            return redirect("contract_new")
    return render(request, "contracts/form.html", {"form": form, "title": _("New contractor")})


@login_required
def contract_new(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    form = ContractForm(request.POST or None, managed_units=_manager_units(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=request.user, **form.cleaned_data)
        except ContractError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Contract recorded: set its unit prices and add its staff."))
            return redirect("contract_detail", contract.pk)
    return render(request, "contracts/form.html", {"form": form, "title": _("New contract")})


@login_required
def contract_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, request=request)
    manages = may_manage(request.user, contract)
    price_form, staff_form = PriceForm(prefix="price"), StaffForm(prefix="staff")
    if request.method == "POST":
        if not manages:
            raise PermissionDenied(_("Only province administrators manage contracts."))
        if "price-kind" in request.POST:
            price_form = PriceForm(request.POST, prefix="price")
            if price_form.is_valid():
                data = price_form.cleaned_data
                try:
                    services.unit_price_set(
                        contract=contract,
                        actor=request.user,
                        kind=data["kind"],
                        price=data["price"],
                        phase=data["phase"],
                        event_type=data["event_type"] or "",
                    )
                except ContractError as exc:
                    price_form.add_error(None, str(exc))
                else:
                    messages.success(request, _("Unit price set."))
                    return redirect("contract_detail", contract.pk)
        else:
            staff_form = StaffForm(request.POST, prefix="staff")
            if staff_form.is_valid():
                try:
                    services.contract_staff_add(
                        contract=contract, user=staff_form.cleaned_data["username"], actor=request.user
                    )
                except ContractError as exc:
                    staff_form.add_error("username", str(exc))
                else:
                    messages.success(request, _("Staff account added."))
                    return redirect("contract_detail", contract.pk)
    progress = payment_statement(contract=contract)
    quality, quality_total = _staff_quality(contract)
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "manages": manages,
            "is_staff": is_staff_of(request.user, contract),
            "prices": contract.prices.all(),
            "staff": contract.staff.select_related("user"),
            "units": contract.units.order_by("path"),
            "lots": contract.lots.select_related("handed_over_by").order_by("-number"),
            "progress": progress,
            "used_percent": min(100, round(100 * progress.payable / contract.ceiling))
            if contract.ceiling
            else 0,
            "price_form": price_form,
            "staff_form": staff_form,
            "quality": quality,
            "quality_total": quality_total,
        },
    )


def _staff_quality(contract) -> tuple[list[PersonRow], PersonRow | None]:
    """The work and quality of the contractor's staff within the contract's units and period (their
    day counters): cases done, the share of their entries returned, fields overruled in arbitration,
    errors found by acceptance sampling; and the same for the whole contractor."""
    staff_ids = list(contract.staff.values_list("user_id", flat=True))
    paths = list(contract.units.values_list("path", flat=True))
    if not staff_ids or not paths:
        return [], None
    in_units = Q()
    for path in paths:
        in_units |= Q(unit_path__startswith=path)
    last = min(contract.ends_on, timezone.localdate())
    counters = ActorDailyCount.objects.filter(
        in_units, actor_id__in=staff_ids, day__gte=contract.starts_on, day__lte=last
    )
    people = people_work(counters)
    summed: dict[str, int] = defaultdict(int)
    for person in people:
        for action, n in person.counts.items():
            summed[action] += n
    return people, PersonRow(0, contract.contractor.name, dict(summed)) if people else None


@login_required
def lot_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, request=request)
    if not is_staff_of(request.user, contract):
        raise PermissionDenied(_("Only the contract's staff hand over lots."))
    replaces = None
    if request.GET.get("replaces", "").isdigit():
        replaces = contract.lots.filter(
            number=int(request.GET["replaces"]), status=LotStatus.RETURNED
        ).first()
    books = books_visible_to(request.user).order_by("custodian__name", "event_type", "year", "book_no")
    form = HandoverForm(request.POST or None, books=books)
    if replaces is not None and request.method != "POST":
        form.fields["books"].required = False
    if request.method == "POST" and (replaces is not None or form.is_valid()):
        if replaces is not None:
            records = list(replaces.cases.values_list("record_id", flat=True))
            note = request.POST.get("note", "")[:2000]
        else:
            data = form.cleaned_data
            records = list(
                CivilRecord.objects.filter(book__in=data["books"], state=data["state"])
                .exclude(pk__in=_busy_records())
                .values_list("pk", flat=True)
            )
            note = data["note"]
        try:
            lot = services.lot_handover(
                contract=contract, records=records, actor=request.user, note=note, replaces=replaces
            )
        except ContractError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Lot %(n)d handed over: %(cases)d cases.") % {"n": lot.number, "cases": lot.lot_size},
            )
            return redirect("lot_detail", contract.pk, lot.number)
    return render(
        request, "contracts/lot_new.html", {"contract": contract, "form": form, "replaces": replaces}
    )


def _busy_records():
    from contracts.models import LotCase

    return LotCase.objects.exclude(lot__status=LotStatus.RETURNED).values("record_id")


@login_required
def lot_detail(request: AuthenticatedRequest, pk: int, number: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, request=request)
    lot = get_lot_for(request.user, contract, number, request=request)
    manages, inspects = may_manage(request.user, contract), may_inspect(request.user, contract)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "sample" and manages:
                services.lot_draw_sample(lot=lot, actor=request.user)
                messages.success(request, _("Sample drawn."))
            elif action == "decide" and manages:
                lot = services.lot_decide(lot=lot, actor=request.user)
                messages.success(request, lot.get_status_display())
            else:
                raise PermissionDenied(_("You may not do this on this lot."))
        except ContractError as exc:
            messages.error(request, str(exc))
        return redirect("lot_detail", contract.pk, lot.number)
    sample = list(
        lot.cases.filter(in_sample=True)
        .select_related("record", "record__book", "inspected_by")
        .prefetch_related("findings")
        .order_by("record__book__book_no", "record__entry_no")
    )
    counts = lot.cases.aggregate(n=Count("pk"), books=Count("book_id_value", distinct=True))
    return render(
        request,
        "contracts/lot_detail.html",
        {
            "contract": contract,
            "lot": lot,
            "manages": manages,
            "inspects": inspects,
            "is_staff": is_staff_of(request.user, contract),
            "sample": sample,
            "counts": counts,
            "inspected": sum(1 for c in sample if c.inspected_at),
            "nonconforming": sum(1 for c in sample if c.findings.all()),
            "replaced_by": getattr(lot, "replaced_by", None) if lot.status == LotStatus.RETURNED else None,
        },
    )


@login_required
def lot_case_inspect(request: AuthenticatedRequest, pk: int, number: int, case: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, request=request)
    if not may_inspect(request.user, contract):
        raise PermissionDenied(_("Only inspectors of the province inspect sampled cases."))
    lot = get_lot_for(request.user, contract, number, request=request)
    lot_case = get_lot_case_for(lot, case)
    record = get_record_for(request.user, lot_case.record_id, request=request)
    initial = [{"defect": f.defect, "field": f.field, "note": f.note} for f in lot_case.findings.all()]
    formset = FindingFormSet(request.POST or None, initial=initial or None)
    if request.method == "POST" and formset.is_valid():
        findings = [
            FindingInput(
                kind=FindingKind.FIELD_ERROR if f["defect"] in FIELD_DEFECTS else FindingKind.SCAN_DEFECT,
                defect=f["defect"],
                field=f.get("field", ""),
                note=f.get("note", ""),
            )
            for f in formset.cleaned_data
            if f.get("defect")
        ]
        try:
            services.case_inspect(lot_case=lot_case, findings=findings, actor=request.user)
        except ContractError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Inspection saved: %(n)d findings.") % {"n": len(findings)})
            following = (
                lot.cases.filter(in_sample=True, inspected_at__isnull=True).order_by("record_id").first()
            )
            if following is not None:
                return redirect("lot_case_inspect", contract.pk, lot.number, following.pk)
            return redirect("lot_detail", contract.pk, lot.number)
    scan = current_scan(record.scans.all())
    audit_access(
        request=request,
        action=AuditAction.VIEW_RECORD,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"via": "acceptance inspection", "lot": lot.number, "contract": contract.number},
    )
    return render(
        request,
        "contracts/lot_case_inspect.html",
        {
            "contract": contract,
            "lot": lot,
            "lot_case": lot_case,
            "record": record,
            "parties": record.parties.all(),
            "scan": scan,
            "formset": formset,
            "blank_rows": range(3),
        },
    )


@login_required
def contract_statement(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, request=request)
    if not (
        may_manage(request.user, contract) or is_staff_of(request.user, contract) or request.user.is_superuser
    ):
        raise PermissionDenied(_("Only the contract's administrators and staff see its payment statement."))
    form = PeriodForm(request.GET or None)
    date_from = date_to = None
    if form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    statement = payment_statement(contract=contract, date_from=date_from, date_to=date_to)
    kind = request.GET.get("format", "")
    if kind in ("xlsx", "pdf") and not form.errors:
        audit_access(
            request=request,
            action=AuditAction.EXPORT_STATEMENT,
            unit_id=contract.unit_id,
            obj=contract,
            changes={"format": kind, "from": str(date_from or ""), "to": str(date_to or "")},
        )
        stem = f"nghiem-thu-{contract.pk}"
        if kind == "xlsx":
            body = statement_xlsx(statement)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, content_type = statement_pdf(statement), "application/pdf"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
        return response
    return render(
        request,
        "contracts/statement.html",
        {"contract": contract, "form": form, "s": statement, "query": request.GET.urlencode()},
    )


@login_required
def contract_closing(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The closing summary (thanh lý) as a PDF; POST closes the contract."""
    contract = get_contract_for(request.user, pk, request=request)
    if not may_manage(request.user, contract):
        raise PermissionDenied(_("Only province administrators close contracts."))
    if request.method == "POST":
        try:
            services.contract_close(contract=contract, actor=request.user)
        except ContractError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Contract closed. Its staff no longer see its books."))
        return redirect("contract_detail", contract.pk)
    audit_access(
        request=request,
        action=AuditAction.EXPORT_STATEMENT,
        unit_id=contract.unit_id,
        obj=contract,
        changes={"format": "pdf", "closing": True},
    )
    response = HttpResponse(
        statement_pdf(payment_statement(contract=contract), closing=True), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="thanh-ly-{contract.pk}.pdf"'
    return response
