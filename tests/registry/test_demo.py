"""The demo a newcomer logs into: every role sees its own work, and a second seed changes nothing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from audit.verification import verify_chains
from config.demo import DEMO_PASSWORD, DEMO_USERS, demo_seed
from registry.models import CivilRecord, RecordState


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seeded once for the module inside a transaction that is rolled back afterwards."""
    required = override_settings(OTP_REQUIRED_ROLES=["approver", "province_admin", "auditor"])
    with django_db_blocker.unblock(), transaction.atomic():
        with required:  # seeded as in production: the demo authenticators are made
            seeded = demo_seed()
        yield seeded
        transaction.set_rollback(True)


@pytest.mark.slow
def test_the_demo_has_records_in_every_state_and_an_intact_trail(demo, db):
    states = set(CivilRecord.objects.values_list("state", flat=True))
    assert states >= {s.value for s in RecordState} - {"duplicate"}
    assert list(verify_chains()) == []


@pytest.mark.slow
def test_the_demo_has_a_population_extract_with_a_police_item_and_a_pending_resident(demo, db):
    from transfer.models import ReconciliationItem

    kinds = set(ReconciliationItem.objects.values_list("kind", "field"))
    assert ("differs", "ethnicity") in kinds and ("pending_book", "") in kinds


@pytest.mark.slow
def test_seeding_again_creates_nothing(demo, db):
    assert demo["users"] == len(DEMO_USERS) + 1
    again = demo_seed()
    assert again == {"users": 0, "books": 0, "records_moved": 0}


@pytest.mark.slow
@pytest.mark.parametrize(
    "username", ["clerk.xa", "reviewer.huyen", "approver.tinh", "counter.xa", "auditor.tinh"]
)
def test_each_demo_user_logs_in_and_sees_records(client, demo, db, username):
    """Approvers and auditors give the code of the demo authenticator (`manage.py totp_code`) too."""
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True)
    if response.redirect_chain and response.redirect_chain[-1][0] == "/accounts/login/code/":
        out = io.StringIO()
        call_command("totp_code", username, stdout=out)
        response = client.post("/accounts/login/code/", {"code": out.getvalue().strip()}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].username == username
    page = client.get("/records/").content.decode()
    assert "s-approved" in page or "s-transferred" in page or "s-collected" in page


@pytest.mark.slow
def test_the_demo_users_who_must_give_a_code_have_the_documented_authenticator(demo, db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from config.demo import DEMO_TOTP_KEY

    keyed = set(
        TOTPDevice.objects.filter(key=DEMO_TOTP_KEY, confirmed=True).values_list("user__username", flat=True)
    )
    assert {"admin", "admin.tinh", "approver.xa", "auditor.tinh"} <= keyed
    assert not keyed & {"clerk.xa", "counter.xa", "reviewer.tinh", "contractor.xa"}


@pytest.mark.slow
def test_a_commune_clerk_does_not_see_the_neighbouring_commune(client, demo, db):
    clerk = get_user_model().objects.get(username="clerk.xa")
    client.force_login(clerk)
    other = CivilRecord.objects.filter(unit__code="13291").first()
    assert client.get(f"/records/{other.pk}/").status_code == 404


@pytest.mark.slow
def test_the_demo_has_books_with_defects_for_the_condition_report(demo, db):
    from registry.models import AdministrativeUnit
    from reports.condition import condition_by_child

    province = AdministrativeUnit.objects.order_by("depth", "-id").first()
    _rows, total = condition_by_child(province)
    assert total["needs_restoration"] == 1 and total["torn"] == 2 and total["missing_page_total"] == 2


@pytest.mark.slow
def test_the_demo_has_a_double_keyed_book_with_an_arbitration_waiting(demo, db):
    from workflows.models import Keying, KeyingDisagreement, RecordTask

    assert Keying.objects.count() == 5
    disagreement = KeyingDisagreement.objects.get()
    assert disagreement.field == "party.subject.full_name" and disagreement.right == ""
    book_tasks = RecordTask.objects.filter(
        book__book_no="02", book__year=2021, status__in=["NEW", "ASSIGNED"]
    )
    assert sorted(book_tasks.values_list("stage", flat=True)) == ["arbitrate", "attach", "key_second"]


@pytest.mark.slow
def test_the_demo_has_a_contract_with_a_lot_waiting_for_inspection(client, demo, db):
    from contracts.models import Contract, LotStatus

    contract = Contract.objects.get(units__code__isnull=False, staff__user__username="contractor.xa")
    lot = contract.lots.get()
    assert lot.status == LotStatus.SAMPLED and lot.seed == 2025 and lot.cases.filter(in_sample=True).exists()
