"""Issuing at the counter: the log row, serials, copies, printability, scope, reprints."""

import io

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from audit.models import AuditEvent
from printing.models import ExtractIssue
from printing.services import PrintRefused, extract_issue, extract_reprint
from registry.models import EventType
from registry.record_data import record_input_from
from tests.printing.data import ISSUE, extract_input
from tests.printing.test_rendering import pdf_text
from workflows import services as wf


def issue(record, actor, **more):
    return extract_issue(record=record, actor=actor, **{**ISSUE, **more})


def test_an_issue_logs_who_printed_what_for_whom_and_stores_the_pdf(world):
    # given an approved birth in commune A
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    # when the counter clerk prints 2 copies for the mother
    printed = issue(record, world.counter, copies=2)
    # then one log row says record, requester, document, relationship, copies, clerk and time
    row = ExtractIssue.objects.get()
    assert (row.record_id, row.requester_name, row.requester_document, row.relationship, row.copies) == (
        record.pk,
        "Trần Thị Hương",
        "CCCD 035195000111",
        "Mẹ",
        2,
    )
    assert row.clerk == world.counter and row.issued_at is not None and not row.is_reprint
    assert row.serial.endswith("/TLKS-BS") and row.serial.startswith("1/")
    assert row.issuing_unit == world.commune_a and row.subject_name == "Nguyễn Thị Thuỷ Tiên"
    # and the stored PDF is the 2 copies handed out, with the serial on it
    pdf = printed.file.read()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert f"Số: {row.serial}" in pdf_text(pdf)
    # and the audit trail has the issue
    audit = AuditEvent.objects.get(action="extract_issue")
    assert audit.record_id_value == record.pk and audit.actor == world.counter
    assert audit.changes["requester_document"] == "CCCD 035195000111"


def test_serials_count_up_per_issuing_unit(world):
    first = issue(world.record("approved"), world.counter)
    second = issue(world.record("transferred"), world.counter)
    assert (first.serial_no, second.serial_no) == (1, 2)


@pytest.mark.parametrize("state", ["collected", "scanned", "entered", "attached", "reviewed"])
def test_only_approved_or_transferred_records_print(world, state):
    record = world.record(state)
    with pytest.raises(PrintRefused, match="Only approved or transferred records"):
        issue(record, world.counter)
    assert not ExtractIssue.objects.exists()


def test_a_record_with_an_open_correction_does_not_print(world):
    # given an approved record amended afterwards (back in review)
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    data = record_input_from(record)
    data.parties["subject"]["birth_place"] = "Bệnh viện huyện Một"
    wf.record_amend(record=record, actor=world.admin, data=data, reason="Sai nơi sinh")
    # when the counter tries to print it, then it is refused with the reason
    with pytest.raises(PrintRefused, match="correction under review"):
        issue(record, world.counter)


def test_an_approval_check_such_as_an_unresolved_duplicate_blocks_printing(world, monkeypatch):
    from workflows.hooks import APPROVAL_CHECKS

    record = world.record("approved")
    monkeypatch.setattr(
        "workflows.hooks.APPROVAL_CHECKS",
        [
            *APPROVAL_CHECKS,
            lambda r: "a likely duplicate awaits a supervisor's decision." if r.pk == record.pk else None,
        ],
    )
    with pytest.raises(PrintRefused, match="likely duplicate awaits"):
        issue(record, world.counter)


def test_printing_outside_ones_scope_is_refused_and_logged(world):
    record = world.record("approved", unit=world.commune_a)
    # the clerk of commune B holds no print permission on commune A
    with pytest.raises(PrintRefused, match="do not allow printing"):
        issue(record, world.outsider)
    denied = AuditEvent.objects.get(action="denied", record_id_value=record.pk)
    assert denied.actor == world.outsider and denied.changes == {"permission": "print_extract"}
    assert not ExtractIssue.objects.exists()


def test_missing_requester_data_is_refused_by_field(world):
    record = world.record("approved")
    with pytest.raises(ValidationError) as exc:
        issue(record, world.counter, requester_document=" ", copies=0)
    assert set(exc.value.message_dict) == {"requester_document", "copies"}


def test_a_reprint_is_a_new_log_row_with_the_same_serial_marked_on_the_paper(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    original = issue(record, world.counter)
    # when the paper jammed and the clerk reprints
    reprint = extract_reprint(issue=original, actor=world.counter)
    again = extract_reprint(issue=reprint, actor=world.counter)
    # then two more rows, same serial, numbered reprints of the original
    assert (reprint.serial, reprint.reprint_of, reprint.reprint_no) == (original.serial, original, 1)
    assert (again.reprint_of, again.reprint_no) == (original, 2)
    text = pdf_text(reprint.file.read())
    assert "BẢN IN LẠI LẦN 1" in text and f"Số: {original.serial}" in text
    assert AuditEvent.objects.filter(action="extract_reprint").count() == 2


def test_a_superseded_extract_cannot_be_reprinted(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    original = issue(record, world.counter)
    data = record_input_from(record)
    data.parties["subject"]["hometown"] = "Xã Mộc Hoàn, huyện Duy Tiên"
    wf.record_amend(record=record, actor=world.admin, data=data, reason="Bổ sung quê quán")
    wf.record_review(record=record, actor=world.reviewer)
    wf.record_approve(record=record, actor=world.approver)
    with pytest.raises(PrintRefused, match="Issue a new extract"):
        extract_reprint(issue=original, actor=world.counter)


def test_a_new_extract_after_an_amendment_prints_the_note(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    data = record_input_from(record)
    data.parties["subject"]["hometown"] = "Xã Mộc Hoàn, huyện Duy Tiên"
    wf.record_amend(record=record, actor=world.admin, data=data, reason="Bổ sung quê quán")
    wf.record_review(record=record, actor=world.reviewer)
    wf.record_approve(record=record, actor=world.approver)
    text = pdf_text(issue(record, world.counter).file.read())
    assert "Quê quán: Xã Mộc Hoàn, huyện Duy Tiên" in text
    assert "đã điều chỉnh thông tin hộ tịch; lý do: Bổ sung quê quán." in text
