"""Contract staff see their contract's books and the cases still in the contractor's hands, and
nothing else: 404 for other books and records, no people pages (issue 17, item 6)."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from contracts import services
from contracts.models import LotStatus
from permissions.roles import Role
from permissions.scoping import books_visible_to, records_visible_to
from tests.contracts.conftest import make_contract
from tests.factories import make_user
from workflows import claims
from workflows.claims import ClaimRefused
from workflows.inbox import queue_for
from workflows.models import RecordTask


def login(user):
    client = Client()
    client.force_login(user)
    return client


def fresh(user):
    """The user as a new request loads it (scopes are cached per user object)."""
    return type(user).objects.get(pk=user.pk)


def test_staff_reach_their_contracts_books_and_get_404_elsewhere(cw):
    world = cw.world
    mine = cw.book(2)
    other_commune = cw.book(1, unit=world.commune_b)
    approved = world.record("approved")  # commune A, but past the contractor's hands
    client = login(cw.staff)
    assert client.get(reverse("book_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("book_detail", args=[other_commune.pk])).status_code == 404
    case = cw.work(mine, "entered")[0]
    assert client.get(reverse("record_detail", args=[case.pk])).status_code == 200
    for url in (
        reverse("record_detail", args=[approved.pk]),
        reverse("record_detail", args=[other_commune.records.get().pk]),
        reverse("record_search"),
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("people")).status_code == 403
    assert AuditEvent.objects.filter(actor=cw.staff, action="denied", record_id_value=approved.pk).exists()
    assert AuditEvent.objects.filter(actor=cw.staff, action="view_record", record_id_value=case.pk).exists()
    staff = fresh(cw.staff)
    assert set(books_visible_to(staff)) == {mine, approved.book}
    assert not records_visible_to(staff).filter(pk=approved.pk).exists()


def test_the_queue_is_confined_to_the_contracts_units(world):
    # Given a contractor whose role covers district 1, under a contract for commune A only
    contract = make_contract(world, number="02/2026/HĐ")
    staff = make_user("nhathau_huyen", Role.CONTRACTOR, world.district1)
    loose = make_user("nhathau_tudo", Role.CONTRACTOR, world.district1)  # staff of no contract
    services.contract_staff_add(contract=contract, user=staff, actor=world.admin)
    in_a, in_b = world.book(cases=1), world.book(world.commune_b, cases=1)
    queued = {t.book_id for t in queue_for(fresh(staff))}
    assert in_a.pk in queued and in_b.pk not in queued
    outside = RecordTask.objects.get(book_id=in_b.pk, status="NEW")
    with pytest.raises(ClaimRefused, match="not covered by your digitization contract"):
        claims.task_claim(task=outside, actor=fresh(staff))
    assert {in_a.pk, in_b.pk} <= {t.book_id for t in queue_for(fresh(loose))}
    # When the contract is closed, its staff see none of its books any more
    services.contract_close(contract=contract, actor=world.admin)
    assert not queue_for(fresh(staff)).exists()
    assert login(staff).get(reverse("book_detail", args=[in_a.pk])).status_code == 404


def test_other_contracts_and_inspection_pages_are_closed_to_staff(cw):
    world = cw.world
    cases = cw.work(cw.book(2))
    lot = services.lot_handover(contract=cw.contract, records=cases, actor=cw.staff)
    services.lot_draw_sample(lot=lot, actor=world.admin, seed=3)
    other = make_contract(world, number="03/2026/HĐ")
    stranger = make_user("nhathau_khac", Role.CONTRACTOR, world.commune_a)
    services.contract_staff_add(contract=other, user=stranger, actor=world.admin)
    client = login(stranger)
    assert client.get(reverse("contract_detail", args=[cw.contract.pk])).status_code == 404
    assert client.get(reverse("lot_detail", args=[cw.contract.pk, lot.number])).status_code == 404
    assert client.get(reverse("contract_statement", args=[cw.contract.pk])).status_code == 404
    assert login(world.outsider).get(reverse("contract_detail", args=[cw.contract.pk])).status_code == 404
    case = lot.cases.filter(in_sample=True).first()
    inspect = reverse("lot_case_inspect", args=[cw.contract.pk, lot.number, case.pk])
    assert login(cw.staff).get(inspect).status_code == 403  # the data of the case is the inspectors'
    assert login(world.reviewer).get(inspect).status_code == 200
    assert login(cw.staff).get(reverse("lot_detail", args=[cw.contract.pk, lot.number])).status_code == 200
    assert lot.status == LotStatus.HANDED_OVER


@pytest.mark.parametrize("action", ["contract_create", "contract_staff_add", "contract_price_set"])
def test_contract_changes_are_audited(cw, action):
    assert AuditEvent.objects.filter(
        action=action, actor=cw.world.admin, unit_id_value=cw.world.province.pk
    ).exists()
