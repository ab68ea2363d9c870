"""Bad input anywhere answers 400 with a message (or the form again with its errors), never a 500."""

import json

import pytest
from django.urls import reverse

from registry.models import RegisterBook


@pytest.fixture
def clerk_client(client, world):
    client.force_login(world.clerk)
    return client


@pytest.mark.parametrize(
    "page", ["progress_dashboard", "progress_inventory", "progress_statistics", "report_list"]
)
@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-1", "1\x00"])
def test_a_malformed_unit_parameter_answers_400_with_a_message(client, world, page, value):
    client.force_login(world.admin)
    response = client.get(reverse(page), {"unit": value})
    assert response.status_code == 400
    assert "unit" in response.content.decode()
    assert 'href="/progress/' in response.content.decode() or "<nav" in response.content.decode()


def test_the_400_page_is_the_projects_own(clerk_client):
    response = clerk_client.get(reverse("progress_dashboard"), {"unit": "abc"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "viewflow" not in page.lower()
    assert "“unit” must be a whole number" in page


@pytest.mark.parametrize("raw", ["a%00b", "%ED%A0%80", "%FF"], ids=["nul", "surrogate-bytes", "invalid-utf8"])
def test_a_nul_or_invalid_bytes_in_any_get_or_post_value_answer_400_naming_the_character(clerk_client, raw):
    response = clerk_client.get(reverse("record_search") + f"?name={raw}")
    assert response.status_code == 400
    assert "U+" in response.content.decode()
    response = clerk_client.post(
        reverse("book_create"), f"book_no={raw}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "U+" in response.content.decode()


def test_a_book_form_with_an_overlong_page_total_is_shown_again_with_the_error(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("book_create"),
        {
            "custodian": world.commune_a.pk,
            "event_type": "birth",
            "year": 2001,
            "book_no": "9",
            "declared_cases": 3,
            "declared_pages": "99999999999999999999",
            "condition": "good",
        },
    )
    assert response.status_code == 200
    assert "declared_pages" in response.context["form"].errors
    assert not RegisterBook.objects.exists()


def api_post(client, payload):
    return client.post(reverse("api_book_create"), json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"book_no": "1" * 10000}, "book_no"),
        ({"book_no": "1\x002"}, "book_no"),
        ({"book_no": "1\ud8002"}, "book_no"),
        ({"book_no": 7}, None),  # a number is read as its text: accepted
        ({"declared_pages": "abc"}, "declared_pages"),
        ({"declared_pages": -5}, "declared_pages"),
        ({"declared_pages": 99999999999999999999}, "declared_pages"),
        ({"declared_cases": -1}, "declared_cases"),
        ({"declared_cases": True}, "declared_cases"),
        ({"year": 99999999999999999999}, "year"),
        ({"unit_code": "\x00"}, "unit_code"),
        ({"condition": "x" * 1000}, "condition"),
        ({"note": "\x00"}, "note"),
    ],
)
def test_the_book_api_refuses_bad_values_by_field(client, world, change, field):
    client.force_login(world.admin)
    payload = {"unit_code": world.commune_a.code, "event_type": "birth", "year": 2001, "book_no": "1"}
    response = api_post(client, {**payload, **change})
    if field is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not RegisterBook.objects.exists()


def test_posted_record_ids_that_are_not_numbers_answer_400(client, world):
    record = world.record("scanned")
    client.force_login(world.approver)
    for url, data in [
        (reverse("record_action", args=[record.pk, "mark_duplicate"]), {"original": "abc", "reason": "x"}),
        (reverse("record_duplicates", args=[record.pk]), {"other": "abc", "decision": "duplicate"}),
        (reverse("record_duplicates", args=[record.pk]), {"other": "9" * 30, "decision": "duplicate"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert "whole number" in response.content.decode()
