"""The counter pages: scoped search, preview, issue, log, reprint, batch; refusals outside the scope."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from audit.models import AuditEvent
from printing.models import ExtractIssue
from printing.services import extract_issue
from registry.models import EventType
from tests.printing.data import ISSUE, extract_input
from tests.printing.test_rendering import pdf_text


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_counter_search_lists_printable_records_of_the_clerks_units_only(
    world, django_assert_num_queries
):
    # given approved births in commune A, one in district 1 (outside commune A), and a pending one
    mine = [
        world.record("approved", data=extract_input(EventType.BIRTH, given_name=given))
        for given in ("Tiên", "Anh", "Bình")
    ]
    world.record("reviewed")
    world.record("approved", unit=world.district1)
    client = client_for(world.counter)
    client.get("/counter/")  # warm the session and the scope cache
    # when the counter clerk searches by a name typed without diacritics
    # session, user, scopes, more people than the cap?, count, records, their people
    with django_assert_num_queries(7):
        response = client.get("/counter/", {"name": "nguyen thi thuy"})
    body = response.content.decode()
    # then only commune A's approved records are listed, by their people
    assert response.status_code == 200
    assert body.count('name="record"') == 3
    for record in mine:
        assert f"/counter/records/{record.pk}/" in body
    assert "Nguyễn Thị Thuỷ Tiên" in body and "Nguyễn Thị Thuỷ Bình" in body


def test_a_name_and_a_year_of_birth_find_the_same_person(world):
    # given an approved birth: the child "Nguyễn Thị Thuỷ Tiên" born 2020, her mother born 1995
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    client = client_for(world.counter)

    def listed(**params) -> bool:
        return f"/counter/records/{record.pk}/" in client.get("/counter/", params).content.decode()

    # the child's name with the child's year finds it; with the mother's year it does not
    assert listed(name="nguyen thi thuy", birth_year=2020)
    assert not listed(name="nguyen thi thuy", birth_year=1995)
    # the year alone still finds any person of the record born that year
    assert listed(birth_year=1995)


def test_a_name_matching_more_people_than_the_cap_says_so_and_asks_for_more(world, monkeypatch, vietnamese):
    import printing.selectors
    import registry.search
    from registry.search import CappedPaginator

    monkeypatch.setattr(registry.search, "MATCH_CAP", 2)
    monkeypatch.setattr(printing.selectors, "MATCH_CAP", 2)
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    for given in ("Tiên", "Anh", "Bình"):
        world.record("approved", data=extract_input(EventType.BIRTH, given_name=given))
    client = client_for(world.counter)

    broad = client.get("/counter/", {"name": "nguyen thi thuy"}).content.decode()
    # the records of the first 2 people in name order are listed, and the page says why not all
    assert broad.count('name="record"') == 2
    assert "Hơn 2 người khớp tên này" in broad and "Thêm tên hoặc năm sinh" in broad

    # with the given name the search is under the cap: no notice, the one record
    narrow = client.get("/counter/", {"name": "nguyen thi thuy tien"}).content.decode()
    assert narrow.count('name="record"') == 1 and "người khớp tên này" not in narrow


def test_the_clerk_previews_then_issues_and_the_paper_is_logged(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    client = client_for(world.counter)
    page = client.get(f"/counter/records/{record.pk}/")
    assert page.status_code == 200 and "preview.pdf" in page.content.decode()
    preview = client.get(f"/counter/records/{record.pk}/preview.pdf")
    assert preview["Content-Type"] == "application/pdf"
    assert "XEM TRƯỚC" in pdf_text(preview.content)
    # when the clerk fills in the requester and prints 2 copies
    response = client.post(f"/counter/records/{record.pk}/", {**ISSUE, "copies": 2})
    issue = ExtractIssue.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/counter/issues/{issue.pk}/"
    pdf = b"".join(client.get(f"/counter/issues/{issue.pk}/pdf").streaming_content)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    log = client.get("/counter/issues/").content.decode()
    assert issue.serial in log and "CCCD 035195000111" in log and "Mẹ" in log
    assert AuditEvent.objects.filter(action="download_extract", record_id_value=record.pk).exists()
    assert AuditEvent.objects.filter(action="preview_extract", record_id_value=record.pk).exists()


def test_an_incomplete_form_keeps_what_was_typed(world):
    record = world.record("approved")
    response = client_for(world.counter).post(
        f"/counter/records/{record.pk}/", {**ISSUE, "requester_document": "", "copies": 1}
    )
    body = response.content.decode()
    assert response.status_code == 200 and not ExtractIssue.objects.exists()
    assert 'value="Trần Thị Hương"' in body and '<label class="invalid">' in body


def test_a_record_that_cannot_print_says_why_and_offers_no_form(world):
    record = world.record("reviewed")
    body = client_for(world.counter).get(f"/counter/records/{record.pk}/").content.decode()
    assert "Only approved or transferred records can be printed" in body
    assert "Issue and log" not in body


@pytest.mark.parametrize("who", ["outsider", "clerk", "nobody"])
def test_printing_outside_ones_scope_is_a_404_and_logged_as_denied(world, who):
    record = world.record("approved")
    issued = extract_issue(record=record, actor=world.counter, **ISSUE)
    client = client_for(getattr(world, who))
    for url in (
        f"/counter/records/{record.pk}/",
        f"/counter/records/{record.pk}/preview.pdf",
        f"/counter/issues/{issued.pk}/pdf",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/counter/records/{record.pk}/", {**ISSUE, "copies": 1}).status_code == 404
    assert client.post(f"/counter/issues/{issued.pk}/reprint/", {"copies": 1}).status_code == 404
    denied = AuditEvent.objects.filter(action="denied", actor=getattr(world, who), record_id_value=record.pk)
    assert denied.count() == 5
    assert ExtractIssue.objects.count() == 1


def test_the_issue_log_is_scoped_and_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    for _ in range(3):
        extract_issue(record=world.record("approved"), actor=world.counter, **ISSUE)
    client = client_for(world.counter)
    client.get("/counter/issues/")
    with django_assert_num_queries(5):
        body = client.get("/counter/issues/").content.decode()
    assert body.count("/counter/issues/") >= 3
    assert (
        "/counter/issues/"
        not in client_for(world.outsider).get("/counter/issues/").content.decode().split("<tbody>")[1]
    )


def test_a_reprint_through_the_page_is_logged_and_marked(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    issued = extract_issue(record=record, actor=world.counter, **ISSUE)
    client = client_for(world.counter)
    response = client.post(f"/counter/issues/{issued.pk}/reprint/", {"copies": 1})
    reprint = ExtractIssue.objects.get(reprint_of=issued)
    assert response["Location"] == f"/counter/issues/{reprint.pk}/"
    assert "BẢN IN LẠI LẦN 1" in pdf_text(
        b"".join(client.get(f"/counter/issues/{reprint.pk}/pdf").streaming_content)
    )
    assert "reprint 1" in client.get("/counter/issues/").content.decode()


@pytest.mark.slow
def test_a_batch_from_the_counter_shows_progress_and_gives_the_merged_pdf(world):
    records = [
        world.record("approved", data=extract_input(EventType.BIRTH, given_name=g)) for g in ("An", "Ba")
    ]
    client = client_for(world.counter)
    form = {f"b-{k}": v for k, v in ISSUE.items()}
    response = client.post(
        "/counter/batches/", {**form, "record": [r.pk for r in records], "query": "name=nguyen"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "2/2" in page and "Open the merged PDF" in page
    pdf_url = response["Location"] + "pdf"
    assert len(PdfReader(io.BytesIO(b"".join(client.get(pdf_url).streaming_content))).pages) == 2
    # another clerk cannot fetch someone else's batch
    assert client_for(world.admin).get(pdf_url).status_code == 404


def test_a_refused_batch_keeps_the_ticks_and_the_input(world):
    ok = world.record("approved", data=extract_input(EventType.BIRTH))
    pending = world.record("reviewed")
    client = client_for(world.counter)
    form = {f"b-{k}": v for k, v in ISSUE.items()}
    response = client.post(
        "/counter/batches/", {**form, "record": [ok.pk, pending.pk], "query": "name=nguyen+thi+thuy"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was printed" in body
    assert f'value="{ok.pk}" aria-label="Add to batch" checked' in body
    assert 'value="CCCD 035195000111"' in body
