"""Reconciliation alongside scanning: cases are matched with the population extract the moment
they are entered, in both directions, and the commune police get an Excel list with the evidence."""

import dataclasses
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from config.demo import demo_scan_pdf
from jobs.models import Job
from scans.intake import scan_store
from tests.factories import birth_input, distinct_birth_input
from transfer.models import DiffKind, DiffStatus, ReconciliationItem
from transfer.population_matching import reconciliation_run
from transfer.reconciliation import population_import
from transfer.selectors import difference_counts, differences
from workflows import services as wf

# An, whose birth date the population database has wrong; Hoa, whose birth the book of 2020 should
# hold; Mai, whose ethnicity differs; Cường, born in a year no book of ours covers.
EXTRACT = """soDinhDanh,hoTen,gioiTinh,ngaySinh,danToc,quocTich
001220012345,Nguyễn Văn An,Nam,03/03/2020,Kinh,Việt Nam
,Trần Thị Hoa,Nữ,15/04/2020,Kinh,Việt Nam
,Phạm Thị Mai,Nữ,20/05/2020,Tày,Việt Nam
,Lê Văn Cường,Nam,01/01/1985,Kinh,Việt Nam
"""
AN = birth_input("Nguyễn Văn An", birth="02/03/2020", pin="001220012345")
MAI = birth_input("Phạm Thị Mai", birth="20/05/2020", reg="25/05/2020", sex=2, mother="Đỗ Thị Lan")


def ethnicity(data, value):
    parties = {**data.parties, "subject": {**data.parties["subject"], "ethnicity": value}}
    return dataclasses.replace(data, parties=parties)


def findings(**filters):
    return list(ReconciliationItem.objects.filter(**filters).order_by("pk"))


def resident_finding(name):
    return ReconciliationItem.objects.get(resident__full_name=name, kind__in=["pending_book", "not_in_civil"])


@pytest.fixture
def scanning(world):
    """A book of 2020 collected and scanned, not yet entered; then the commune's extract imported."""
    book = world.book(cases=3, year=2020)
    slots = list(book.records.order_by("entry_no"))
    for slot in slots:
        scan_store(record=slot, actor=world.clerk, content=demo_scan_pdf(title="SO", lines=["1"]))
        wf.record_scan(record=slot, actor=world.clerk)
    extract = population_import(
        actor=world.approver, unit=world.commune_a, content=EXTRACT.encode(), filename="cong-an.csv"
    )
    return book, slots, extract


def police_sheet(client, world, unit):
    response = client.post(reverse("transfer_police_list"), {"unit": unit.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[3]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=4)]


def test_before_entry_residents_of_the_books_years_are_pending_and_the_rest_say_nothing(scanning):
    _book, _slots, extract = scanning
    pending = findings(kind=DiffKind.PENDING_BOOK)
    assert sorted(i.resident.full_name for i in pending) == ["Nguyễn Văn An", "Phạm Thị Mai", "Trần Thị Hoa"]
    assert not findings(resident__full_name="Lê Văn Cường")  # 1985: no book of ours covers it
    assert (extract.pending, extract.differences, extract.matched_at is not None) == (3, 0, True)


