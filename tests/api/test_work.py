"""Search, the duplicates queue, extracts, progress and transfer status through the API."""

from __future__ import annotations

import json

from audit.models import AuditEvent
from printing.models import ExtractIssue
from registry.models import DuplicatePair
from tests.factories import birth_input

JSON = "application/json"
HOA = {
    "name": "Nguyễn Thị Hoa",
    "birth": "02/03/2019",
    "reg": "10/03/2019",
    "mother": "Trần Thị Bình",
    "sex": 2,
}


def test_search_finds_by_name_and_is_in_the_access_log(client, world, bearer):
    record = world.record("entered", data=birth_input(name="Phạm Văn Khang"))
    answer = client.get("/api/v1/search", {"name": "Pham Van Khang"}, **bearer(world.clerk))
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json()["items"]] == [record.pk]
    assert AuditEvent.objects.filter(action="search", actor=world.clerk).exists()
    empty = client.get("/api/v1/search", **bearer(world.clerk))
    assert empty.status_code == 422 and "criterion" in empty.json()["detail"]


def test_a_supervisor_reads_the_queue_and_decides_not_a_duplicate(client, world, bearer):
    original = world.record("approved", data=birth_input(**HOA))
    suspect = world.record(
        "reviewed",
        data=birth_input(
            name="Nguyen Thi Hoa", birth="02/03/2019", reg="10/05/2020", mother="Tran Thi Binh", sex=2
        ),
    )
    headers = bearer(world.approver)
    queue = client.get("/api/v1/duplicates", **headers).json()["items"]
    assert [set(p["records"]) for p in queue] == [{original.pk, suspect.pk}]
    refused = client.post(
        f"/api/v1/records/{suspect.pk}/duplicate-decision",
        json.dumps({"decision": "not_duplicate", "other": original.pk, "reason": " "}),
        content_type=JSON,
        **headers,
    )
    assert refused.status_code == 422 and "reason" in refused.json()["detail"].lower()
    decided = client.post(
        f"/api/v1/records/{suspect.pk}/duplicate-decision",
        json.dumps({"decision": "not_duplicate", "other": original.pk, "reason": "Hai trẻ sinh đôi"}),
        content_type=JSON,
        **headers,
    )
    assert decided.status_code == 200, decided.content
    assert DuplicatePair.objects.get().status == "not_duplicate"
    assert client.get("/api/v1/duplicates", **headers).json()["items"] == []


def test_an_extract_is_issued_once_per_idempotency_key_downloaded_and_verified(client, world, bearer):
    record = world.record("approved")
    headers = {**bearer(world.counter), "HTTP_IDEMPOTENCY_KEY": "counter-7-0001"}
    body = json.dumps(
        {
            "requester_name": "Nguyễn Văn An",
            "requester_document": "CCCD 001",
            "relationship": "bản thân",
            "signer_name": "Lê Văn Cường",
            "signer_title": "Chủ tịch",
        }
    )
    first = client.post(f"/api/v1/records/{record.pk}/extracts", body, content_type=JSON, **headers)
    again = client.post(f"/api/v1/records/{record.pk}/extracts", body, content_type=JSON, **headers)
    assert first.status_code == again.status_code == 201, first.content
    assert first.json()["serial"] == again.json()["serial"]
    assert ExtractIssue.objects.filter(record=record).count() == 1
    issue = first.json()
    pdf = client.get(f"/api/v1/extracts/{issue['id']}/pdf", **headers)
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    verified = client.get(f"/api/v1/extracts/verify/{issue['verification_code']}", **headers).json()
    assert verified == {
        "genuine": True,
        "superseded": False,
        "serial": issue["serial"],
        "issued_on": verified["issued_on"],
    }
    forged = client.get(f"/api/v1/extracts/verify/{issue['verification_code']}x", **headers)
    assert forged.status_code == 404


def test_an_extract_of_a_record_not_approved_is_refused_with_the_reason(client, world, bearer):
    record = world.record("entered")
    answer = client.post(
        f"/api/v1/records/{record.pk}/extracts",
        json.dumps(
            {
                "requester_name": "A",
                "requester_document": "B",
                "relationship": "C",
                "signer_name": "D",
                "signer_title": "E",
            }
        ),
        content_type=JSON,
        **bearer(world.counter),
    )
    assert answer.status_code == 409 and answer.json()["detail"]
    missing = client.post(
        f"/api/v1/records/{record.pk}/extracts",
        json.dumps(
            {"requester_name": "", "requester_document": "B", "signer_name": "D", "signer_title": "E"}
        ),
        content_type=JSON,
        **bearer(world.counter),
    )
    assert missing.status_code == 422 and "requester_name" in missing.json()["errors"]


def test_progress_and_transfer_counters(client, world, bearer):
    world.record("approved")
    world.book(cases=2)
    headers = bearer(world.clerk)
    progress = client.get("/api/v1/progress", **headers).json()
    assert progress["unit"]["id"] == world.commune_a.pk
    assert progress["counts"]["approved"] == 1 and progress["counts"]["collected"] == 2
    assert client.get(f"/api/v1/progress?unit={world.commune_b.pk}", **headers).status_code == 404
    assert client.get("/api/v1/transfer", **headers).json()["waiting"] == 1
