"""Handover lots and their acceptance by ISO 2859-1 sampling (issue 17, item 3)."""

import random

import pytest

from audit.models import AuditEvent
from contracts import services
from contracts.models import DefectKind, FindingKind, HandoverLot, LotStatus
from contracts.services import ContractError, FindingInput, draw, sample_of
from reports.models import ActorDailyCount

WRONG_NAME = FindingInput(FindingKind.FIELD_ERROR, DefectKind.WRONG_SPELLING, field="subject.full_name")


def inspect_all(lot, inspector, injected: set[int]) -> int:
    """The inspector checks each sampled case against the book: a case with an injected error gets a
    finding. Returns how many sampled cases had one."""
    bad = 0
    for case in lot.cases.filter(in_sample=True):
        findings = [WRONG_NAME] if case.record_id in injected else []
        bad += bool(findings)
        services.case_inspect(lot_case=case, findings=findings, actor=inspector)
    return bad


def test_a_lot_above_the_aql_is_rejected_and_one_below_accepted_reproducibly_from_the_seed(cw):
    # Given AQL 10 and two lots of 20 cases: plan C of Table 2-A (n = 5, Ac 1, Re 2)
    world = cw.world
    bad_book, good_book = cw.book(20), cw.book(20)
    bad_cases, good_cases = cw.work(bad_book), cw.work(good_book)
    bad_lot = services.lot_handover(contract=cw.contract, records=bad_cases, actor=cw.staff)
    good_lot = services.lot_handover(contract=cw.contract, records=good_cases, actor=cw.staff)
    injected_bad = {r.pk for r in bad_cases[:12]}  # 60 % nonconforming, far above the AQL
    injected_good = {good_cases[7].pk}  # 5 %, below it
    # When the province draws the samples with recorded seeds and inspects them
    services.lot_draw_sample(lot=bad_lot, actor=world.admin, seed=20260101)
    services.lot_draw_sample(lot=good_lot, actor=world.admin, seed=777)
    bad_lot.refresh_from_db()
    assert (bad_lot.code_letter, bad_lot.sample_size, bad_lot.accept_no, bad_lot.reject_no) == ("C", 5, 1, 2)
    found_bad = inspect_all(bad_lot, world.reviewer, injected_bad)
    found_good = inspect_all(good_lot, world.reviewer, injected_good)
    bad_lot = services.lot_decide(lot=bad_lot, actor=world.admin)
    good_lot = services.lot_decide(lot=good_lot, actor=world.admin)
    # Then the 60 % lot is rejected and returned, the 5 % lot accepted
    assert found_bad >= 2 and bad_lot.status == LotStatus.RETURNED and bad_lot.nonconforming == found_bad
    assert found_good <= 1 and good_lot.status == LotStatus.ACCEPTED
    # ... and anyone can draw the same sample again from the recorded seed and the lot's cases
    for lot in (bad_lot, good_lot):
        sampled = set(lot.cases.filter(in_sample=True).values_list("record_id", flat=True))
        ids = sorted(lot.cases.values_list("record_id", flat=True))
        assert sampled == set(random.Random(lot.seed).sample(ids, 5)) == set(sample_of(lot))
    bad_ids = [r.pk for r in bad_cases]
    assert len(set(draw(bad_ids, 5, 20260101)) & injected_bad) == found_bad
    events = AuditEvent.objects.filter(object_id=str(bad_lot.pk), object_type__icontains="handoverlot")
    actions = list(events.order_by("id").values_list("action", flat=True))
    assert actions[0] == "lot_handover" and actions[1] == "lot_sample" and actions[-1] == "lot_return"
    assert events.get(action="lot_sample").changes["seed"] == 20260101
    assert events.filter(action="lot_inspect").count() == 5
    # Each field error counts once against whoever entered the case (quality per person)
    enterers = {r.entered_by_id for r in bad_cases + good_cases}
    overall = ActorDailyCount.objects.filter(action="acceptance_error", actor_id__in=enterers)
    assert sum(overall.values_list("n", flat=True)) == found_bad + found_good


