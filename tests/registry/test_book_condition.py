"""The condition checklist of a book: ticked when the book is collected, re-assessed on its correction
page or through the API, audited, and flagged where scanning starts when the book needs restoration."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from registry.book_condition import ConditionChecklist, checklist_values, parse_pages
from registry.models import BookAssessment, RegisterBook
from registry.services import book_register

pytestmark = pytest.mark.django_db


def _book_post(world, **changes):
    data = {
        "custodian": world.commune_a.pk,
        "event_type": "birth",
        "year": 1995,
        "book_no": "07",
        "declared_cases": 2,
        "declared_pages": 40,
        "condition": "damaged",
        "torn": "on",
        "missing_page_numbers": "3, 7-8",
        "needs_restoration": "on",
        "condition_note": "Bìa rời, gáy sổ bung",
    }
    data.update(changes)
    return data


def _edit_post(book, **changes):
    data = {
        "event_type": book.event_type,
        "year": book.year,
        "book_no": book.book_no,
        "declared_cases": book.declared_cases or "",
        "declared_pages": book.declared_pages or "",
        "condition": book.condition,
        "reason": "Đánh giá lại trước khi quét",
    }
    data.update(changes)
    return data


def _assess_rows(book):
    return list(AuditEvent.objects.filter(action="book_assess", object_id=str(book.pk)).order_by("seq"))


def test_the_checklist_ticked_at_collection_is_saved_audited_and_shown(client, world):
    # Given a commune clerk registering a torn book with three missing pages that needs restoration
    client.force_login(world.clerk)
    response = client.post(reverse("book_create"), _book_post(world))
    # Then the book is assessed as ticked, by the clerk, the count taken from the pages listed
    book = RegisterBook.objects.get(book_no="07")
    assert response.status_code == 302
    a = book.assessment
    assert (a.torn, a.faded, a.water_damaged, a.missing_pages, a.needs_restoration) == (
        True,
        False,
        False,
        True,
        True,
    )
    assert (a.missing_page_count, a.missing_page_numbers, a.note) == (3, "3, 7-8", "Bìa rời, gáy sổ bung")
    assert a.assessed_by == world.clerk
    # and the audit trail holds the checklist as assessed
    (row,) = _assess_rows(book)
    assert row.actor_id == world.clerk.pk
    assert row.changes["missing_page_count"] == 3 and row.changes["needs_restoration"] is True
    # and the book page shows the defects and warns before scanning
    page = client.get(reverse("book_detail", args=[book.pk])).content.decode()
    assert "This book needs restoration before scanning." in page
    assert "Torn" in page and "3, 7-8" in page


def test_a_reassessment_replaces_the_checklist_and_the_audit_keeps_old_to_new(client, world):
    client.force_login(world.clerk)
    client.post(reverse("book_create"), _book_post(world))
    book = RegisterBook.objects.get(book_no="07")
    # When the clerk's colleague re-assesses it after restoration: no longer torn, but faded
    client.force_login(world.clerk2)
    response = client.post(
        reverse("book_edit", args=[book.pk]),
        _edit_post(book, faded="on", missing_page_numbers="3, 7-8", condition_note="Đã tu bổ"),
    )
    assert response.status_code == 302
    a = BookAssessment.objects.get(book=book)
    assert (a.torn, a.faded, a.needs_restoration, a.missing_page_count) == (False, True, False, 3)
    assert a.assessed_by == world.clerk2
    _first, second = _assess_rows(book)
    assert second.actor_id == world.clerk2.pk
    assert second.changes == {
        "torn": [True, False],
        "faded": [False, True],
        "needs_restoration": [True, False],
        "note": ["Bìa rời, gáy sổ bung", "Đã tu bổ"],
    }
    # and the warning is gone from the book page
    assert "needs restoration" not in client.get(reverse("book_detail", args=[book.pk])).content.decode()
    # Saving the same checklist again writes no assessment row
    client.post(
        reverse("book_edit", args=[book.pk]),
        _edit_post(book, faded="on", missing_page_numbers="3, 7-8", condition_note="Đã tu bổ", book_no="07B"),
    )
    assert len(_assess_rows(book)) == 2


def test_a_book_registered_without_checklist_is_assessed_only_when_asked(client, world):
    book = world.book(cases=1)  # registered by code, no checklist: not assessed
    client.force_login(world.clerk)
    page = client.get(reverse("book_detail", args=[book.pk])).content.decode()
    assert "Not assessed yet" in page
    client.post(reverse("book_edit", args=[book.pk]), _edit_post(book, book_no="X1"))
    assert not BookAssessment.objects.filter(book=book).exists()
    client.post(reverse("book_edit", args=[book.pk]), _edit_post(book, book_no="X1", assessed="on"))
    a = BookAssessment.objects.get(book=book)
    assert not any((a.torn, a.faded, a.water_damaged, a.missing_pages, a.needs_restoration))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"missing_page_count": "-3"}, "missing_page_count", "whole number from 1 to 40"),
        ({"missing_page_count": "5"}, "missing_page_count", "3 pages are listed as missing"),
        ({"missing_page_numbers": "3, 41"}, "missing_page_numbers", "Page 41 is beyond the book's 40 pages"),
        ({"missing_page_numbers": "ba trang"}, "missing_page_numbers", "numbers and ranges"),
        ({"condition": "good"}, "condition", "not in good condition"),
        ({"missing_page_count": "abc"}, "missing_page_count", "Enter a whole number"),
    ],
)
def test_bad_checklist_input_is_a_form_error_and_nothing_is_saved(client, world, changes, field, message):
    client.force_login(world.clerk)
    response = client.post(reverse("book_create"), _book_post(world, **changes))
    assert response.status_code == 200
    assert message in " ".join(str(e) for e in response.context["form"].errors[field])
    assert "Bìa rời, gáy sổ bung" in response.content.decode()  # what was typed is kept
    assert not RegisterBook.objects.filter(book_no="07").exists()


def test_a_bad_reassessment_is_a_form_error_and_the_assessment_stays(client, world):
    client.force_login(world.clerk)
    client.post(reverse("book_create"), _book_post(world))
    book = RegisterBook.objects.get(book_no="07")
    response = client.post(
        reverse("book_edit", args=[book.pk]), _edit_post(book, torn="on", missing_page_count="-1")
    )
    assert response.status_code == 200
    assert "whole number from 1" in str(response.context["form"].errors["missing_page_count"])
    assert BookAssessment.objects.get(book=book).missing_page_count == 3


def test_pages_and_counts_are_read_as_the_assessor_writes_them():
    assert parse_pages("12, 15-18; 20–21") == [12, 15, 16, 17, 18, 20, 21]
    assert parse_pages("18-15") is None
    values, errors = checklist_values(ConditionChecklist(missing_page_count="２"))
    assert errors == {} and values["missing_pages"] is True and values["missing_page_count"] == 2


def test_the_api_takes_the_checklist_and_refuses_bad_values_by_field(client, world):
    client.force_login(world.clerk)
    payload = {
        "unit_code": world.commune_a.code,
        "event_type": "death",
        "year": 1990,
        "book_no": "A1",
        "declared_cases": 1,
        "condition": "worn",
        "water_damaged": True,
        "missing_page_count": 2,
        "condition_note": "Ẩm mốc góc dưới",
    }

    def post(data):
        return client.post(reverse("api_book_create"), json.dumps(data), content_type="application/json")

    bad = post({**payload, "water_damaged": "yes", "missing_page_count": -2})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"water_damaged", "missing_page_count"}
    negative = post({**payload, "missing_page_count": -2})
    assert negative.status_code == 400 and "missing_page_count" in negative.json()["errors"]
    assert post(payload).status_code == 201
    a = RegisterBook.objects.get(book_no="A1").assessment
    assert (a.water_damaged, a.missing_pages, a.missing_page_count, a.note) == (
        True,
        True,
        2,
        "Ẩm mốc góc dưới",
    )
    assert len(_assess_rows(a.book)) == 1


def test_where_scanning_starts_a_book_to_restore_is_flagged_but_not_blocked(client, world):
    book = book_register(
        custodian=world.commune_a,
        event_type="birth",
        year=2001,
        book_no="R1",
        declared_cases=1,
        condition="damaged",
        actor=world.clerk,
        checklist=ConditionChecklist(water_damaged=True, needs_restoration=True),
    )
    record = book.records.get()
    client.force_login(world.clerk)
    warning = "This book needs restoration before scanning."
    assert warning in client.get(reverse("book_scans", args=[book.pk])).content.decode()
    assert warning in client.get(f"{reverse('scan_batch_new')}?book={book.pk}").content.decode()
    record_page = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert warning in record_page
    assert reverse("scan_upload", args=[record.pk]) in record_page  # the upload stays open


def test_another_communes_book_cannot_be_reassessed(client, world):
    book = world.book(world.commune_b, cases=1)
    client.force_login(world.clerk)
    response = client.post(
        reverse("book_edit", args=[book.pk]), _edit_post(book, torn="on", condition="worn")
    )
    assert response.status_code == 404
    assert not BookAssessment.objects.filter(book=book).exists()
