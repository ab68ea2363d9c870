"""Idle sessions end; mobilized staff's accounts lock themselves after their last day; a temporary
password must be changed before anything else."""

import datetime as dt
import time

from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from audit.models import AuditEvent

LOGIN = "/accounts/login/"


def test_an_expired_mobilized_account_is_refused_at_login(client, world, vietnamese):
    Account.objects.create(
        user=world.clerk, unit=world.commune_a, ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    response = client.post(LOGIN, {"username": world.clerk.username, "password": "pw"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "đã bị khoá" in page or "đã hết hạn" in page
    assert AuditEvent.objects.filter(action="login_failed", changes__reason="ended").exists()


def test_an_account_used_on_its_last_day_logs_in_and_is_locked_the_next_day(client, world):
    today = timezone.localdate()
    Account.objects.create(user=world.clerk, unit=world.commune_a, ends_on=today)
    assert client.post(LOGIN, {"username": world.clerk.username, "password": "pw"}).status_code == 302
    assert client.get("/work/queue/").status_code == 200
    session = client.session
    session["civreg_ends_on"] = (today - dt.timedelta(days=1)).isoformat()  # as if midnight had passed
    session.save()
    response = client.get("/work/queue/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="logout", changes__reason="ended").exists()


def test_an_idle_session_ends_and_a_busy_one_does_not(client, world, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.post(LOGIN, {"username": world.clerk.username, "password": "pw"})
    session = client.session
    session["civreg_seen"] = int(time.time()) - 29 * 60
    session.save()
    assert client.get("/work/queue/").status_code == 200  # 29 minutes: still in, and refreshed
    assert int(time.time()) - client.session["civreg_seen"] < 60
    session = client.session
    session["civreg_seen"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/work/queue/", follow=True)
    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "30 minutes without activity" in response.content.decode()
    assert AuditEvent.objects.filter(action="logout", changes__reason="idle", actor=world.clerk).exists()


def test_a_temporary_password_must_be_changed_before_anything_else(client, world):
    Account.objects.create(user=world.clerk, unit=world.commune_a, must_change_password=True)
    client.post(LOGIN, {"username": world.clerk.username, "password": "pw"})
    response = client.get("/work/queue/")
    assert response["Location"] == reverse("account_password")
    weak = {"old_password": "pw", "new_password1": "hotich2024", "new_password2": "hotich2024"}
    assert "too easy to guess" in client.post(reverse("account_password"), weak).content.decode()
    strong = {"old_password": "pw", "new_password1": "Xk9#pqLm2z-4", "new_password2": "Xk9#pqLm2z-4"}
    assert client.post(reverse("account_password"), strong).status_code == 302
    assert client.get("/work/queue/").status_code == 200
    assert not Account.objects.get(user=world.clerk).must_change_password
    assert AuditEvent.objects.filter(action="password_change", actor=world.clerk).exists()
