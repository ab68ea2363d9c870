"""Reads of the contracts app, scoped: who sees which contract and lot, and the units contract
staff are confined to (`permissions.scoping.CONTRACT_PATHS`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from audit.actions import AuditAction
from contracts.models import Contract, ContractStaff, ContractStatus, HandoverLot, LotCase
from permissions.scoping import can, scopes_with


def contract_paths_of(user) -> list[str] | None:
    """`permissions.scoping.CONTRACT_PATHS` source: the unit paths of the open contracts whose
    staff `user` is ([] when all are closed), or None when they are staff of no contract."""
    rows = list(
        ContractStaff.objects.filter(user=user).values_list("contract__status", "contract__units__path")
    )
    if not rows:
        return None
    return [path for status, path in rows if status == ContractStatus.OPEN and path]


def may_manage(user, contract: Contract) -> bool:
    """Province administrators of the contract's managing unit record, sample, decide and close."""
    return can(user, "manage_unit", contract.unit.path)


def may_inspect(user, contract: Contract) -> bool:
    """Inspectors: the managers, and reviewers of a unit the contract covers."""
    if may_manage(user, contract):
        return True
    paths = list(contract.units.values_list("path", flat=True))
    return any(any(p.startswith(s.unit_path) for p in paths) for s in scopes_with(user, "review_record"))


def contracts_visible_to(user) -> QuerySet[Contract]:
    """Contracts managed under the user's units (administrators, auditors), covering a unit they
    review, or whose staff they are."""
    if getattr(user, "is_superuser", False):
        return Contract.objects.all()
    q = Q(staff__user=user)
    for s in scopes_with(user, "manage_unit") + scopes_with(user, "view_audit"):
        q |= Q(unit__path__startswith=s.unit_path)
    for s in scopes_with(user, "review_record"):
        q |= Q(units__path__startswith=s.unit_path)
    return Contract.objects.filter(pk__in=Contract.objects.filter(q).values("pk"))


def get_contract_for(user, pk, *, request=None) -> Contract:
    contract = contracts_visible_to(user).select_related("contractor", "unit").filter(pk=pk).first()
    if contract is None:
        _denied(request, user, "contract", pk)
        raise Http404("No such contract.")
    return contract


def get_lot_for(user, contract: Contract, number, *, request=None) -> HandoverLot:
    lot = HandoverLot.objects.filter(contract=contract, number=number).select_related("contract").first()
    if lot is None:
        raise Http404("No such lot.")
    return lot


def get_lot_case_for(lot: HandoverLot, pk) -> LotCase:
    lot_case = lot.cases.filter(pk=pk, in_sample=True).select_related("record", "record__book").first()
    if lot_case is None:
        raise Http404("No such sampled case.")
    return lot_case


def _denied(request, user, kind: str, pk) -> None:
    from audit.services import audit_access

    if getattr(user, "is_authenticated", False):
        audit_access(request=request, actor=user, action=AuditAction.DENIED, changes={kind: str(pk)[:32]})
