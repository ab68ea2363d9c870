"""The demo a newcomer logs into: every role sees its own work, and a second seed changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from audit.verification import verify_chains
from config.demo import DEMO_PASSWORD, DEMO_USERS, demo_seed
from registry.models import CivilRecord, RecordState


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seeded once for the module inside a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_seed()
        transaction.set_rollback(True)


@pytest.mark.slow
def test_the_demo_has_records_in_every_state_and_an_intact_trail(demo, db):
    states = set(CivilRecord.objects.values_list("state", flat=True))
    assert states >= {s.value for s in RecordState} - {"duplicate"}
    assert list(verify_chains()) == []


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
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].username == username
    page = client.get("/records/").content.decode()
    assert "s-approved" in page or "s-transferred" in page or "s-collected" in page


@pytest.mark.slow
def test_a_commune_clerk_does_not_see_the_neighbouring_commune(client, demo, db):
    clerk = get_user_model().objects.get(username="clerk.xa")
    client.force_login(clerk)
    other = CivilRecord.objects.filter(unit__code="13291").first()
    assert client.get(f"/records/{other.pk}/").status_code == 404
