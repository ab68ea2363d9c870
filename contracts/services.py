"""Writes of the contracts app: contractors, contracts, staff and prices; lots handed over, the
acceptance sample drawn by ISO 2859-1, inspections, the decision and the closing of a contract.
Each locks what it changes and writes its audit row in the same transaction."""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from contracts.models import (
    FIELD_DEFECTS,
    SCAN_DEFECTS,
    Contract,
    Contractor,
    ContractStaff,
    ContractStatus,
    DefectKind,
    Finding,
    FindingKind,
    HandoverLot,
    ItemKind,
    LotCase,
    LotStatus,
    UnitPrice,
)
from contracts.sampling import normalize_aql, plan_for
from permissions.roles import Role
from permissions.scoping import CONTRACTOR_STATES, user_scopes
from registry.models import AdministrativeUnit, CivilRecord, RecordState
from reports.models import Action
from reports.services import person_quality_count
from scans.models import ScanFile, current_scan


class ContractError(Exception):
    """A refusal with a message for the person who asked."""


# States a case may be handed over in: its scan exists (the contractor's work has begun).
HANDOVER_STATES = (
    *(s for s in CONTRACTOR_STATES if s != RecordState.COLLECTED),
    RecordState.REVIEWED,
    RecordState.APPROVED,
    RecordState.TRANSFERRED,
)


def _audit(
    action: AuditAction, actor: Actor, contract: Contract, obj=None, record_id=None, **changes
) -> None:
    """The audit row of a change to the contract or one of its lots, in the managing unit's stream."""
    audit_change(
        action=action,
        actor=actor,
        unit_id=contract.unit_id,
        obj=obj or contract,
        record_id=record_id,
        changes={"contract": contract.number, **changes},
    )


def _unit_paths(contract: Contract) -> list[str]:
    return list(contract.units.values_list("path", flat=True))


def contract_records_q(contract: Contract) -> Q:
    """The cases of the books the contract covers (its units' subtrees)."""
    q = Q(pk__in=[])
    for path in _unit_paths(contract):
        q |= Q(unit_path__startswith=path)
    return q


@transaction.atomic
def contractor_create(
    *, name: str, actor: Actor, tax_code: str = "", address: str = "", representative: str = ""
) -> Contractor:
    if Contractor.objects.filter(name__iexact=name.strip()).exists():
        raise ContractError(_("A contractor with this name is already recorded."))
    contractor = Contractor.objects.create(
        name=name.strip(), tax_code=tax_code, address=address, representative=representative
    )
    audit_change(
        action=AuditAction.CONTRACTOR_CREATE, actor=actor, obj=contractor, changes={"name": contractor.name}
    )
    return contractor


@transaction.atomic
def contract_create(
    *,
    contractor: Contractor,
    unit: AdministrativeUnit,
    number: str,
    title: str,
    signed_on: date,
    starts_on: date,
    ends_on: date,
    units: Sequence[AdministrativeUnit],
    aql: str,
    ceiling: int,
    actor: Actor,
) -> Contract:
    """Record a contract. Refused: a period ending before it starts, no unit, a unit outside the
    managing unit, an AQL not in ISO 2859-1 Table 2-A, a number already used."""
    if ends_on < starts_on:
        raise ContractError(_("The period ends before it starts."))
    if not units:
        raise ContractError(_("Choose at least one unit the contract covers."))
    outside = [u.name for u in units if not u.path.startswith(unit.path)]
    if outside:
        raise ContractError(
            _("These units are outside %(unit)s: %(names)s.")
            % {"unit": unit.name, "names": ", ".join(outside)}
        )
    try:
        aql = normalize_aql(aql)
    except ValueError as exc:
        raise ContractError(
            _("The AQL must be one of the columns of ISO 2859-1 Table 2-A (0.010 to 10).")
        ) from exc
    if Contract.objects.filter(number=number.strip()).exists():
        raise ContractError(_("A contract with this number is already recorded."))
    contract = Contract.objects.create(
        contractor=contractor,
        unit=unit,
        number=number.strip(),
        title=title,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        aql=aql,
        ceiling=ceiling,
        created_by=actor,
    )
    contract.units.set(units)
    _audit(
        AuditAction.CONTRACT_CREATE,
        actor,
        contract,
        contractor=contractor.name,
        period=f"{starts_on:%d/%m/%Y}–{ends_on:%d/%m/%Y}",
        units=[u.name for u in units],
        aql=aql,
        ceiling=ceiling,
    )
    return contract


def _locked_contract(contract: Contract) -> Contract:
    locked = Contract.objects.select_for_update(no_key=True).get(pk=contract.pk)
    if locked.status != ContractStatus.OPEN:
        raise ContractError(_("The contract is closed."))
    return locked


