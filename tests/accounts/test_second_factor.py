"""Finding 9: no second factor for anyone. Approvers, province administrators and auditors now give a
TOTP code after the password; others may enrol. Enforcement is on in these tests (`second_factor_enforced`);
the rest of the suite runs with it off (tests/conftest.py)."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import current_code
from audit.models import AuditEvent

pytestmark = pytest.mark.usefixtures("second_factor_enforced")

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    """django-otp waits 1 s, 2 s, 4 s… after a wrong code; the tests type the right one at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def device_for(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def wrong(code: str) -> str:
    return f"{(int(code) + 500000) % 1000000:06d}"


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def test_an_approver_gives_password_then_code_and_a_wrong_code_is_refused(client, world):
    device = device_for(world.approver)
    # Password: not signed in yet, sent to the code page
    response = client.post(LOGIN, {"username": world.approver.username, "password": "pw"})
    assert response.status_code == 302 and response["Location"] == reverse("login_code")
    assert logged_in_as(client) is None
    assert client.get("/work/queue/").status_code == 302  # still anonymous: back to the login page
    # A wrong code is refused, with a message, and counts as a failed login
    response = client.post(reverse("login_code"), {"code": wrong(current_code(device))})
    assert response.status_code == 200
    assert "That code is wrong" in response.content.decode()
    assert logged_in_as(client) is None
    assert AuditEvent.objects.filter(action="login_failed", changes__stage="code").count() == 1
    # The right code signs in and lands on the approver's queue
    response = client.post(reverse("login_code"), {"code": current_code(device)}, follow=True)
    assert logged_in_as(client) == str(world.approver.pk)
    assert response.redirect_chain[-1][0] == "/work/queue/"
    (row,) = AuditEvent.objects.filter(action="login")
    assert row.changes["second_factor"] == "totp"


def test_codes_count_towards_the_lockout(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = device_for(world.approver)
    client.post(LOGIN, {"username": world.approver.username, "password": "pw"})
    for _ in range(2):
        client.post(reverse("login_code"), {"code": wrong(current_code(device))})
    response = client.post(reverse("login_code"), {"code": wrong(current_code(device))})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="lockout").exists()
    # the pending login is gone: the right code no longer helps
    response = client.post(reverse("login_code"), {"code": current_code(device)})
    assert logged_in_as(client) is None


def test_a_required_role_without_an_authenticator_enrols_before_anything_else(client, world):
    response = client.post(LOGIN, {"username": world.auditor.username, "password": "pw"})
    assert response["Location"] == reverse("login_enrol")
    page = client.get(reverse("login_enrol"))
    html = page.content.decode()
    assert "<svg" in html and 'class="secret"' in html
    assert logged_in_as(client) is None
    device = TOTPDevice.objects.get(user=world.auditor, confirmed=False)
    assert client.post(reverse("login_enrol"), {"code": wrong(current_code(device))}).status_code == 200
    assert logged_in_as(client) is None
    client.post(reverse("login_enrol"), {"code": current_code(device)})
    assert logged_in_as(client) == str(world.auditor.pk)
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="totp_enrol", actor=world.auditor).exists()


def test_a_clerk_logs_in_with_the_password_alone_and_may_enrol_and_remove(client, world):
    response = client.post(LOGIN, {"username": world.clerk.username, "password": "pw"})
    assert logged_in_as(client) == str(world.clerk.pk) and response.status_code == 302
    client.get(reverse("account_totp"))
    device = TOTPDevice.objects.get(user=world.clerk)
    client.post(reverse("account_totp"), {"code": current_code(device)})
    device.refresh_from_db()
    assert device.confirmed
    client.post(reverse("account_totp_remove"))
    assert not TOTPDevice.objects.filter(user=world.clerk).exists()
    assert AuditEvent.objects.filter(action="totp_remove", actor=world.clerk).exists()


def test_a_required_role_cannot_remove_its_authenticator(client, world):
    device_for(world.approver)
    client.force_login(world.approver)
    session = client.session
    session["civreg_second_factor"] = "totp"
    session.save()
    response = client.post(reverse("account_totp_remove"), follow=True)
    assert "cannot be removed" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.approver).exists()


def test_a_session_that_never_gave_the_code_is_sent_back_to_login(client, world):
    client.force_login(world.approver)  # e.g. opened before enforcement was switched on
    response = client.get("/work/queue/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert logged_in_as(client) is None


def test_the_roles_the_settings_accept_are_the_roles_of_the_project():
    from config import settings as project_settings
    from permissions.roles import Role

    assert set(Role.values) == project_settings._ROLES
