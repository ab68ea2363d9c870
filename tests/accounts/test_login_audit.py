"""Finding 9: no audit rows for logins. Login, logout, failed login and lockout are now in the trail, with
the address and the browser, in the stream of the account's unit (its auditors read them)."""

import pytest

from audit.models import AuditEvent

IP = "198.51.100.23"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chromium/140"


def post_login(client, username, password):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=AGENT,
    )


def rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_login_and_logout_rows_carry_address_and_browser(client, world):
    assert post_login(client, world.clerk.username, "pw").status_code == 302
    client.post("/accounts/logout/", REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT)
    (login,) = rows("login")
    (logout,) = rows("logout")
    for row in (login, logout):
        assert row.actor == world.clerk
        assert row.ip == IP
        assert row.changes["ip"] == IP
        assert row.changes["user_agent"] == AGENT
        assert row.unit_id_value == world.commune_a.pk  # the clerk's unit: its auditors see it


def test_failed_logins_and_the_lockout_are_written_with_the_address(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        post_login(client, world.clerk.username, "wrong")
    failed = rows("login_failed")
    assert [r.changes["failures"] for r in failed] == [1, 2, 3]
    assert all(r.ip == IP and r.changes["user_agent"] == AGENT and r.actor is None for r in failed)
    assert all(r.changes["username"] == "clerk_a" for r in failed)
    (lockout,) = rows("lockout")
    assert lockout.ip == IP and lockout.changes["user_agent"] == AGENT
    assert lockout.object_id == str(world.clerk.pk)
    # a further try while locked is one more failed row, not a second lockout
    post_login(client, world.clerk.username, "pw")
    assert len(rows("lockout")) == 1
    assert rows("login_failed")[-1].changes["locked"] is True


def test_a_failed_login_under_an_unknown_name_is_written_too(client, db):
    post_login(client, "no.such.user", "whatever")
    (row,) = rows("login_failed")
    assert row.changes["username"] == "no.such.user" and row.ip == IP and row.unit_id_value is None


@pytest.mark.parametrize("who", ["auditor"])
def test_the_auditor_of_the_province_reads_the_login_rows(client, world, who):
    post_login(client, world.clerk.username, "pw")
    client.force_login(getattr(world, who))
    page = client.get("/audit/?action=login").content.decode()
    assert "Logged in" in page and IP in page