@transaction.atomic
def contract_staff_add(*, contract: Contract, user, actor: Actor) -> ContractStaff:
    """Add a contractor-staff account to the contract: refused unless the account holds only the
    contractor-staff role, on a unit of the contract's managing unit."""
    contract = _locked_contract(contract)
    scopes = user_scopes(user)
    if not scopes or any(s.role != Role.CONTRACTOR for s in scopes):
        raise ContractError(
            _("Only accounts holding the contractor staff role (and no other) can be contract staff.")
        )
    if not any(s.unit_path.startswith(contract.unit.path) for s in scopes):
        raise ContractError(_("This account's role is on a unit outside the contract's managing unit."))
    staff, created = ContractStaff.objects.get_or_create(contract=contract, user=user)
    if created:
        _audit(AuditAction.CONTRACT_STAFF_ADD, actor, contract, user=user.get_username())
    return staff


@transaction.atomic
def unit_price_set(
    *, contract: Contract, kind: str, price: int, actor: Actor, phase: int | None = None, event_type: str = ""
) -> UnitPrice:
    contract = _locked_contract(contract)
    if kind not in ItemKind.values:
        raise ContractError(_("Unknown item kind."))
    row, _created = UnitPrice.objects.update_or_create(
        contract=contract, kind=kind, phase=phase, event_type=event_type, defaults={"price": price}
    )
    _audit(
        AuditAction.CONTRACT_PRICE_SET,
        actor,
        contract,
        kind=kind,
        phase=phase,
        event_type=event_type,
        price=price,
    )
    return row


def is_staff_of(user, contract: Contract) -> bool:
    return ContractStaff.objects.filter(contract=contract, user=user).exists()


def _volumes(records: list[CivilRecord], staff_ids: set[int]) -> dict[int, tuple[int, int, int]]:
    """Per record: (keyed, pages scanned, attached) done by the contract's staff — who did each
    stage is on the record (`scanned_by`, `entered_by`, `attached_by`); the pages are the current
    scan's."""
    pages: dict[int, int] = {}
    scans = ScanFile.objects.filter(record_id__in=[r.pk for r in records]).only(
        "record_id", "pages", "late_check"
    )
    by_record: dict[int, list[ScanFile]] = {}
    for scan in scans:  # newest first (ScanFile.Meta.ordering)
        by_record.setdefault(scan.record_id, []).append(scan)
    for record_id, files in by_record.items():
        current = current_scan(files)
        pages[record_id] = current.pages if current else 0
    return {
        r.pk: (
            int(r.entered_by_id in staff_ids),
            pages.get(r.pk, 0) if r.scanned_by_id in staff_ids else 0,
            int(r.attached_by_id in staff_ids),
        )
        for r in records
    }


@transaction.atomic
def lot_handover(
    *,
    contract: Contract,
    records: Iterable[CivilRecord | int],
    actor: Actor,
    note: str = "",
    replaces: HandoverLot | None = None,
) -> HandoverLot:
    """The contractor hands over a lot of cases for acceptance. Refused: a closed contract, an
    actor who is not its staff, no case, a case outside the contract's units, not scanned yet,
    or already in a lot that is waiting or accepted; a replacement of a lot that was not returned
    or is already replaced."""
    contract = _locked_contract(contract)
    if not is_staff_of(actor, contract):
        raise ContractError(_("Only the contract's staff hand over lots."))
    ids = sorted({r.pk if isinstance(r, CivilRecord) else int(r) for r in records})
    if not ids:
        raise ContractError(_("The lot holds no case: choose books and a state with cases in it."))
    found = list(
        CivilRecord.objects.filter(contract_records_q(contract), pk__in=ids)
        .only(
            "pk",
            "state",
            "book_id",
            "event_type",
            "scanned_by_id",
            "entered_by_id",
            "attached_by_id",
            "book__phase",
        )
        .select_related("book")
    )
    if len(found) != len(ids):
        raise ContractError(_("Some cases are outside the contract's units."))
    not_ready = [r.pk for r in found if r.state not in HANDOVER_STATES]
    if not_ready:
        raise ContractError(_("%(n)d cases are not scanned yet.") % {"n": len(not_ready)})
    if replaces is not None:
        replaces = HandoverLot.objects.select_for_update(no_key=True).get(pk=replaces.pk)
        if replaces.contract_id != contract.pk or replaces.status != LotStatus.RETURNED:
            raise ContractError(_("Only a returned lot of this contract can be handed over again."))
        if HandoverLot.objects.filter(replaces=replaces).exists():
            raise ContractError(_("This returned lot was already handed over again."))
    busy = LotCase.objects.filter(record_id__in=ids).exclude(lot__status=LotStatus.RETURNED).count()
    if busy:
        raise ContractError(
            _("%(n)d cases are already in a lot waiting for acceptance or accepted.") % {"n": busy}
        )
    staff_ids = set(ContractStaff.objects.filter(contract=contract).values_list("user_id", flat=True))
    volumes = _volumes(found, staff_ids)
    number = (contract.lots.aggregate(n=Max("number"))["n"] or 0) + 1
    lot = HandoverLot.objects.create(
        contract=contract,
        number=number,
        replaces=replaces,
        handed_over_by=actor,
        handed_over_at=timezone.now(),
        note=note,
        lot_size=len(found),
    )
    LotCase.objects.bulk_create(
        LotCase(
            lot=lot,
            record_id=r.pk,
            book_id_value=r.book_id,
            phase=r.book.phase,
            event_type=r.event_type,
            keyed=volumes[r.pk][0],
            pages=volumes[r.pk][1],
            attached=volumes[r.pk][2],
        )
        for r in found
    )
    replaced = replaces.number if replaces else None
    _audit(AuditAction.LOT_HANDOVER, actor, contract, lot, lot=number, cases=len(found), replaces=replaced)
    return lot