def test_entering_a_case_that_differs_lists_it_for_the_police_with_the_evidence(scanning, world, client):
    book, slots, _extract = scanning
    # When the first case is entered from its scan, its person is compared at once.
    wf.record_enter(record=slots[0], actor=world.clerk, data=AN)
    (item,) = findings(record=slots[0])
    assert (item.kind, item.field, item.ours, item.theirs, item.status) == (
        "differs",
        "birth_date",
        "02/03/2020",
        "03/03/2020",
        "open",
    )
    # An has a record now: no longer pending.
    assert not findings(resident__full_name="Nguyễn Văn An", kind=DiffKind.PENDING_BOOK)

    # Then the approver downloads the police list of the commune: the row and its evidence.
    client.force_login(world.approver)
    rows = police_sheet(client, world, world.commune_a)
    (row,) = [r for r in rows if r["Person (as in the book)"] == "Nguyễn Văn An"]
    assert row["Problem"] == "Differs" and row["Field"] == "Date of birth"
    assert (row["Value in the book"], row["Value in the population database"]) == ("02/03/2020", "03/03/2020")
    assert row["PIN in the population database"] == "001220012345"
    assert row["Extract (file, line)"] == "cong-an.csv, line 2"
    assert (row["Book"], row["Year"], row["Entry no."]) == (str(book), "2020", "1")
    assert row["Registration date"] == "10/03/2020"
    scan = slots[0].scans.get()
    assert row["Scan link (staff)"].endswith(f"/scans/{scan.pk}/view/") and row["Scan"]
    assert row["Checked against the book"] == "not yet checked against the book"
    item.refresh_from_db()
    assert item.status == DiffStatus.SENT_TO_POLICE and item.sent_at is not None
    event = AuditEvent.objects.get(action="export_police_list")
    assert (event.actor_name, event.changes["rows"]) == ("approver_a", len(rows))


def test_matching_again_changes_nothing(scanning, world):
    _book, slots, extract = scanning
    wf.record_enter(record=slots[0], actor=world.clerk, data=AN)
    before = [(i.pk, i.kind, i.field, i.status) for i in findings()]
    # The clerk saves the case again (another field changed): the finding is the same one.
    wf.record_data_save(
        record=slots[0], actor=world.clerk, data=dataclasses.replace(AN, registration_date="11/03/2020")
    )
    reconciliation_run(extract=extract)  # and the whole extract is matched once more
    assert [(i.pk, i.kind, i.field, i.status) for i in findings()] == before


def test_a_resident_pending_on_a_book_is_missing_once_the_book_is_entered_without_them(scanning, world):
    _book, slots, _extract = scanning
    wf.record_enter(record=slots[0], actor=world.clerk, data=AN)
    wf.record_enter(record=slots[1], actor=world.clerk, data=MAI)
    assert resident_finding("Trần Thị Hoa").kind == DiffKind.PENDING_BOOK  # one case still to enter
    wf.record_enter(record=slots[2], actor=world.clerk, data=distinct_birth_input(7))
    hoa = resident_finding("Trần Thị Hoa")
    assert (hoa.kind, hoa.status) == ("not_in_civil", "open")
    assert list(differences(world.clerk, direction="civil")) == [hoa]
    # The third case's child is in our book but not in the population database: the police's list.
    (absent,) = findings(record=slots[2])
    assert (absent.kind, absent.party_role) == ("not_in_population", "subject")


def test_correcting_our_data_so_both_sides_agree_closes_the_finding(scanning, world):
    _book, slots, _extract = scanning
    wf.record_enter(record=slots[1], actor=world.clerk, data=MAI)
    (item,) = findings(record=slots[1])
    assert (item.field, item.ours, item.theirs) == ("ethnicity", "Kinh", "Tày")
    # The clerk rereads the book: it says Tày, and corrects the draft.
    wf.record_data_save(record=slots[1], actor=world.clerk, data=ethnicity(MAI, "Tày"))
    item.refresh_from_db()
    assert (item.status, item.agreed_at is not None) == ("agreed", True)
    assert not differences(world.clerk).filter(record=slots[1]).exists()


def test_a_newer_extract_that_fixes_the_population_side_closes_the_police_item(scanning, world, client):
    _book, slots, _extract = scanning
    wf.record_enter(record=slots[0], actor=world.clerk, data=AN)
    client.force_login(world.approver)
    police_sheet(client, world, world.commune_a)
    (item,) = findings(record=slots[0])
    assert item.status == "sent_to_police"
    # The police corrected An's birth date; the commune imports a new extract.
    newer = EXTRACT.replace("03/03/2020", "02/03/2020")
    population_import(actor=world.approver, unit=world.commune_a, content=newer.encode(), filename="v2.csv")
    item.refresh_from_db()
    assert (item.status, item.agreed_at is not None) == ("agreed", True)
    counts = {status: n for status, _label, n in difference_counts(world.clerk)}
    assert counts["agreed"] == 1 and counts["sent_to_police"] == 0
    # The next police list no longer carries An.
    rows = police_sheet(client, world, world.commune_a)
    assert not [r for r in rows if r["Person (as in the book)"] == "Nguyễn Văn An"]
    # Residents still without a record are followed on the newer extract only, once each.
    assert [i.extract.filename for i in findings(resident__full_name="Trần Thị Hoa")] == ["v2.csv"]


