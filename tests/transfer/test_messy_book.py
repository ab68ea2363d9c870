"""A messy old register, generated: 200+ cases with every oddity a real book has, keyed as written
and carried from collected to transferred through the services; nothing the book says is refused,
nothing is lost, and the counts reconcile with the book.

The book: births of 1998–1999 (one book across two years), no closing total written at the end
(slots added by hand with the reason), three cases squeezed in between lines ("15a", "15 bis",
"100a"), three crossed out by the registrar, implausible values confirmed "as written in the book"
(a registration dated outside the book's years, mothers aged 62, fathers aged 95), late
registrations, a lawful re-registration of an earlier case, and two late scans (added after the
cases were approved, one after transfer). A second book of 1998 declares 50 cases but holds 52.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pytest

from config.demo import demo_scan_pdf
from registry.models import CivilRecord, RecordState, RegistrationType
from registry.services import book_edit, book_register, book_slots_add
from registry.views import book_reconciliation
from reports.models import BookStateCount as ReportBookStateCount
from scans.intake import scan_store, scan_store_late
from scans.models import current_scan
from tests.factories import birth_input
from transfer.models import TransferItem
from transfer.services import transfer_send_batch
from workflows import claims
from workflows import services as wf
from workflows.late_scan import late_scan_check
from workflows.models import RecordTask

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CASES = 200
SQUEEZED = ["15a", "15 bis", "100a"]
CROSSED_OUT = {"7", "77", "15 bis"}
ORIGINAL, REREGISTRATION = "20", "120"
LATE_SCANS = {"30", "31"}

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý", "Hồ"]
_MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Xuân", "Thu", "Quang", "Thanh", "Kim"]
# No two of these share a spelling one letter apart (the likely-duplicate blocking keys), so two
# cases of the book are never the same person by accident.
_GIVEN = [
    "Khang", "Bảo", "Minh", "Phúc", "Thịnh", "Quân", "Tùng", "Hiếu", "Lộc", "Sơn", "Toàn",
    "Duy", "Cường", "Kiên", "Nghĩa", "Phong", "Trí", "Việt", "Đạt", "Hậu", "Khoa", "Lâm",
    "Nhân", "Phát", "Vũ", "Yên", "Giang", "Long", "Quyết", "Sang", "Thái",
]  # fmt: skip
_MOTHER = ["Mai", "Lan", "Hương", "Thảo", "Ngọc", "Yến", "Trang", "Nhung", "Oanh", "Quyên", "Vân"]


def person(n: int) -> str:
    """A different family + given name for every n below 403."""
    return f"{_FAMILY[n % 13]} {_MIDDLE[n % 11]} {_GIVEN[(n // 13) % 31]}"


def case_data(n: int):
    """What entry n of the book says, oddities included, and the fields confirmed as written."""
    born_day, born_month = 1 + n % 27, 1 + (n // 27) % 12
    year = 1998 if n % 10 else 1999  # one case in ten registered in the book's second year
    reg = f"{born_day + 1:02d}/{born_month:02d}/{year}"
    born = year
    registration_type = RegistrationType.ON_TIME
    confirmed: list[str] = []
    if n % 29 == 0:  # registered in 2001 although the book is of 1998–1999: as the book says
        reg, born, born_day, born_month = "03/02/2001", 2001, 30, 1
        confirmed.append("registration_date")
    if n % 19 == 0:  # born in 1975, registered late
        born = 1975
        registration_type = RegistrationType.LATE
    data = birth_input(
        person(n),
        birth=f"{born_day:02d}/{born_month:02d}/{born}",
        reg=reg,
        mother=f"{_FAMILY[(n + 5) % 13]} Thị {_MOTHER[n % 11]}",
        sex=1 + n % 2,
    )
    data.registration_type = registration_type
    data.parties["mother"]["birth_date"] = str(born - 22 - n % 15)
    data.parties["father"]["birth_date"] = str(born - 25 - n % 15)
    if n % 13 == 0:  # a mother of 62 (at least 61 whatever her birthday)
        data.parties["mother"]["birth_date"] = str(born - 62)
        confirmed.append("party.mother.birth_date")
    if n % 31 == 0:  # a father of 95
        data.parties["father"]["birth_date"] = str(born - 95)
        confirmed.append("party.father.birth_date")
    return dataclasses.replace(data, as_written=tuple(confirmed))


def scan(world, record: CivilRecord, label: str) -> CivilRecord:
    scan_store(record=record, actor=world.clerk, content=demo_scan_pdf(title="SO KHAI SINH", lines=[label]))
    return wf.record_scan(record=record, actor=world.clerk)


def approve(world, record: CivilRecord) -> CivilRecord:
    wf.record_attach(record=record, actor=world.clerk)
    wf.record_review(record=record, actor=world.reviewer)
    return wf.record_approve(record=record, actor=world.approver)


@pytest.fixture
def messy_book(world):
    book = book_register(
        custodian=world.commune_a,
        event_type="birth",
        year=1998,
        year_to=1999,
        book_no="12",
        declared_cases=None,  # the registrar never wrote the closing total
        actor=world.clerk,
    )
    book_slots_add(
        book=book,
        actor=world.clerk,
        entry_numbers=[str(n) for n in range(1, CASES + 1)],
        reason="Sổ không ghi tổng số trường hợp ở cuối sổ: đếm từng trang",
    )
    book_slots_add(
        book=book, actor=world.clerk, entry_numbers=SQUEEZED, reason="Trường hợp ghi chen giữa hai dòng"
    )
    return book


def test_a_messy_book_goes_from_collected_to_transferred_with_nothing_refused_or_lost(
    world, messy_book, receiver, adapter
):
    book = messy_book
    records = {r.entry_label: r for r in book.records.all()}
    assert len(records) == CASES + len(SQUEEZED)

    # Every case is scanned and keyed as the book writes it; crossed-out ones are digitized as such.
    for label, record in records.items():
        record = scan(world, record, label)
        if label in CROSSED_OUT:
            wf.record_cross_out(record=record, actor=world.clerk, reason="Cán bộ gạch bỏ cả dòng, có ký nháy")
            continue
        if label == REREGISTRATION:
            continue  # keyed below, once its original is approved
        n = int(label) if label.isdigit() else 300 + SQUEEZED.index(label)
        records[label] = wf.record_enter(record=record, actor=world.clerk, data=case_data(n))

    # The original is approved; the re-registration of the same birth is linked to it, not refused.
    original = approve(world, records[ORIGINAL])
    again = wf.record_mark_reregistration(
        record=records[REREGISTRATION], actor=world.clerk, original=original, reason="Đăng ký lại khai sinh"
    )
    again = wf.record_enter(record=again, actor=world.clerk, data=case_data(int(ORIGINAL)))
    assert again.reregistration_of == original and again.registration_type == RegistrationType.REREGISTRATION

    for record in records.values():
        record.refresh_from_db()
        if record.state == RecordState.ENTERED:
            approve(world, record)

    # One late scan before transfer, one after: a reviewer checks it, nothing is re-keyed.
    late_before = scan_store_late(
        record=records["30"], actor=world.clerk, content=demo_scan_pdf(title="BO SUNG", lines=["30"])
    )
    _check_late(world, records["30"])
    assert _send_all(adapter) == CASES + len(SQUEEZED) - len(CROSSED_OUT)
    late_after = scan_store_late(
        record=records["31"], actor=world.clerk, content=demo_scan_pdf(title="BO SUNG", lines=["31"])
    )
    _check_late(world, records["31"])
    assert _send_all(adapter) == 1

    # Nothing lost: every case is in the database in the state the book gives it.
    states = Counter(book.records.values_list("state", flat=True))
    assert states == {
        RecordState.TRANSFERRED: CASES + len(SQUEEZED) - len(CROSSED_OUT),
        RecordState.CROSSED_OUT: len(CROSSED_OUT),
    }
    # The confirmations "as written in the book" travel with the cases.
    expected = {
        records[label].pk: sorted(case_data(int(label)).as_written)
        for label in records
        if label.isdigit()
        and label not in CROSSED_OUT
        and label != REREGISTRATION
        and case_data(int(label)).as_written
    }
    stored_confirmations = dict(
        CivilRecord.objects.filter(book=book).exclude(as_written=[]).values_list("pk", "as_written")
    )
    assert {pk: sorted(v) for pk, v in stored_confirmations.items()} == expected and len(expected) == 27
    # The counts reconcile with the book: every slot is a case the book writes, crossed-out included.
    figures = book_reconciliation(book)
    assert figures["slots"] == CASES + len(SQUEEZED)
    assert figures["crossed_out"] == len(CROSSED_OUT) and figures["to_do"] == 0
    assert figures["entered"] + figures["crossed_out"] == figures["slots"]
    counted = dict(ReportBookStateCount.objects.filter(book=book).values_list("state", "n"))
    assert {k: v for k, v in counted.items() if v} == dict(states)
    # The closing total, now known, is written on the book (audited) and agrees.
    book = book_edit(
        book=book,
        actor=world.admin,
        reason="Tổng số đếm lại khi số hóa",
        book_no=book.book_no,
        year=book.year,
        year_to=book.year_to,
        event_type=book.event_type,
        authority_as_written=book.authority_as_written,
        authority_unit=book.authority_unit,
        declared_cases=figures["slots"],
        declared_pages=book.declared_pages,
        condition=book.condition,
        note=book.note,
    )
    assert book_reconciliation(book)["difference"] == 0

    # The national database holds each live case once, its scan byte-identical by hash, and the
    # late scan of the case transferred before it as one update; no crossed-out case.
    stored = _stored(receiver)
    registrations = [p for p in stored if p.get("update") != "scan"]
    assert sorted(p["recordId"] for p in registrations) == sorted(
        r.pk for r in book.records.exclude(state=RecordState.CROSSED_OUT)
    )
    by_id = {p["recordId"]: p for p in registrations}
    assert by_id[records["30"].pk]["scan"]["sha256"] == late_before.sha256
    (update,) = [p for p in stored if p.get("update") == "scan"]
    assert update["recordId"] == records["31"].pk and update["scan"]["sha256"] == late_after.sha256
    for record in book.records.exclude(state=RecordState.CROSSED_OUT):
        if record.pk != records["31"].pk:
            assert by_id[record.pk]["scan"]["sha256"] == current_scan(record.scans.all()).sha256
    assert not TransferItem.objects.filter(record__state=RecordState.CROSSED_OUT).exists()


def test_a_closing_total_that_is_wrong_is_corrected_by_adding_slots_with_the_reason(world):
    book = book_register(
        custodian=world.commune_b,
        event_type="birth",
        year=1998,
        book_no="3",
        declared_cases=50,
        actor=world.admin,
    )
    book_slots_add(
        book=book, actor=world.admin, entry_numbers=["51", "52"], reason="Tổng số cuối sổ ghi 50, thực tế 52"
    )
    figures = book_reconciliation(book)
    assert (figures["declared"], figures["slots"], figures["difference"]) == (50, 52, 2)


def _check_late(world, record: CivilRecord) -> None:
    task = RecordTask.objects.filter(record=record, status__in=["NEW", "ASSIGNED"], stage="scan_check").get()
    claims.task_claim(task=task, actor=world.reviewer)
    late_scan_check(record=record, actor=world.reviewer, passed=True)


def _send_all(adapter) -> int:
    """Run the outbox until nothing is left to claim; how many were acknowledged."""
    acknowledged = 0
    while True:
        report = transfer_send_batch(adapter=adapter)
        acknowledged += report.acknowledged
        if report.claimed == 0:
            return acknowledged


def _stored(receiver) -> list[dict]:
    with receiver.receiver._db() as db:
        return [json.loads(row[0]) for row in db.execute("SELECT payload FROM records").fetchall()]
