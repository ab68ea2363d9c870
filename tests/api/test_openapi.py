"""The OpenAPI document validates, the docs page ships its own assets, and every operation in the
document, called as an outsider and as a user of another commune, answers 401/403/404 (or an
empty list), never commune A's data."""

from __future__ import annotations

import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from openapi_spec_validator import validate

from api.v1 import api
from tests import scan_samples as samples


def test_the_openapi_document_validates(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    validate(answer.json())


def test_the_docs_page_loads_its_assets_from_the_app_not_a_cdn(client, world):
    client.force_login(world.clerk)
    page = client.get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources)


def _operations():
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method in methods:
            yield method.upper(), path


def _call(client, method, path, ids, headers, unit_code):
    """A well-formed call, so that scoping (not the validation of the body) answers."""
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
    if method == "GET":
        return client.get(url, **headers)
    if path.endswith("/scan"):
        upload = SimpleUploadedFile("1.pdf", samples.small_page_pdf(), content_type="application/pdf")
        return client.post(url, {"file": upload, "ranges": "1: 1-1"}, **headers)
    body = {
        "/api/v1/books": {"unit_code": unit_code, "event_type": "birth", "year": 2001, "book_no": "99"},
        "/api/v1/books/{book_id}": {"reason": "x", "note": "y"},
        "/api/v1/records/{record_id}/data": {"version": 1, "fields": {}},
        "/api/v1/records/{record_id}/transitions": {"event": "review", "version": 1},
    }[path]
    return client.generic(method, url, json.dumps(body), content_type="application/json", **headers)


def test_every_operation_refuses_an_outsider_and_another_communes_user(client, world, bearer):
    record = world.record("attached")
    ids = {"record_id": record.pk, "book_id": record.book_id, "job_id": 1}
    operations = list(_operations())
    assert len(operations) >= 10
    marker = world.commune_a.name
    for method, path in operations:
        anonymous = _call(client, method, path, ids, {}, world.commune_a.code)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        other = _call(client, method, path, ids, bearer(world.outsider), world.commune_a.code)
        assert other.status_code in (200, 403, 404), (method, path, other.status_code)
        if other.status_code == 200:  # a list: the other commune's own, empty here
            body = other.json()
            assert body["items"] == [] or all(
                i.get("id") not in (record.pk, record.book_id) for i in body["items"]
            )
        assert marker not in other.content.decode(), (method, path)
