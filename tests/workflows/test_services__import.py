"""records_import: the bulk service that creates imported cases in their entered or approved state."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from audit.verification import verify_chains
from registry.models import CivilRecord, Party
from registry.services import competence_for
from transfer.models import TransferItem
from workflows.machine import TransitionRefused
from workflows.models import RecordTask
from workflows.services import ImportedCase, records_import

pytestmark = pytest.mark.django_db


def cases(book, state, entries=(101, 102)):
    unit = book.custodian
    found = []
    for entry_no in entries:
        record = CivilRecord(
            book=book, unit=unit, unit_path=unit.path, event_type=book.event_type, entry_no=entry_no,
            competence=competence_for(unit, book.event_type), reg_year=book.year,
        )  # fmt: skip
        party = Party(record=record, role="subject", full_name=f"Nguyễn Văn {entry_no}")
        found.append(ImportedCase(record=record, parties=[party], state=state, source={"row": entry_no}))
    return found


def test_entered_cases_get_their_people_audit_rows_and_attach_work(world):
    book = world.book()
    records = records_import(book=book, cases=cases(book, "entered"), actor=world.clerk)
    assert {r.state for r in CivilRecord.objects.filter(pk__in=[r.pk for r in records])} == {"entered"}
    assert Party.objects.filter(record__in=records).count() == 2
    events = AuditEvent.objects.filter(action="import", record_id_value__in=[r.pk for r in records])
    assert {(e.actor_id, e.changes["imported_as"]) for e in events} == {(world.clerk.pk, "entered")}
    assert events.count() == 2
    assert list(verify_chains()) == []
    assert RecordTask.objects.filter(record__in=records, stage="attach", finished__isnull=True).count() == 2
    assert not TransferItem.objects.filter(record__in=records).exists()


def test_a_province_admin_imports_an_official_source_as_approved_into_the_outbox(world):
    book = world.book()
    records = records_import(book=book, cases=cases(book, "approved"), actor=world.admin)
    stored = CivilRecord.objects.filter(pk__in=[r.pk for r in records])
    assert {(r.state, r.approved_by_id) for r in stored} == {("approved", world.admin.pk)}
    assert all("already-approved source" in e.reason for e in AuditEvent.objects.filter(action="import"))
    assert TransferItem.objects.filter(record__in=records).count() == 2


def test_a_clerk_may_not_import_as_approved_and_nothing_is_written(world):
    book = world.book()
    with pytest.raises(PermissionDenied, match="province administrator"):
        records_import(book=book, cases=cases(book, "approved"), actor=world.clerk)
    assert not CivilRecord.objects.filter(book=book, entry_no__gt=100).exists()


def test_no_import_creates_a_case_in_a_later_stage(world):
    book = world.book()
    with pytest.raises(TransitionRefused):
        records_import(book=book, cases=cases(book, "reviewed"), actor=world.admin)
    assert not CivilRecord.objects.filter(book=book, entry_no__gt=100).exists()


def test_an_outsider_may_not_import_into_another_commune(world):
    book = world.book()
    with pytest.raises(PermissionDenied):
        records_import(book=book, cases=cases(book, "entered"), actor=world.outsider)
