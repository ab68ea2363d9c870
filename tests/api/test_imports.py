"""An import job through the API: upload a CSV, check it, commit it, follow its progress."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from registry.models import CivilRecord
from tests.imports.test_import import NAMES, birth_rows, write_csv


def test_a_csv_is_uploaded_checked_and_committed(
    client, world, bearer, tmp_path, django_capture_on_commit_callbacks
):
    headers = bearer(world.clerk)
    path = write_csv(tmp_path, birth_rows())
    sent = client.post(
        "/api/v1/imports",
        {
            "file": SimpleUploadedFile("book.csv", path.read_bytes(), content_type="text/csv"),
            "unit": world.commune_a.pk,
            "event_type": "birth",
            "target_state": "entered",
        },
        **headers,
    )
    assert sent.status_code == 201, sent.content
    job = sent.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):  # the check runs as a background job
        checked = client.post(
            f"/api/v1/imports/{job}/check", json.dumps({}), content_type="application/json", **headers
        )
    assert checked.status_code == 202, checked.content
    progress = client.get(f"/api/v1/imports/{job}", **headers).json()
    assert progress["status"] == "checked", progress
    assert progress["rows"]["total"] == len(NAMES) and progress["rows"]["errors"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        committed = client.post(
            f"/api/v1/imports/{job}/commit", json.dumps({}), content_type="application/json", **headers
        )
    assert committed.status_code == 202, committed.content
    assert client.get(f"/api/v1/imports/{job}", **headers).json()["rows"]["committed"] == len(NAMES)
    assert CivilRecord.objects.filter(unit=world.commune_a, state="entered").count() == len(NAMES)


def test_an_import_for_another_communes_unit_is_refused(client, world, bearer, tmp_path):
    path = write_csv(tmp_path, birth_rows())
    sent = client.post(
        "/api/v1/imports",
        {
            "file": SimpleUploadedFile("book.csv", path.read_bytes()),
            "unit": world.commune_b.pk,
            "event_type": "birth",
        },
        **bearer(world.clerk),
    )
    assert sent.status_code == 403 and sent["Content-Type"] == "application/problem+json"
    assert not ImportJob.objects.exists()
