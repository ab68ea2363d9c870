"""Personal API tokens: created on the user's page (shown once, hashed at rest), used, revoked,
expired; every step in the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.tokens import api_token_create
from audit.models import AuditEvent


def test_a_user_creates_a_token_on_their_page_sees_it_once_and_uses_it(client, world):
    client.force_login(world.clerk)
    page = client.post(reverse("api_tokens"), {"name": "scanner station 2", "expires_on": ""})
    token = ApiToken.objects.get(user=world.clerk)
    secret = page.context["created"].secret
    assert secret in page.content.decode()
    # At rest only the hash: the secret appears nowhere in the row.
    assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert AuditEvent.objects.filter(action="api_token_create", actor=world.clerk).exists()
    # The list shows it by name and prefix, never the secret again.
    listing = client.get(reverse("api_tokens")).content.decode()
    assert "scanner station 2" in listing and secret not in listing

    client.logout()
    answer = client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.status_code == 200
    assert [u["code"] for u in answer.json()["items"]] == [world.commune_a.code]


def test_a_revoked_token_is_refused_and_the_refusal_logged(client, world):
    new = api_token_create(user=world.clerk, name="script")
    client.force_login(world.clerk)
    client.post(reverse("api_token_revoke", args=[new.token.pk]))
    client.logout()
    answer = client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {new.secret}")
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == 401
    assert AuditEvent.objects.filter(action="api_token_revoke").exists()
    assert AuditEvent.objects.filter(action="api_token_refused", changes__reason="revoked").exists()


def test_another_users_token_cannot_be_revoked(client, world):
    new = api_token_create(user=world.clerk, name="script")
    client.force_login(world.outsider)
    client.post(reverse("api_token_revoke", args=[new.token.pk]))
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is None


def test_an_expired_token_is_refused(client, world):
    new = api_token_create(
        user=world.clerk, name="script", expires_on=timezone.localdate() + dt.timedelta(days=1)
    )
    ApiToken.objects.filter(pk=new.token.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {new.secret}").status_code == 401


def test_a_token_past_its_date_cannot_be_created(client, world):
    client.force_login(world.clerk)
    page = client.post(reverse("api_tokens"), {"name": "x", "expires_on": "01/01/2020"})
    assert "must be after today" in page.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_carries_the_users_roles_no_more(client, world, bearer):
    """A token of commune A's clerk sees commune A's books, not commune B's."""
    mine, theirs = world.book(world.commune_a), world.book(world.commune_b)
    answer = client.get("/api/v1/books", **bearer(world.clerk)).json()
    ids = [b["id"] for b in answer["items"]]
    assert mine.pk in ids and theirs.pk not in ids


def test_too_many_calls_get_429_with_retry_after(client, world, bearer, settings):
    settings.API_RATE_LIMIT = "3/m"
    headers = bearer(world.clerk)
    statuses = [client.get("/api/v1/units", **headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = client.get("/api/v1/units", **headers)
    assert last["Retry-After"] and last.json()["status"] == 429
