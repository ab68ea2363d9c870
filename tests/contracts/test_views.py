"""The contract pages through a browser's requests: the whole flow, and bad input answered with a
message (never a 500)."""

from django.test import Client
from django.urls import reverse

from contracts import services
from contracts.models import Contract, HandoverLot, LotStatus


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_flow_through_the_pages(cw):
    world = cw.world
    admin, staff, reviewer = login(world.admin), login(cw.staff), login(world.reviewer)
    book = cw.book(3)
    cw.work(book)
    pk = cw.contract.pk
    assert cw.contract.number in admin.get(reverse("contract_list")).content.decode()
    assert staff.get(reverse("contract_list")).status_code == 200
    page = staff.get(reverse("contract_detail", args=[pk])).content.decode()
    assert "Hand over a lot" in page and "Close the contract" not in page
    # the contractor hands over the book's attached cases
    form = staff.get(reverse("lot_new", args=[pk]))
    assert form.status_code == 200 and book.book_no in form.content.decode()
    response = staff.post(reverse("lot_new", args=[pk]), {"books": [book.pk], "state": "attached"})
    lot = HandoverLot.objects.get(contract=cw.contract)
    assert response.status_code == 302 and lot.lot_size == 3
    # the province draws the sample, inspects (one blurred scan) and decides
    admin.post(reverse("lot_detail", args=[pk, lot.number]), {"action": "sample"})
    lot.refresh_from_db()
    assert lot.status == LotStatus.SAMPLED and lot.seed is not None
    cases = list(lot.cases.filter(in_sample=True).order_by("record_id"))
    for i, case in enumerate(cases):
        url = reverse("lot_case_inspect", args=[pk, lot.number, case.pk])
        assert reviewer.get(url).status_code == 200
        data = {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-defect": "illegible" if i == 0 else "",
        }
        assert reviewer.post(url, data).status_code == 302
    admin.post(reverse("lot_detail", args=[pk, lot.number]), {"action": "decide"})
    lot.refresh_from_db()
    assert (lot.status, lot.nonconforming) == (LotStatus.ACCEPTED, 1)  # plan C at AQL 10: Ac 1
    page = staff.get(reverse("lot_detail", args=[pk, lot.number])).content.decode()
    assert "Illegible or blurred" in page
    statement = admin.get(reverse("contract_statement", args=[pk])).content.decode()
    assert "10.500" in statement  # 3 keyed × 3.500


def test_bad_input_gets_a_message(cw):
    world = cw.world
    admin, staff, reviewer = login(world.admin), login(cw.staff), login(world.reviewer)
    pk = cw.contract.pk
    bad_contract = {
        "contractor": cw.contract.contractor_id,
        "unit": world.province.pk,
        "number": "X",
        "title": "X",
        "signed_on": "2026-01-01",
        "starts_on": "2026-05-01",
        "ends_on": "2026-01-01",
        "units": [world.commune_a.pk],
        "aql": "0.3",
        "ceiling": "-5",
    }
    response = admin.post(reverse("contract_new"), bad_contract)
    assert response.status_code == 200 and "The period ends before it starts." in response.content.decode()
    assert not Contract.objects.filter(number="X").exists()
    assert admin.post(reverse("contractor_new"), {"name": ""}).status_code == 200
    assert admin.post(reverse("contractor_new"), {"name": cw.contract.contractor.name}).status_code == 200
    price = admin.post(
        reverse("contract_detail", args=[pk]), {"price-kind": "nonsense", "price-price": "abc"}
    )
    assert price.status_code == 200
    staff_add = admin.post(reverse("contract_detail", args=[pk]), {"staff-username": world.clerk.username})
    assert "contractor staff role" in staff_add.content.decode()
    assert staff.post(reverse("contract_detail", args=[pk]), {"staff-username": "x"}).status_code == 403
    empty = staff.post(reverse("lot_new", args=[pk]), {"state": "attached"})
    assert empty.status_code == 200
    nothing = staff.post(reverse("lot_new", args=[pk]), {"books": [cw.book(1).pk], "state": "attached"})
    assert "no case" in nothing.content.decode()
    assert staff.get(reverse("lot_new", args=[pk]), {"replaces": "99"}).status_code == 200
    assert admin.get(reverse("lot_detail", args=[pk, 99])).status_code == 404
    assert admin.get(reverse("contract_detail", args=[999999])).status_code == 404
    bad_dates = admin.get(
        reverse("contract_statement", args=[pk]), {"date_from": "2026-13-45", "format": "pdf"}
    )
    assert bad_dates.status_code == 200 and "Enter a valid date." in bad_dates.content.decode()
    cases = cw.work(cw.book(2))

    lot = services.lot_handover(contract=cw.contract, records=cases, actor=cw.staff)
    services.lot_draw_sample(lot=lot, actor=world.admin, seed=9)
    case = lot.cases.filter(in_sample=True).first()
    url = reverse("lot_case_inspect", args=[pk, lot.number, case.pk])
    no_field = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-0-defect": "wrong_value"}
    response = reviewer.post(url, no_field)
    assert response.status_code == 200 and "Name the field of a field error." in response.content.decode()
    assert reviewer.post(url, {"form-TOTAL_FORMS": "x"}).status_code == 200
    decided_early = admin.post(
        reverse("lot_detail", args=[pk, lot.number]), {"action": "decide"}, follow=True
    )
    assert "not inspected yet" in decided_early.content.decode()
    assert staff.post(reverse("lot_detail", args=[pk, lot.number]), {"action": "decide"}).status_code == 403


