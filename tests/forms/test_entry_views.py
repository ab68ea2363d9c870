"""The entry screen over HTTP: paper order, Enter to the next case, carry-forward, drafts, bad input,
likely duplicates beside the form, and editing after approval."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from config.demo import demo_scan_pdf
from forms.entry import RecordForm
from forms.models import Draft
from registry.models import EventType
from registry.record_data import record_input_from
from scans.intake import scan_store
from tests.factories import birth_input, event_input
from workflows import services as wf


def post_data(record, data, **extra):
    form_data = {k: ("" if v is None else v) for k, v in RecordForm.initial_from(data).items()}
    return {**form_data, "version": record.version, **extra}


def login(user):
    client = Client()
    client.force_login(user)
    return client


def scanned_book(world, cases=3, event_type=EventType.BIRTH):
    book = world.book(cases=cases, event_type=event_type)
    records = list(book.records.order_by("entry_no"))
    for record in records:
        world.walk(record, "scanned")
    return records


@pytest.mark.parametrize("event_type", [t.value for t in EventType])
def test_the_form_of_each_type_follows_the_paper(world, event_type):
    record = world.record("scanned", event_type=event_type)
    html = login(world.clerk).get(reverse("record_enter", args=[record.pk])).content.decode()
    form = html.split('id="entry-form"')[1].split("</form>")[0]
    names = re.findall(r'name="([a-z_]+(?:__[a-z_]+)?)"', form)
    skipped = ("csrfmiddlewaretoken", "version", "next", "submit", "draft")
    fields = [n for n in names if n not in skipped and not n.startswith("nib__")]  # boxes go with their field
    assert fields[:3] == ["page_no", "registration_date", "registration_type"]
    assert fields[-5:] == ["registration_place", "signer_name", "signer_title", "performer_name", "note"]
    first_role = next(iter(event_input(event_type).parties))
    assert fields[3] == f"{first_role}__full_name"
    assert 'id="duplicates"' in html and "entry.js" in html


def test_enter_saves_and_opens_the_next_case_of_the_book_with_signer_carried_forward(world):
    first, second, _third = scanned_book(world)
    client = login(world.clerk)
    response = client.post(reverse("record_enter", args=[first.pk]), post_data(first, birth_input(), next=""))
    assert response.status_code == 302 and response.url == reverse("record_enter", args=[second.pk])
    first.refresh_from_db()
    assert first.state == "entered"
    page = client.get(response.url).content.decode()
    assert 'value="UBND xã"' in page and 'value="Lê Văn Cường"' in page and 'value="Chủ tịch"' in page


def test_after_the_last_case_enter_goes_back_to_the_book(world):
    (only,) = scanned_book(world, cases=1)
    response = login(world.clerk).post(
        reverse("record_enter", args=[only.pk]), post_data(only, birth_input(), next="")
    )
    assert response.url == reverse("book_detail", args=[only.book_id])


def test_bad_input_is_refused_field_by_field_and_the_users_input_is_kept(world):
    (record,) = scanned_book(world, cases=1)
    data = birth_input(name="<script>alert(1)</script>", birth="31/02/1980")
    data.parties["mother"]["full_name"] = "Trần\x00 Thị Bình"
    response = login(world.clerk).post(
        reverse("record_enter", args=[record.pk]), post_data(record, data, next="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "A name may contain letters" in html
    assert "does not exist in the calendar" in html
    assert "invisible control characters" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'value="31/02/1980"' in html  # the user's input is not lost
    record.refresh_from_db()
    assert record.state == "scanned" and not record.parties.exists()


def test_text_pasted_in_tcvn3_is_converted_by_the_form_and_by_the_paste_endpoint(world):
    (record,) = scanned_book(world, cases=1)
    client = login(world.clerk)
    data = birth_input(name="NguyÔn V¨n An")
    response = client.post(reverse("record_enter", args=[record.pk]), post_data(record, data, submit=""))
    assert response.status_code == 302
    assert record.parties.get(role="subject").full_name == "Nguyễn Văn An"
    answer = client.post(reverse("legacy_convert"), {"text": "Tröông Quoác Baûo"}).json()
    assert answer["text"] == "Trương Quốc Bảo" and answer["encoding"] == "vni"
    assert client.post(reverse("legacy_convert"), {"text": "Nguyễn V¨n"}).json()["encoding"] is None


def test_a_draft_typed_and_never_submitted_is_there_after_logging_in_elsewhere(world):
    (record,) = scanned_book(world, cases=1)
    office = login(world.clerk)
    typed = post_data(record, birth_input(name="Đặng Thị Mười"))
    typed.pop("version")
    answer = office.post(reverse("draft_autosave", args=[record.pk]), typed)
    assert answer.status_code == 200 and answer.json()["saved"] is True
    # The browser is closed; the clerk logs in on another computer.
    home = login(world.clerk)
    page = home.get(reverse("record_enter", args=[record.pk])).content.decode()
    assert 'value="Đặng Thị Mười"' in page
    assert "Your unsaved input from" in page
    # Nobody else sees it.
    other = login(world.clerk2).get(reverse("record_enter", args=[record.pk])).content.decode()
    assert "Đặng Thị Mười" not in other
    # Saving the record drops the draft.
    home.post(
        reverse("record_enter", args=[record.pk]),
        post_data(record, birth_input(name="Đặng Thị Mười"), submit=""),
    )
    assert not Draft.objects.filter(record=record).exists()


def test_a_draft_can_be_discarded_and_outsiders_cannot_write_one(world):
    (record,) = scanned_book(world, cases=1)
    client = login(world.clerk)
    client.post(reverse("draft_autosave", args=[record.pk]), {"subject__full_name": "Tạm"})
    client.post(reverse("draft_discard", args=[record.pk]))
    assert not Draft.objects.exists()
    response = login(world.outsider).post(
        reverse("draft_autosave", args=[record.pk]), {"subject__full_name": "X"}
    )
    assert response.status_code == 404 and not Draft.objects.exists()


def test_autosave_answers_with_likely_duplicates_of_what_is_typed(world):
    original = world.record("entered", data=birth_input(name="Nguyễn Thị Hoà", mother="Trần Thị Bình", sex=2))
    (record,) = scanned_book(world, cases=1)
    typed = post_data(record, birth_input(name="Nguyen Thi Hoa", mother="Tran Thi Binh", sex=2))
    found = login(world.clerk).post(reverse("draft_autosave", args=[record.pk]), typed).json()["duplicates"]
    assert [(d["id"], d["name"]) for d in found] == [(original.pk, "Nguyễn Thị Hoà")]
    # A clerk of another commune learns only that a likely duplicate exists elsewhere: not where,
    # not who, not how alike (issue 22, finding 7).
    theirs = world.book(world.commune_b, cases=1).records.get()
    scan_store(record=theirs, actor=world.outsider, content=demo_scan_pdf(title="B", lines=["1"]))
    wf.record_scan(record=theirs, actor=world.outsider)
    hidden = (
        login(world.outsider).post(reverse("draft_autosave", args=[theirs.pk]), typed).json()["duplicates"]
    )
    assert hidden == [
        {
            "visible": False,
            "message": "A likely duplicate exists in another unit; a supervisor has been asked.",
        }
    ]


def test_editing_an_approved_record_warns_needs_a_reason_audits_and_goes_back_to_review(world):
    record = world.record("approved")
    client = login(world.reviewer)  # amending needs amend_record: a reviewer of the unit
    page = client.get(reverse("record_enter", args=[record.pk])).content.decode()
    assert "This record is approved" in page and 'name="reason"' in page
    data = record_input_from(record)
    data.parties["subject"]["birth_place"] = "Bệnh viện huyện"
    response = client.post(
        reverse("record_enter", args=[record.pk]), post_data(record, data, submit="", reason="")
    )
    assert "Give a reason" in response.content.decode()
    record.refresh_from_db()
    assert record.state == "approved"

    response = client.post(
        reverse("record_enter", args=[record.pk]),
        post_data(record, data, submit="", reason="Sổ gốc ghi nơi sinh là bệnh viện"),
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "attached" and record.approved_by is None
    amend = AuditEvent.objects.get(record_id_value=record.pk, action="amend")
    assert amend.reason == "Sổ gốc ghi nơi sinh là bệnh viện"
    assert amend.changes["party.subject.birth_place"] == ["", "Bệnh viện huyện"]
    assert amend.changes["state"] == ["approved", "attached"]
    # Back through review: the editor may not review their own change.
    with pytest.raises(wf.TransitionRefused):
        wf.record_review(record=record, actor=world.reviewer)


def test_the_duplicates_page_lets_a_supervisor_decide(world):
    original = world.record("approved", data=birth_input(name="Nguyễn Thị Hoà", sex=2))
    suspect = world.record("reviewed", data=birth_input(name="Nguyen Thi Hoa", birth="02/03/2019", sex=2))
    approver = login(world.approver)
    queue = approver.get(reverse("duplicate_queue")).content.decode()
    assert reverse("record_duplicates", args=[suspect.pk]) in queue
    assert "Nothing to decide" in login(world.approver_b).get(reverse("duplicate_queue")).content.decode()
    page = approver.get(reverse("record_duplicates", args=[suspect.pk])).content.decode()
    assert "Not a duplicate" in page and "Nguyễn Thị Hoà" in page
    approver.post(
        reverse("record_duplicates", args=[suspect.pk]),
        {"other": original.pk, "decision": "not_duplicate", "reason": "Sinh đôi"},
    )
    assert "Nothing to decide" in approver.get(reverse("duplicate_queue")).content.decode()
    approver.post(reverse("record_action", args=[suspect.pk, "approve"]), {"version": suspect.version})
    suspect.refresh_from_db()
    assert suspect.state == "approved"


def test_the_record_page_shows_the_types_own_fields_with_their_labels(world):
    record = world.record("entered", event_type="death", data=event_input("death"))
    page = login(world.clerk).get(reverse("record_detail", args=[record.pk])).content.decode()
    assert "Death notice: number" in page and "12/GBT" in page
    assert "Death notice: kind of paper" in page and "Death notice</dd>" in page