def test_another_communes_people_see_nothing_of_it(scanning, world, client):
    _book, slots, _extract = scanning
    wf.record_enter(record=slots[0], actor=world.clerk, data=AN)
    assert differences(world.clerk).exists()
    assert not differences(world.outsider).exists() and not differences(world.approver_b).exists()
    client.force_login(world.approver_b)
    assert client.post(reverse("transfer_police_list"), {"unit": world.commune_a.pk}).status_code == 404
    page = client.get(reverse("transfer_reconciliation")).content.decode()
    assert "Nguyễn Văn An" not in page and "Trần Thị Hoa" not in page
    assert not AuditEvent.objects.filter(action="export_police_list").exists()


def test_the_worklist_filters_by_side_kind_and_status(scanning, world, client):
    _book, slots, _extract = scanning
    wf.record_enter(record=slots[0], actor=world.clerk, data=AN)
    client.force_login(world.clerk)
    url = reverse("transfer_reconciliation")
    police = client.get(url, {"direction": "police", "status": "active"}).content.decode()
    assert "Nguyễn Văn An" in police and "Trần Thị Hoa" not in police
    civil = client.get(url, {"direction": "civil", "kind": "pending_book"}).content.decode()
    assert "Trần Thị Hoa" in civil and "03/03/2020" not in civil
    assert client.get(url, {"status": "bogus", "kind": "x"}).status_code == 200


def test_matching_a_case_on_entry_reads_no_more_with_a_larger_extract(scanning, world):
    """Indexed lookups per case: the statements of entering do not grow with the extract's size."""
    _book, slots, _extract = scanning
    with CaptureQueriesContext(connection) as small:
        wf.record_enter(record=slots[0], actor=world.clerk, data=AN)
    many = "".join(f",Người Số {n},Nam,01/01/2020,Kinh,Việt Nam\n" for n in range(300))
    population_import(actor=world.approver, unit=world.commune_a, content=(EXTRACT + many).encode())
    with CaptureQueriesContext(connection) as large:
        wf.record_enter(record=slots[1], actor=world.clerk, data=MAI)
    assert len(large) <= len(small)
    assert findings(record=slots[1], kind=DiffKind.DIFFERS)


def test_a_large_extract_is_matched_by_the_background_job_reporting_its_progress(
    world, django_capture_on_commit_callbacks
):
    book = world.book(cases=1, year=2020)
    world.walk(book.records.get(), "entered", data=AN)
    with django_capture_on_commit_callbacks(execute=True):
        extract = population_import(
            actor=world.approver, unit=world.commune_a, content=EXTRACT.encode(), match_inline=False
        )
    extract.refresh_from_db()
    # The job ran (immediately under tests) and matched the extract: An differs.
    assert extract.matched_at is not None and extract.differences == 1
    assert AuditEvent.objects.get(action="population_import").changes["matching"] == "background"
    # ... as a run of the approver's jobs that reached its end ("my jobs", with its live bar)
    run = Job.objects.get(kind="reconciliation", object_id=extract.pk)
    assert (run.owner, run.state, run.done, run.total) == (world.approver, "done", 5, 5)
    # Run again with a progress callable: batches report (done, total) up to the end; nothing changes.
    seen = []
    reconciliation_run(extract=extract, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] == 1 + 4 and [d for d, _t in seen] == sorted(d for d, _t in seen)
    assert ReconciliationItem.objects.filter(kind="differs").count() == 1
