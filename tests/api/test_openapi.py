"""The OpenAPI document validates, the docs page ships its own assets, and every operation in the
document, called as an outsider and as a user of another commune, answers 401/403/404 (or an
empty list), never commune A's data."""

from __future__ import annotations

import io
import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from openapi_spec_validator import validate

from api.v1 import api
from imports.services import import_job_create
from printing.services import extract_issue
from printing.tokens import issue_token
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
        query = {"name": ids["name"]} if path.endswith("/search") else {}
        return client.get(url, query, **headers)
    if path == "/api/v1/imports":
        upload = SimpleUploadedFile("book.csv", b"so,nksHoTen\n1,A\n", content_type="text/csv")
        return client.post(url, {"file": upload, "unit": ids["unit"], "event_type": "birth"}, **headers)
    if path.endswith("/scan"):
        upload = SimpleUploadedFile("1.pdf", samples.small_page_pdf(), content_type="application/pdf")
        return client.post(url, {"file": upload, "ranges": "1: 1-1"}, **headers)
    body = {
        "/api/v1/books": {"unit_code": unit_code, "event_type": "birth", "year": 2001, "book_no": "99"},
        "/api/v1/books/{book_id}": {"reason": "x", "note": "y"},
        "/api/v1/records/{record_id}/data": {"version": 1, "fields": {}},
        "/api/v1/records/{record_id}/transitions": {"event": "review", "version": 1},
        "/api/v1/books/{book_id}/slots": {"entry_numbers": "9", "reason": "x"},
        "/api/v1/books/{book_id}/slots/{record_id}/remove": {"reason": "x"},
        "/api/v1/imports/{job_id}/check": {},
        "/api/v1/imports/{job_id}/commit": {},
        "/api/v1/records/{record_id}/duplicate-decision": {
            "decision": "not_duplicate",
            "other": 1,
            "reason": "x",
        },
        "/api/v1/records/{record_id}/extracts": {
            "requester_name": "A",
            "requester_document": "CCCD 1",
            "relationship": "self",
            "signer_name": "B",
            "signer_title": "C",
        },
    }[path]
    return client.generic(method, url, json.dumps(body), content_type="application/json", **headers)


def test_every_operation_refuses_an_outsider_and_another_communes_user(client, world, bearer):
    record = world.record("approved")
    issue = extract_issue(
        record=record,
        actor=world.counter,
        requester_name="A",
        requester_document="CCCD 1",
        relationship="self",
        signer_name="B",
        signer_title="C",
    )
    job = import_job_create(
        actor=world.clerk,
        unit=world.commune_a,
        event_type="birth",
        upload=io.BytesIO(b"so,nksHoTen\n1,A\n"),
        original_name="book.csv",
    )
    ids = {
        "record_id": record.pk,
        "book_id": record.book_id,
        "job_id": job.pk,
        "unit": world.commune_a.pk,
        "issue_id": issue.pk,
        "code": issue_token(issue.pk),
        "name": record.parties.get(role="subject").full_name,
    }
    operations = list(_operations())
    assert len(operations) >= 10
    marker = world.commune_a.name
    outsider = bearer(world.outsider)
    for method, path in operations:
        anonymous = _call(client, method, path, ids, {}, world.commune_a.code)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        other = _call(client, method, path, ids, outsider, world.commune_a.code)
        assert other.status_code in (200, 403, 404), (method, path, other.status_code)
        body = other.json() if other.status_code == 200 else {}
        if "items" in body:  # a list: the other commune's own, empty here
            assert all(i.get("id") not in (record.pk, record.book_id) for i in body["items"])
        elif path == "/api/v1/extracts/verify/{code}":  # what the public page shows whoever holds the paper
            assert set(body) == {"genuine", "superseded", "serial", "issued_on"}
        elif path == "/api/v1/transfer":  # their own counts: nothing of commune A's
            assert set(body.values()) == {0}
        elif body:
            assert path == "/api/v1/progress" and body["unit"]["id"] == world.commune_b.pk
        assert marker not in other.content.decode(), (method, path)