def _locked_lot(lot: HandoverLot, *status: str) -> HandoverLot:
    locked = (
        HandoverLot.objects.select_for_update(no_key=True, of=("self",))
        .select_related("contract")
        .get(pk=lot.pk)
    )
    if locked.status not in status:
        raise ContractError(
            _("The lot is %(status)s: this step is done already.") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def lot_draw_sample(*, lot: HandoverLot, actor: Actor, seed: int | None = None) -> HandoverLot:
    """Draw the acceptance sample: the plan of ISO 2859-1 (level II, single sampling, normal
    inspection, the contract's AQL) for the lot's size, then `draw`: the same seed always draws
    the same cases. The seed (a
    fresh random one unless given) and the plan are recorded on the lot."""
    lot = _locked_lot(lot, LotStatus.HANDED_OVER)
    plan = plan_for(lot.lot_size, lot.contract.aql)
    seed = secrets.randbits(48) if seed is None else seed
    chosen = draw(list(lot.cases.values_list("record_id", flat=True)), plan.sample_size, seed)
    lot.cases.filter(record_id__in=chosen).update(in_sample=True)
    lot.aql, lot.code_letter, lot.plan_letter = plan.aql, plan.code_letter, plan.plan_letter
    lot.sample_size, lot.accept_no, lot.reject_no = plan.sample_size, plan.accept, plan.reject
    lot.seed, lot.sampled_by, lot.sampled_at = seed, actor, timezone.now()
    lot.status = LotStatus.SAMPLED
    lot.save(
        update_fields=[
            "aql", "code_letter", "plan_letter", "sample_size", "accept_no", "reject_no",
            "seed", "sampled_by", "sampled_at", "status",
        ]
    )  # fmt: skip
    plan_used = {"aql": plan.aql, "code_letter": plan.code_letter, "plan_letter": plan.plan_letter}
    _audit(
        AuditAction.LOT_SAMPLE,
        actor,
        lot.contract,
        lot,
        lot=lot.number,
        lot_size=lot.lot_size,
        sample_size=plan.sample_size,
        ac=plan.accept,
        re=plan.reject,
        seed=seed,
        **plan_used,
    )
    return lot


def draw(record_ids: list[int], size: int, seed: int) -> list[int]:
    """The sample: `random.Random(seed).sample` of `size` over the record ids in ascending order,
    so anyone holding the lot's list of cases and its seed draws the same cases again."""
    return random.Random(seed).sample(sorted(record_ids), size)


def sample_of(lot: HandoverLot) -> list[int]:
    """The record ids the lot's recorded seed draws (to re-check a drawn sample)."""
    if lot.seed is None or lot.sample_size is None:
        return []
    return draw(list(lot.cases.values_list("record_id", flat=True)), lot.sample_size, lot.seed)


@dataclass(frozen=True)
class FindingInput:
    kind: str
    defect: str
    field: str = ""
    note: str = ""


@transaction.atomic
def case_inspect(*, lot_case: LotCase, findings: Sequence[FindingInput], actor: Actor) -> LotCase:
    """Record the inspection of a sampled case (no finding: it conforms); inspecting again replaces
    the findings. Refused: a case outside the sample, a lot already decided, the contract's own
    staff, a defect that does not match its kind."""
    lot = _locked_lot(lot_case.lot, LotStatus.SAMPLED)
    lot_case = LotCase.objects.select_for_update(no_key=True).get(pk=lot_case.pk, lot=lot)
    if not lot_case.in_sample:
        raise ContractError(_("This case is not in the sample."))
    if is_staff_of(actor, lot.contract):
        raise ContractError(_("The contractor's staff do not inspect their own lot."))
    for f in findings:
        allowed = (
            FIELD_DEFECTS
            if f.kind == FindingKind.FIELD_ERROR
            else SCAN_DEFECTS
            if f.kind == FindingKind.SCAN_DEFECT
            else ()
        )
        if f.defect not in allowed:
            raise ContractError(_("A finding's defect does not match its kind."))
        if f.kind == FindingKind.FIELD_ERROR and not f.field.strip():
            raise ContractError(_("Name the field of each field error."))
    lot_case.findings.all().delete()
    Finding.objects.bulk_create(
        Finding(
            lot_case=lot_case, kind=f.kind, defect=f.defect, field=f.field.strip()[:64], note=f.note[:255]
        )
        for f in findings
    )
    lot_case.inspected_by, lot_case.inspected_at = actor, timezone.now()
    lot_case.save(update_fields=["inspected_by", "inspected_at"])
    found = [{"kind": f.kind, "defect": str(DefectKind(f.defect).label), "field": f.field} for f in findings]
    _audit(
        AuditAction.LOT_INSPECT, actor, lot.contract, lot, lot_case.record_id, lot=lot.number, findings=found
    )
    return lot_case


@transaction.atomic
def lot_decide(*, lot: HandoverLot, actor: Actor) -> HandoverLot:
    """Accept or reject the lot by its plan: accepted when the sample holds at most Ac
    nonconforming cases (a case with any finding), rejected (and returned to the contractor with
    its findings) at Re or more. Refused until every sampled case is inspected."""
    lot = _locked_lot(lot, LotStatus.SAMPLED)
    sample = lot.cases.filter(in_sample=True)
    left = sample.filter(inspected_at__isnull=True).count()
    if left:
        raise ContractError(_("%(n)d sampled cases are not inspected yet.") % {"n": left})
    if is_staff_of(actor, lot.contract):
        raise ContractError(_("The contractor's staff do not decide on their own lot."))
    bad = sample.filter(findings__isnull=False).distinct().count()
    assert lot.accept_no is not None and lot.reject_no is not None
    lot.status = LotStatus.ACCEPTED if bad <= lot.accept_no else LotStatus.RETURNED
    lot.nonconforming, lot.decided_by, lot.decided_at = bad, actor, timezone.now()
    lot.save(update_fields=["status", "nonconforming", "decided_by", "decided_at"])
    _count_findings_against_their_authors(lot)
    action = AuditAction.LOT_ACCEPT if lot.status == LotStatus.ACCEPTED else AuditAction.LOT_RETURN
    counts = {"sample": lot.sample_size, "nonconforming": bad, "ac": lot.accept_no, "re": lot.reject_no}
    _audit(action, actor, lot.contract, lot, lot=lot.number, **counts)
    return lot


def _count_findings_against_their_authors(lot: HandoverLot) -> None:
    """The lot's findings count against whoever did the work (quality per person, issue 17 item 4):
    a field error against who entered the case, a scan defect against who scanned it; once, when
    the lot is decided (an inspection done again replaces its findings)."""
    per_person: dict[tuple[int, int], int] = defaultdict(int)
    findings = Finding.objects.filter(lot_case__lot=lot).select_related("lot_case__record")
    for finding in findings:
        record = finding.lot_case.record
        author = record.entered_by_id if finding.kind == FindingKind.FIELD_ERROR else record.scanned_by_id
        if author:
            per_person[(author, record.unit_id)] += 1
    units = {u.pk: u for u in AdministrativeUnit.objects.filter(pk__in={unit for _a, unit in per_person})}
    for (author, unit_id), n in sorted(per_person.items()):
        person_quality_count(actor_id=author, unit=units[unit_id], action=Action.ACCEPTANCE_ERROR, n=n)


@transaction.atomic
def contract_close(*, contract: Contract, actor: Actor) -> Contract:
    """Close (liquidate) the contract: refused while a lot waits for its decision. Its staff then
    see nothing of it any more."""
    contract = _locked_contract(contract)
    waiting = contract.lots.filter(status__in=[LotStatus.HANDED_OVER, LotStatus.SAMPLED]).count()
    if waiting:
        raise ContractError(_("%(n)d lots still wait for their decision.") % {"n": waiting})
    contract.status, contract.closed_at, contract.closed_by = ContractStatus.CLOSED, timezone.now(), actor
    contract.save(update_fields=["status", "closed_at", "closed_by"])
    _audit(AuditAction.CONTRACT_CLOSE, actor, contract)
    return contract
