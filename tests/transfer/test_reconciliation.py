"""Reconciliation with the population database: matching, the cleaning worklist, audited resolutions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import birth_input
from transfer.models import ReconciliationItem
from transfer.reconciliation import (
    population_import,
    reconciliation_fix_record,
    reconciliation_mark_population,
)
from transfer.selectors import open_differences
from workflows.machine import TransitionRefused

CSV = """soDinhDanh,hoTen,gioiTinh,ngaySinh,danToc,quocTich,noiThuongTru
001220012345,Nguyễn Văn An,Nam,03/03/2020,Kinh,Việt Nam,Xã An
001220099999,NGUYỄN VĂN BÌNH,1,2020-06-05,Tày,Việt Nam,Xã An
12345,Lê Thị Lỗi,2,01/01/1990,Kinh,Việt Nam,
,Phạm Văn Khác,1,01/01/1990,Kinh,Việt Nam,
"""


@pytest.fixture
def recon(world):
    by_pin = world.record(
        "approved", data=birth_input("Nguyễn Văn An", birth="02/03/2020", pin="001220012345")
    )
    by_name = world.record(
        "entered", data=birth_input("Nguyễn Văn Bình", birth="05/06/2020", reg="15/06/2020")
    )
    extract = population_import(
        actor=world.approver, unit=world.commune_a, content=CSV.encode(), filename="dc.csv"
    )
    return extract, by_pin, by_name


def diffs(record):
    return sorted(
        (i.party_role, i.field, i.ours, i.theirs, i.matched_by)
        for i in ReconciliationItem.objects.filter(record=record)
    )


def test_residents_are_matched_by_pin_else_by_name_and_birth_date(recon):
    extract, by_pin, by_name = recon
    assert (extract.row_count, extract.skipped) == (3, 1)
    assert "line 4" in extract.problems and "12 digits" in extract.problems
    assert (extract.matched_by_pin, extract.matched_by_name, extract.unmatched) == (1, 1, 1)
    assert diffs(by_pin) == [("subject", "birth_date", "02/03/2020", "03/03/2020", "pin")]
    assert diffs(by_name) == [
        ("subject", "ethnicity", "Kinh", "Tày", "name_dob"),
        ("subject", "pin", "", "001220099999", "name_dob"),
    ]
    event = AuditEvent.objects.get(action="population_import")
    assert event.changes["differences"] == 3 and event.actor_name == "approver_a"


def test_the_worklist_is_scoped(recon, world, django_assert_num_queries):
    assert open_differences(world.clerk).count() == 3
    assert open_differences(world.outsider).count() == 0
    with django_assert_num_queries(2):  # the user's scopes, then the page
        rows = list(open_differences(world.auditor))
        assert {r.record.book.book_no for r in rows}


def test_fixing_an_approved_record_amends_it_with_the_reason_and_sends_it_back_to_review(recon, world):
    _extract, by_pin, _ = recon
    item = ReconciliationItem.objects.get(record=by_pin, field="birth_date")
    # A clerk may not amend an approved record (issue 16): the unit's reviewer corrects it.
    reconciliation_fix_record(item=item, actor=world.reviewer, reason="Sổ gốc trang 12 ghi 03/03/2020")
    by_pin.refresh_from_db()
    assert by_pin.state == "attached"
    assert str(by_pin.subject().birth_date) == "03/03/2020"
    amend = AuditEvent.objects.get(record_id_value=by_pin.pk, action="amend")
    assert amend.reason == "Sổ gốc trang 12 ghi 03/03/2020"
    assert amend.changes["party.subject.birth_day"] == [2, 3]
    fix = AuditEvent.objects.get(record_id_value=by_pin.pk, action="reconcile_fix_record")
    assert fix.actor_name == "reviewer_a" and fix.changes["party.subject.birth_date"] == [
        "02/03/2020",
        "03/03/2020",
    ]
    item.refresh_from_db()
    assert (item.status, item.resolved_by) == ("fixed_ours", world.reviewer)


def test_fixing_a_record_being_entered_saves_the_draft(recon, world):
    _extract, _, by_name = recon
    item = ReconciliationItem.objects.get(record=by_name, field="pin")
    reconciliation_fix_record(item=item, actor=world.clerk, reason="Theo CCCD của công dân")
    by_name.refresh_from_db()
    assert (by_name.state, by_name.subject().pin) == ("entered", "001220099999")


def test_marking_that_the_population_database_must_change_is_audited(recon, world):
    _extract, _, by_name = recon
    item = ReconciliationItem.objects.get(record=by_name, field="ethnicity")
    reconciliation_mark_population(item=item, actor=world.approver, reason="Sổ gốc ghi dân tộc Kinh")
    item.refresh_from_db()
    assert item.status == "population_must_change"
    event = AuditEvent.objects.get(action="reconcile_population")
    assert (event.reason, event.record_id_value) == ("Sổ gốc ghi dân tộc Kinh", by_name.pk)
    with pytest.raises(TransitionRefused, match="already resolved"):
        reconciliation_fix_record(item=item, actor=world.clerk, reason="x")


def test_resolutions_need_a_reason_and_the_right_role(recon, world):
    _extract, _, by_name = recon
    item = ReconciliationItem.objects.get(record=by_name, field="ethnicity")
    with pytest.raises(ValidationError, match="Give a reason"):
        reconciliation_mark_population(item=item, actor=world.approver, reason=" ")
    with pytest.raises(PermissionDenied):
        reconciliation_mark_population(item=item, actor=world.clerk, reason="Sổ gốc")
    with pytest.raises(PermissionDenied):
        population_import(actor=world.clerk, unit=world.commune_a, content=CSV.encode())


def test_a_record_in_review_must_be_returned_before_it_is_corrected(world):
    record = world.record(
        "reviewed", data=birth_input("Nguyễn Văn An", birth="02/03/2020", pin="001220012345")
    )
    population_import(actor=world.approver, unit=world.commune_a, content=CSV.encode())
    item = ReconciliationItem.objects.get(record=record)
    with pytest.raises(TransitionRefused, match="return it for rework first"):
        reconciliation_fix_record(item=item, actor=world.clerk, reason="Sổ gốc")


def test_a_file_that_is_not_an_extract_says_what_is_expected(world):
    with pytest.raises(ValidationError, match="at least hoTen"):
        population_import(actor=world.approver, unit=world.commune_a, content=b"a,b\n1,2\n")
    with pytest.raises(ValidationError, match="not UTF-8"):
        population_import(
            actor=world.approver, unit=world.commune_a, content="hoTen\nNguyễn".encode("utf-16")
        )


def test_the_page_imports_lists_and_resolves_keeping_the_reason_on_an_error(world, client):
    record = world.record(
        "reviewed", data=birth_input("Nguyễn Văn An", birth="02/03/2020", pin="001220012345")
    )
    client.force_login(world.approver)
    upload = SimpleUploadedFile("dc.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("transfer_reconciliation"), {"unit": world.commune_a.pk, "file": upload})
    assert response.status_code == 302
    page = client.get(reverse("transfer_reconciliation")).content.decode()
    assert "Imported 3 residents: 1 matched by PIN" in page and "03/03/2020" in page
    item = ReconciliationItem.objects.get(record=record)
    response = client.post(
        reverse("transfer_resolve", args=[item.pk]), {"decision": "fix", "reason": "Sổ gốc trang 3"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "return it for rework first" in body and 'value="Sổ gốc trang 3"' in body
    response = client.post(
        reverse("transfer_resolve", args=[item.pk]), {"decision": "population", "reason": "Sổ gốc trang 3"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "population_must_change"
