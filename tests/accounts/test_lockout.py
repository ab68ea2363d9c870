"""Finding 9: 30 wrong passwords in 9 s with no lockout. Now N failures lock the user name; the province
administrator of the user's unit sees it and unlocks it; the login page says so plainly."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from permissions.roles import Role
from tests.factories import make_user

LOGIN = "/accounts/login/"
IP = "203.0.113.7"


def attempt(client, username, password):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=IP, HTTP_USER_AGENT="Probe/1.0"
    )


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return 5


def test_n_failures_lock_then_the_province_admin_unlocks_and_the_user_logs_in(
    client, world, limit, vietnamese
):
    # Given a clerk who mistypes the password `limit` times
    clerk = world.clerk
    for _ in range(limit - 1):
        response = attempt(client, clerk.username, "wrong")
        assert response.status_code == 200
    response = attempt(client, clerk.username, "wrong")
    # Then the page says, in Vietnamese, that the account is locked and whom to ask
    assert response.status_code == 429
    page = response.content.decode()
    assert "đã bị khoá" in page and "quản trị viên cấp tỉnh" in page
    # and even the right password is refused while locked
    assert attempt(client, clerk.username, "pw").status_code == 429
    assert "_auth_user_id" not in client.session

    # When the province administrator opens the accounts page, the clerk is listed as locked
    admin = world.admin
    client.force_login(admin)
    listing = client.get(reverse("account_list")).content.decode()
    assert "clerk_a" in listing.split("<h2>", 2)[1]  # the "locked" table comes first
    response = client.post(reverse("account_action", args=[clerk.pk, "unlock"]), REMOTE_ADDR=IP)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="account_unlock", actor=admin, object_id=str(clerk.pk)).exists()
    client.logout()

    # Then the clerk logs in with the right password
    response = attempt(client, clerk.username, "pw")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)


def test_a_lockout_ends_by_itself_after_the_cool_off(client, world, limit, settings):
    for _ in range(limit):
        attempt(client, world.clerk.username, "wrong")
    assert attempt(client, world.clerk.username, "pw").status_code == 429
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    )
    assert attempt(client, world.clerk.username, "pw").status_code == 302


def test_an_admin_of_another_commune_can_neither_see_nor_unlock(client, world, limit):
    for _ in range(limit):
        attempt(client, world.clerk.username, "wrong")
    other_admin = make_user("admin_b", Role.PROVINCE_ADMIN, world.commune_b)
    client.force_login(other_admin)
    assert "clerk_a" not in client.get(reverse("account_list")).content.decode()
    assert client.post(reverse("account_action", args=[world.clerk.pk, "unlock"])).status_code == 404
    assert attempt(client.__class__(), world.clerk.username, "pw").status_code == 429
