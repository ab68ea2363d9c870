"""Records through the API: cursor paging, data save through the entry form's checks, transitions
through the workflow services (409 with the current version when stale), problem details in the
caller's language, and idempotent creation."""

from __future__ import annotations

import json

from forms.entry import RecordForm
from registry.models import CivilRecord, RegisterBook
from tests.factories import birth_input

JSON = "application/json"


def post(client, path, payload, headers):
    return client.post(path, json.dumps(payload), content_type=JSON, **headers)


def fields_of(data) -> dict:
    return {k: v for k, v in RecordForm.initial_from(data).items() if v not in (None, "")}


def test_records_come_in_pages_by_cursor(client, world, bearer):
    book = world.book(cases=5)
    headers = bearer(world.clerk)
    first = client.get(f"/api/v1/records?book={book.pk}&limit=2", **headers).json()
    second = client.get(f"/api/v1/records?book={book.pk}&limit=2&after={first['next']}", **headers).json()
    third = client.get(f"/api/v1/records?book={book.pk}&limit=2&after={second['next']}", **headers).json()
    numbers = [r["entry_no"] for page in (first, second, third) for r in page["items"]]
    assert numbers == [1, 2, 3, 4, 5] and third["next"] is None


def test_a_bad_cursor_is_a_problem_not_a_crash(client, world, bearer):
    answer = client.get("/api/v1/records?after=%%%", **bearer(world.clerk))
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"


def test_data_is_saved_and_entered_through_the_entry_forms_checks(client, world, bearer):
    record = world.record("scanned")
    headers = bearer(world.clerk)
    answer = post(
        client,
        f"/api/v1/records/{record.pk}/data",
        {"version": record.version, "fields": fields_of(birth_input()), "enter": True},
        headers,
    )
    assert answer.status_code == 200, answer.content
    record.refresh_from_db()
    assert record.state == "entered"
    assert answer.json()["parties"][0]["full_name"]


def test_refused_data_names_the_fields_with_the_forms_messages(client, world, bearer):
    record = world.record("scanned")
    fields = fields_of(birth_input())
    fields["subject__birth_date"] = "31/02/2020"
    answer = post(
        client,
        f"/api/v1/records/{record.pk}/data",
        {"version": record.version, "fields": fields},
        bearer(world.clerk),
    )
    problem = answer.json()
    assert answer.status_code == 422 and answer["Content-Type"] == "application/problem+json"
    assert "subject__birth_date" in problem["errors"]
    assert CivilRecord.objects.get(pk=record.pk).version == record.version


def test_problems_speak_vietnamese_unless_english_is_asked(client, world, bearer):
    answer = client.get("/api/v1/records/999999999", HTTP_ACCEPT_LANGUAGE="vi", **bearer(world.clerk))
    assert answer.status_code == 404 and answer["Content-Language"] == "vi"
    assert answer.json()["detail"].startswith("Không có đối tượng này")
    english = client.get("/api/v1/records/999999999", HTTP_ACCEPT_LANGUAGE="en", **bearer(world.clerk))
    assert english.json()["detail"] != answer.json()["detail"]
    assert "outside the units of your roles" in english.json()["detail"]


def test_a_transition_moves_the_record_through_the_service(client, world, bearer):
    record = world.record("attached")
    answer = post(
        client,
        f"/api/v1/records/{record.pk}/transitions",
        {"event": "review", "version": record.version},
        bearer(world.reviewer),
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "reviewed" and answer.json()["version"] == record.version + 1


def test_a_stale_version_gets_409_with_the_current_version(client, world, bearer):
    record = world.record("attached")
    answer = post(
        client,
        f"/api/v1/records/{record.pk}/transitions",
        {"event": "review", "version": record.version - 1},
        bearer(world.reviewer),
    )
    problem = answer.json()
    assert answer.status_code == 409
    assert problem["current_version"] == record.version and problem["state"] == "attached"
    assert CivilRecord.objects.get(pk=record.pk).state == "attached"


def test_four_eyes_hold_through_the_api(client, world, bearer):
    """Whoever entered a record may not review it: the service refuses, the API says why."""
    record = world.record("attached")
    answer = post(
        client,
        f"/api/v1/records/{record.pk}/transitions",
        {"event": "review", "version": record.version},
        bearer(world.clerk),
    )
    assert answer.status_code in (403, 409)
    assert CivilRecord.objects.get(pk=record.pk).state == "attached"


def test_a_repeated_post_with_the_same_idempotency_key_creates_nothing_new(client, world, bearer):
    headers = {**bearer(world.clerk), "HTTP_IDEMPOTENCY_KEY": "book-2001-7"}
    payload = {
        "unit_code": world.commune_a.code,
        "event_type": "birth",
        "year": 2001,
        "book_no": "7",
        "declared_cases": 4,
    }
    first = post(client, "/api/v1/books", payload, headers)
    again = post(client, "/api/v1/books", payload, headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert RegisterBook.objects.filter(book_no="7", year=2001).count() == 1
    other = post(client, "/api/v1/books", {**payload, "book_no": "8"}, headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["errors"]
    assert not RegisterBook.objects.filter(book_no="8").exists()


def test_a_book_is_corrected_with_a_reason(client, world, bearer):
    book = world.book(cases=2)
    answer = client.patch(
        f"/api/v1/books/{book.pk}",
        json.dumps({"note": "bìa rách", "reason": "checked the cover"}),
        content_type=JSON,
        **bearer(world.clerk),
    )
    assert answer.status_code == 200, answer.content
    assert RegisterBook.objects.get(pk=book.pk).note == "bìa rách"
    missing = client.patch(
        f"/api/v1/books/{book.pk}",
        json.dumps({"note": "x", "reason": ""}),
        content_type=JSON,
        **bearer(world.clerk),
    )
    assert missing.status_code == 422 and "reason" in missing.json()["errors"]


def test_slots_are_added_and_an_empty_one_removed_with_a_reason(client, world, bearer):
    book = world.book(cases=2)
    headers = bearer(world.clerk)
    added = post(
        client, f"/api/v1/books/{book.pk}/slots", {"entry_numbers": "3-4, 2a", "reason": "đếm lại"}, headers
    )
    assert added.status_code == 201, added.content
    assert sorted(r["entry_label"] for r in added.json()["created"]) == ["2a", "3", "4"]
    slot = added.json()["created"][0]["id"]
    refused = post(client, f"/api/v1/books/{book.pk}/slots/{slot}/remove", {"reason": " "}, headers)
    assert refused.status_code == 422 and "reason" in refused.json()["errors"]
    removed = post(client, f"/api/v1/books/{book.pk}/slots/{slot}/remove", {"reason": "ghi nhầm"}, headers)
    assert removed.status_code == 200 and removed.json()["slots"] == 4
