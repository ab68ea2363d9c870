"""Books as they really are: corrected after registration, slots added or removed with a reason,
years that run across, squeezed-in numbers, cases crossed out by the registrar."""

import dataclasses

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from registry.models import CivilRecord, RecordState
from registry.services import book_edit, book_register, book_slot_remove, book_slots_add
from reports.models import BookStateCount
from scans.intake import scan_store
from tests.factories import birth_input, distinct_birth_input
from transfer.exports import ministry_records
from transfer.models import TransferItem
from workflows import services as wf
from workflows.models import RecordTask

pytestmark = pytest.mark.django_db


def _edit_values(book, **changes):
    values = {
        "book_no": book.book_no,
        "year": book.year,
        "year_to": book.year_to,
        "event_type": book.event_type,
        "authority_as_written": book.authority_as_written,
        "authority_unit": book.authority_unit,
        "declared_cases": book.declared_cases,
        "declared_pages": book.declared_pages,
        "condition": book.condition,
        "note": book.note,
        "reason": "Đối chiếu lại bìa sổ",
    }
    values.update(changes)
    return values


def _scan(world, record):
    from config.demo import demo_scan_pdf

    scan_store(record=record, actor=world.clerk, content=demo_scan_pdf(title="T", lines=["1"]))
    return wf.record_scan(record=record, actor=world.clerk)


# --- correcting a book ------------------------------------------------------------------------


def test_a_correction_is_audited_old_to_new_and_the_registering_unit_sets_competence(world):
    book = world.book(cases=3, year=1998)
    book_edit(
        book=book,
        actor=world.clerk,
        **_edit_values(
            book,
            book_no="01A",
            declared_cases=4,
            declared_pages=60,
            year_to=1999,
            authority_unit=world.district1,
        ),
    )
    book.refresh_from_db()
    assert (book.book_no, book.declared_cases, book.years_label) == ("01A", 4, "1998–1999")
    row = AuditEvent.objects.filter(action="book_edit").get()
    assert row.changes["book_no"] == [book_no_before(row), "01A"]
    assert row.changes["declared_cases"] == [3, 4]
    assert row.changes["year_to"] == [1998, 1999]
    assert row.changes["authority_unit"] == [world.commune_a.pk, world.district1.pk]
    assert row.reason == "Đối chiếu lại bìa sổ"
    # The district wrote the book: its cases are approved at district level from now on.
    assert set(book.records.values_list("competence", flat=True)) == {"district"}


def book_no_before(row):
    return row.changes["book_no"][0]


def test_a_correction_without_a_reason_or_by_an_outsider_is_refused(world):
    book = world.book(cases=1)
    with pytest.raises(ValidationError) as exc:
        book_edit(book=book, actor=world.clerk, **_edit_values(book, declared_cases=2, reason=" "))
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        book_edit(book=book, actor=world.outsider, **_edit_values(book, declared_cases=2))
    assert not AuditEvent.objects.filter(action="book_edit").exists()


def test_a_change_that_would_orphan_entered_cases_is_refused_with_the_reason(world):
    book = world.book(cases=2, year=2020)
    world.walk(book.records.order_by("entry_no").first(), "entered")
    with pytest.raises(ValidationError) as exc:
        book_edit(book=book, actor=world.clerk, **_edit_values(book, event_type="death"))
    assert "already hold data" in exc.value.message_dict["event_type"][0]
    with pytest.raises(ValidationError) as exc:
        book_edit(book=book, actor=world.clerk, **_edit_values(book, year=2019, year_to=None))
    assert "registered outside 2019–2019" in exc.value.message_dict["year"][0]
    book.refresh_from_db()
    assert (book.event_type, book.year) == ("birth", 2020)


def test_the_event_type_of_a_book_with_no_data_yet_follows_to_its_slots_and_work_items(world):
    book = world.book(cases=2)
    book_edit(book=book, actor=world.clerk, **_edit_values(book, event_type="death", year=2019, year_to=2020))
    assert set(book.records.values_list("event_type", "reg_year")) == {("death", 2019)}
    assert set(
        RecordTask.objects.filter(book_id=book.pk).exclude(stage="").values_list("event_type", "book_year")
    ) == {("death", 2019)}
    assert set(BookStateCount.objects.filter(book=book).values_list("event_type", "year")) == {
        ("death", 2019)
    }