def test_a_returned_lot_comes_back_as_a_new_handover_with_its_findings_kept(cw):
    world = cw.world
    cases = cw.work(cw.book(6))
    lot = services.lot_handover(contract=cw.contract, records=cases, actor=cw.staff)
    services.lot_draw_sample(lot=lot, actor=world.admin, seed=1)  # 6 cases, plan C: all 5 of 6? n = 5
    inspect_all(lot, world.reviewer, {r.pk for r in cases})
    lot = services.lot_decide(lot=lot, actor=world.admin)
    assert lot.status == LotStatus.RETURNED
    again = services.lot_handover(contract=cw.contract, records=cases, actor=cw.staff2, replaces=lot)
    assert again.number == lot.number + 1 and again.replaces == lot and again.lot_size == 6
    assert lot.cases.filter(findings__isnull=False).count() == 5  # the findings stay with the returned lot
    with pytest.raises(ContractError, match="already handed over again"):
        services.lot_handover(contract=cw.contract, records=cases, actor=cw.staff, replaces=lot)


def test_refusals(cw):
    world = cw.world
    cases = cw.work(cw.book(3))
    outside = cw.work(cw.book(1, unit=world.commune_b), "scanned", by=world.outsider)[0]  # commune B
    with pytest.raises(ContractError, match="Only the contract's staff"):
        services.lot_handover(contract=cw.contract, records=cases, actor=world.clerk)
    with pytest.raises(ContractError, match="outside the contract's units"):
        services.lot_handover(contract=cw.contract, records=[*cases, outside], actor=cw.staff)
    with pytest.raises(ContractError, match="no case"):
        services.lot_handover(contract=cw.contract, records=[], actor=cw.staff)
    empty = cw.book(1).records.get()
    with pytest.raises(ContractError, match="not scanned"):
        services.lot_handover(contract=cw.contract, records=[empty], actor=cw.staff)
    lot = services.lot_handover(contract=cw.contract, records=cases, actor=cw.staff)
    with pytest.raises(ContractError, match="already in a lot"):
        services.lot_handover(contract=cw.contract, records=cases[:1], actor=cw.staff)
    with pytest.raises(ContractError, match="sampled cases are not inspected"):
        services.lot_decide(lot=services.lot_draw_sample(lot=lot, actor=world.admin), actor=world.admin)
    with pytest.raises(ContractError, match="this step is done already"):
        services.lot_draw_sample(lot=lot, actor=world.admin)
    case = lot.cases.filter(in_sample=True).first()
    with pytest.raises(ContractError, match="do not inspect their own lot"):
        services.case_inspect(lot_case=case, findings=[], actor=cw.staff)
    with pytest.raises(ContractError, match="does not match its kind"):
        services.case_inspect(
            lot_case=case,
            findings=[FindingInput(FindingKind.SCAN_DEFECT, DefectKind.WRONG_DATE)],
            actor=world.admin,
        )
    with pytest.raises(ContractError, match="Name the field"):
        services.case_inspect(
            lot_case=case,
            findings=[FindingInput(FindingKind.FIELD_ERROR, DefectKind.WRONG_DATE)],
            actor=world.admin,
        )
    with pytest.raises(ContractError, match="still wait"):
        services.contract_close(contract=cw.contract, actor=world.admin)
    assert HandoverLot.objects.get(pk=lot.pk).status == LotStatus.SAMPLED


def test_the_contract_page_shows_each_staff_members_work_and_quality_and_the_contractors(cw, client):
    world = cw.world
    cases = cw.work(cw.book(8))
    lot = services.lot_handover(contract=cw.contract, records=cases, actor=cw.staff)
    services.lot_draw_sample(lot=lot, actor=world.admin, seed=5)
    found = inspect_all(lot, world.reviewer, {r.pk for r in cases})  # every sampled case has an error
    services.lot_decide(lot=lot, actor=world.admin)
    client.force_login(world.admin)
    page = client.get(f"/contracts/{cw.contract.pk}/")
    rows = {p.user_id: p for p in page.context["quality"]}
    assert (rows[cw.staff.pk].counts["enter"], rows[cw.staff.pk].acceptance_errors) == (8, found)
    total = page.context["quality_total"]
    assert total.name == cw.contract.contractor.name and total.acceptance_errors == found
    assert total.counts["scan"] == sum(p.counts.get("scan", 0) for p in page.context["quality"])