def test_the_pages_speak_vietnamese(cw, vietnamese):
    client = login(cw.world.admin)
    page = client.get(reverse("contract_detail", args=[cw.contract.pk])).content.decode()
    assert "Hợp đồng 01/2026/HĐ-STP" in page and "Bảng kê thanh toán" in page and "Hồ sơ nhập liệu" in page
    statement = client.get(reverse("contract_statement", args=[cw.contract.pk])).content.decode()
    assert "Giá trị thanh toán kỳ này (trong giá trị tối đa)" in statement


def test_lists_cost_the_same_queries_whatever_their_length(cw):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = cw.world
    admin = login(world.admin)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(url).status_code == 200
        return len(captured)

    small = services.lot_handover(contract=cw.contract, records=cw.work(cw.book(2)), actor=cw.staff)
    large = services.lot_handover(contract=cw.contract, records=cw.work(cw.book(6)), actor=cw.staff)
    for lot in (small, large):
        services.lot_draw_sample(lot=lot, actor=world.admin, seed=4)
        for case in lot.cases.filter(in_sample=True):
            services.case_inspect(lot_case=case, findings=[], actor=world.reviewer)
    # the sample of 2 and the sample of 5 cost the same; so do 1 decided lot and 2 (and 3 lots in all)
    assert queries(reverse("lot_detail", args=[cw.contract.pk, 1])) == queries(
        reverse("lot_detail", args=[cw.contract.pk, 2])
    )
    services.lot_decide(lot=small, actor=world.admin)
    before = queries(reverse("contract_detail", args=[cw.contract.pk]))
    statement_before = queries(reverse("contract_statement", args=[cw.contract.pk]))
    services.lot_decide(lot=large, actor=world.admin)
    services.lot_handover(contract=cw.contract, records=cw.work(cw.book(1)), actor=cw.staff)
    assert queries(reverse("contract_detail", args=[cw.contract.pk])) == before
    assert queries(reverse("contract_statement", args=[cw.contract.pk])) == statement_before


def test_a_returned_lot_is_handed_over_again_from_its_page(cw):
    from contracts.models import DefectKind, FindingKind
    from contracts.services import FindingInput

    world = cw.world
    lot = services.lot_handover(contract=cw.contract, records=cw.work(cw.book(2)), actor=cw.staff)
    services.lot_draw_sample(lot=lot, actor=world.admin, seed=8)
    blur = [FindingInput(FindingKind.SCAN_DEFECT, DefectKind.CROPPED)]
    for case in lot.cases.filter(in_sample=True):
        services.case_inspect(lot_case=case, findings=blur, actor=world.reviewer)
    services.lot_decide(lot=lot, actor=world.admin)
    staff = login(cw.staff)
    page = staff.get(reverse("lot_detail", args=[cw.contract.pk, lot.number])).content.decode()
    assert "Cropped or skewed" in page and "Hand over again, corrected" in page
    url = reverse("lot_new", args=[cw.contract.pk]) + f"?replaces={lot.number}"
    assert "returned lot 1" in staff.get(url).content.decode()
    assert staff.post(url, {"note": "Quét lại 2 trang"}).status_code == 302
    again = HandoverLot.objects.get(replaces=lot)
    assert (again.number, again.lot_size, again.note) == (2, 2, "Quét lại 2 trang")
    twice = staff.post(url, {"note": ""})
    assert twice.status_code == 200 and "already handed over again" in twice.content.decode()