def test_the_book_is_corrected_on_its_page(client, world):
    book = world.book(cases=2, year=1998)
    client.force_login(world.clerk)
    page = client.get(reverse("book_edit", args=[book.pk]))
    assert page.status_code == 200 and "Registering unit" in page.content.decode()
    response = client.post(
        reverse("book_edit", args=[book.pk]),
        {
            "event_type": "birth",
            "year": "1998",
            "year_to": "1999",
            "book_no": book.book_no,
            "authority_as_written": "UBND xã An",
            "authority_unit": str(world.district1.pk),
            "declared_cases": "",
            "declared_pages": "",
            "condition": "worn",
            "note": "",
            "reason": "Sổ ghi cả năm 1999",
        },
    )
    assert response.status_code == 302
    book.refresh_from_db()
    assert (book.year_to, book.declared_cases, book.condition, book.authority_unit) == (
        1999,
        None,
        "worn",
        world.district1,
    )
    detail = client.get(reverse("book_detail", args=[book.pk])).content.decode()
    assert "1998–1999" in detail and "declares no closing total" in detail
    refused = client.post(reverse("book_edit", args=[book.pk]), {"year": "1998", "reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()


# --- slots --------------------------------------------------------------------------------------


def test_slots_are_added_with_a_reason_and_get_their_work_items(world):
    book = world.book(cases=3)
    created = book_slots_add(
        book=book, actor=world.clerk, entry_numbers=["4-5, 2a"], reason="Sổ ghi 5 trường hợp"
    )
    assert [r.entry_label for r in created] == ["4", "5", "2a"]
    assert RecordTask.objects.filter(record__in=created, stage="scan", status="NEW").count() == 3
    assert BookStateCount.objects.get(book=book, state="collected").n == 6
    row = AuditEvent.objects.filter(action="book_slots_add").get()
    assert row.changes["entry_numbers"] == ["4", "5", "2a"] and row.reason == "Sổ ghi 5 trường hợp"
    with pytest.raises(ValidationError) as exc:
        book_slots_add(book=book, actor=world.clerk, entry_numbers=["6"], reason="")
    assert "reason" in exc.value.message_dict


def test_a_suffix_is_unique_in_its_book_however_it_is_typed(world):
    book = world.book(cases=2)
    book_slots_add(book=book, actor=world.clerk, entry_numbers=["1a"], reason="Ghi chen")
    with pytest.raises(ValidationError) as exc:
        book_slots_add(book=book, actor=world.clerk, entry_numbers=["1 A"], reason="Ghi chen")
    assert "already has cases no. 1a" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        book_slots_add(book=book, actor=world.clerk, entry_numbers=["2"], reason="Ghi chen")


def test_squeezed_in_cases_list_in_book_order_and_are_found_by_search(client, world):
    book = world.book(cases=16)
    book_slots_add(book=book, actor=world.clerk, entry_numbers=["15 bis", "15A"], reason="Ghi chen")
    client.force_login(world.clerk)
    page = client.get(reverse("record_list"), {"book": book.pk, "page": 1}).content.decode()
    labels = [label for label in ("<a href", ">15<", ">15a<", ">15 bis<", ">16<") if label in page]
    assert labels == ["<a href", ">15<", ">15a<", ">15 bis<", ">16<"]
    assert page.index(">15<") < page.index(">15a<") < page.index(">15 bis<") < page.index(">16<")
    found = client.get(reverse("record_search_json"), {"book_no": book.book_no, "entry_no": "15 A"}).json()
    assert [r["entry_label"] for r in found["results"]] == ["15a"]
    under_15 = client.get(reverse("record_search_json"), {"book_no": book.book_no, "entry_no": "15"}).json()
    assert [r["entry_label"] for r in under_15["results"]] == ["15", "15a", "15 bis"]


def test_an_empty_slot_is_removed_with_a_reason_and_leaves_the_counts(world):
    book = world.book(cases=3)
    slot = book.records.get(entry_no=3)
    book_slot_remove(book=book, actor=world.clerk, record=slot, reason="Sổ chỉ có 2 trường hợp")
    assert not CivilRecord.objects.filter(pk=slot.pk).exists()
    assert BookStateCount.objects.get(book=book, state="collected").n == 2
    row = AuditEvent.objects.filter(action="book_slots_remove").get()
    assert row.changes["entry_number"] == "3" and row.reason == "Sổ chỉ có 2 trường hợp"


def test_a_slot_holding_a_scan_or_data_is_never_removed(client, world):
    book = world.book(cases=2)
    scanned = _scan(world, book.records.get(entry_no=1))
    with pytest.raises(ValidationError) as exc:
        book_slot_remove(book=book, actor=world.clerk, record=scanned, reason="Nhầm")
    assert "holds data or a scan" in exc.value.messages[0]
    client.force_login(world.clerk)
    response = client.post(
        reverse("book_slot_remove", args=[book.pk]), {"record": scanned.pk, "reason": "Nhầm"}, follow=True
    )
    assert "holds data or a scan" in response.content.decode()
    assert CivilRecord.objects.filter(pk=scanned.pk).exists()
    with pytest.raises(ValidationError):
        book_slot_remove(book=book, actor=world.clerk, record=book.records.get(entry_no=2), reason="")


def test_slots_are_added_and_removed_on_the_book_page(client, world):
    book = world.book(cases=2)
    client.force_login(world.clerk)
    client.post(
        reverse("book_slots_add", args=[book.pk]), {"entry_numbers": "3, 1a", "reason": "Tổng số sai"}
    )
    assert sorted(book.records.values_list("entry_no", "entry_suffix")) == [
        (1, ""),
        (1, "a"),
        (2, ""),
        (3, ""),
    ]
    slot = book.records.get(entry_no=3)
    client.post(reverse("book_slot_remove", args=[book.pk]), {"record": slot.pk, "reason": "Thừa"})
    assert not book.records.filter(entry_no=3).exists()
    refused = client.post(
        reverse("book_slots_add", args=[book.pk]),
        {"entry_numbers": "x1", "reason": "Tổng số sai"},
        follow=True,
    )
    assert "as written in the book" in refused.content.decode()


# --- years, crossed-out cases -------------------------------------------------------------------


def test_a_registration_in_the_second_year_of_a_two_year_book_is_saved(world):
    book = book_register(
        custodian=world.commune_a,
        event_type="birth",
        year=1998,
        year_to=1999,
        book_no="7",
        declared_cases=1,
        actor=world.clerk,
    )
    record = _scan(world, book.records.get())
    data = birth_input(birth="28/12/1998", reg="05/01/1999")
    data.parties["mother"]["birth_date"], data.parties["father"]["birth_date"] = "1970", "1968"
    record = wf.record_enter(record=record, actor=world.clerk, data=data)
    assert (record.state, str(record.registration_date)) == ("entered", "05/01/1999")


def test_a_crossed_out_case_is_kept_counted_and_never_transferred(client, world):
    book = world.book(cases=3)
    first, second, third = book.records.order_by("entry_no")
    world.walk(first, "approved", data=distinct_birth_input(1))
    second = wf.record_enter(record=_scan(world, second), actor=world.clerk, data=distinct_birth_input(2))
    crossed = wf.record_cross_out(record=second, actor=world.clerk, reason="Gạch bỏ cả dòng, có ký nháy")
    assert crossed.state == RecordState.CROSSED_OUT
    assert crossed.scans.exists() and crossed.parties.exists()
    assert crossed.identity_key is None and crossed.dedup_keys == []
    # Its person may be registered again (the registrar rewrote the case under another number).
    world.walk(third, "entered", data=distinct_birth_input(2))
    assert not RecordTask.objects.filter(record=crossed, status="NEW").exists()
    assert BookStateCount.objects.get(book=book, state="crossed_out").n == 1
    assert list(ministry_records(book)) == [first]
    assert not TransferItem.objects.filter(record=crossed).exists()
    with pytest.raises(wf.TransitionRefused):
        wf.record_approve(record=crossed, actor=world.approver)
    client.force_login(world.clerk)
    detail = client.get(reverse("book_detail", args=[book.pk])).content.decode()
    assert "crossed out in the book" in detail
    listing = client.get(reverse("record_list"), {"book": book.pk}).content.decode()
    assert "s-crossed_out" in listing and "Crossed out in the book" in listing


def test_cross_out_and_restore_on_the_record_page(client, world):
    record = world.walk(world.book(cases=1).records.get(), "scanned")
    client.force_login(world.clerk)
    page = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert "Mark as crossed out" in page
    client.post(
        reverse("record_action", args=[record.pk, "cross_out"]),
        {"reason": "Gạch bỏ", "version": record.version},
    )
    record.refresh_from_db()
    assert record.state == "crossed_out"
    assert "digitized as written" in client.get(reverse("record_detail", args=[record.pk])).content.decode()
    client.post(
        reverse("record_action", args=[record.pk, "restore"]),
        {"reason": "Nhầm dòng", "version": record.version},
    )
    record.refresh_from_db()
    assert record.state == "scanned"
    assert RecordTask.objects.filter(record=record, stage="enter", status="NEW").exists()


def test_the_book_page_reconciles_the_closing_total(client, world):
    book = world.book(cases=4)
    records = list(book.records.order_by("entry_no"))
    world.walk(records[0], "entered", data=distinct_birth_input(11))
    wf.record_cross_out(record=_scan(world, records[1]), actor=world.clerk, reason="Gạch bỏ")
    book_slots_add(book=book, actor=world.clerk, entry_numbers=["5"], reason="Tổng số ghi thiếu")
    client.force_login(world.clerk)
    page = client.get(reverse("book_detail", args=[book.pk]))
    figures = page.context["figures"]
    assert (
        figures["declared"],
        figures["slots"],
        figures["entered"],
        figures["crossed_out"],
        figures["to_do"],
    ) == (
        4,
        5,
        1,
        1,
        3,
    )
    assert "differs from the closing total declared in the book (4)" in page.content.decode()


def test_the_registering_unit_is_chosen_on_the_book_form_and_decides_competence(client, world):
    client.force_login(world.clerk)
    form = client.get(reverse("book_create")).content.decode()
    assert f'value="{world.district1.pk}"' in form  # the district above the commune wrote its old books
    response = client.post(
        reverse("book_create"),
        {
            "custodian": world.commune_a.pk,
            "event_type": "birth",
            "year": "1998",
            "year_to": "1999",
            "book_no": "H1",
            "authority_as_written": "UBND huyện Một",
            "authority_unit": world.district1.pk,
            "declared_cases": "2",
            "condition": "good",
        },
    )
    assert response.status_code == 302
    book = world.commune_a.books.get(book_no="H1")
    assert (book.authority_unit, book.years_label) == (world.district1, "1998–1999")
    assert set(book.records.values_list("competence", flat=True)) == {"district"}


def test_the_api_registers_a_book_of_several_years(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("api_book_create"),
        {
            "unit_code": world.commune_a.code,
            "event_type": "death",
            "year": 1998,
            "year_to": 1999,
            "book_no": "K",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert world.commune_a.books.get(book_no="K").years_label == "1998–1999"
    bad = client.post(
        reverse("api_book_create"),
        {
            "unit_code": world.commune_a.code,
            "event_type": "death",
            "year": 1998,
            "year_to": 1990,
            "book_no": "L",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "year_to" in bad.json()["errors"]


def test_a_case_dated_outside_the_book_as_written_does_not_block_correcting_the_book(world):
    record = _scan(world, world.book(cases=1).records.get())
    data = dataclasses.replace(
        birth_input(birth="01/01/2021", reg="05/01/2021"), as_written=("registration_date",)
    )
    wf.record_enter(record=record, actor=world.clerk, data=data)
    book = record.book
    book = book_edit(
        book=book,
        actor=world.admin,
        reason="Ghi tổng số cuối sổ",
        book_no=book.book_no,
        year=book.year,
        year_to=book.year_to,
        event_type=book.event_type,
        authority_as_written=book.authority_as_written,
        authority_unit=book.authority_unit,
        declared_cases=1,
        declared_pages=book.declared_pages,
        condition=book.condition,
        note=book.note,
    )
    assert book.declared_cases == 1
