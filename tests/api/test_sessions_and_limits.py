"""The app's own session on the API (with its CSRF check), and uploads refused by their size
before the body is read."""

from __future__ import annotations

import json

from django.test import Client

from registry.models import RegisterBook


def test_the_apps_session_reads_the_api(client, world):
    client.force_login(world.clerk)
    answer = client.get("/api/v1/units")
    assert answer.status_code == 200 and answer.json()["items"][0]["code"] == world.commune_a.code


def test_a_session_post_without_the_csrf_token_is_refused(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.clerk)
    payload = {"unit_code": world.commune_a.code, "event_type": "birth", "year": 2001, "book_no": "5"}
    answer = browser.post("/api/v1/books", json.dumps(payload), content_type="application/json")
    assert answer.status_code == 403 and answer["Content-Type"] == "application/problem+json"
    assert not RegisterBook.objects.filter(book_no="5").exists()


def test_an_upload_declared_too_large_is_refused_before_it_is_read(client, world, bearer, settings):
    record = world.book(cases=1).records.get()
    answer = client.post(
        f"/api/v1/records/{record.pk}/scan",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 1024**3),
        **bearer(world.clerk),
    )
    assert answer.status_code == 413 and "Nothing was stored" in answer.json()["detail"]


def test_unknown_paths_and_methods_are_problems_too(client, world, bearer):
    headers = bearer(world.clerk)
    missing = client.get("/api/v1/nothing-here", **headers)
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    wrong = client.delete("/api/v1/units", **headers)
    assert wrong.status_code == 405 and wrong.json()["status"] == 405 and "GET" in wrong["Allow"]
