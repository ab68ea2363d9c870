"""The commit writes with COPY from the dry run's kept rows: same rows as before (a changed file refused)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import models, transaction

from audit.models import AuditEvent
from audit.verification import verify_chains
from imports import services
from imports.models import ImportJob, ImportStatus
from imports.services import import_job_check, import_job_commit, import_job_start_commit, legacy_import
from registry.models import CivilRecord, Party, RegisterBook
from tests.imports.test_import import NAMES, birth_rows, upload, write_csv
from workflows.models import RecordProcess, RecordTask

pytestmark = pytest.mark.django_db


def _bulk_create(model, objs):
    model.objects.bulk_create(objs)


def _rows(model: type[models.Model], qs, ids: dict[str, dict[int, int]], kind: str) -> list[dict]:
    """The rows of `qs` with keys made relative (numbered in order) and times left out."""
    out = []
    for n, obj in enumerate(qs):
        ids.setdefault(kind, {})[obj.pk] = n
        row = {}
        for f in model._meta.concrete_fields:
            if f.primary_key or isinstance(f, models.DateTimeField):
                continue
            value = getattr(obj, f.attname)
            if f.is_relation and f.related_model in (CivilRecord, RecordProcess, RecordTask, ImportJob):
                value = ids.get(str(f.related_model._meta.model_name), {}).get(value, value)
            elif f.is_relation and f.related_model is RegisterBook and value is not None:
                value = RegisterBook.objects.get(pk=value).book_no  # the import creates its book
            row[f.name] = value
        out.append(row)
    return out


def _snapshot(job: ImportJob) -> dict[str, list[Any]]:
    """Everything the commit wrote for `job`, comparable between two runs of the same file."""
    ids: dict[str, dict[int, int]] = {"importjob": {job.pk: 0}}
    records = CivilRecord.objects.filter(unit_id=job.unit_id).order_by("book__book_no", "entry_no")
    snap: dict[str, list[Any]] = {"records": _rows(CivilRecord, records, ids, "civilrecord")}
    parties = Party.objects.filter(record__in=records).order_by("record__entry_no", "role")
    snap["parties"] = _rows(Party, parties, ids, "party")
    processes = RecordProcess.objects.filter(record__in=records).order_by("record__entry_no")
    snap["processes"] = _rows(RecordProcess, processes, ids, "recordprocess")
    tasks = RecordTask.objects.filter(process__in=processes).order_by("process__record__entry_no", "id")
    snap["tasks"] = _rows(RecordTask, tasks, ids, "recordtask")
    through = RecordTask.previous.through
    snap["links"] = sorted(
        (ids["recordtask"][a], ids["recordtask"][b])
        for a, b in through.objects.filter(from_recordtask__in=tasks).values_list(
            "from_recordtask_id", "to_recordtask_id"
        )
    )
    events = AuditEvent.objects.filter(action="import", record_id_value__in=records).order_by("seq")
    snap["audit"] = [
        {**row, "object_id": ids["civilrecord"][int(row["object_id"])], "seq": None, "hash": None,
         "prev_hash": None, "changes": {**row["changes"], "job": 0}}
        for row in _rows(AuditEvent, events, ids, "auditevent")
    ]  # fmt: skip
    for row in snap["audit"]:
        row["record_id_value"] = ids["civilrecord"][row["record_id_value"]]
    return snap


def test_the_copy_commit_writes_the_rows_bulk_create_wrote(world, tmp_path, monkeypatch):
    # Given a file of five births imported once through the ORM's bulk_create (the writer before COPY)
    path = write_csv(tmp_path, birth_rows())
    with transaction.atomic():
        with monkeypatch.context() as patched:
            patched.setattr("workflows.services.copy_insert", _bulk_create)
            patched.setattr("workflows.flows.copy_insert", _bulk_create)
            patched.setattr("audit.copying.copy_insert", _bulk_create)
            job = legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.clerk)
        before = _snapshot(job)
        assert len(before["records"]) == 5 and len(before["tasks"]) == 15 and len(before["audit"]) == 5
        transaction.set_rollback(True)
    # When the same file is imported with COPY
    job = legacy_import(path, unit=world.commune_a, event_type="birth", actor=world.clerk)
    # Then the records, people, work items and their links, and the audit rows are the same
    after = _snapshot(job)
    for table in before:
        assert after[table] == before[table], table
    # and the audit chain verifies
    assert list(verify_chains()) == []


def test_a_file_changed_between_check_and_commit_is_refused(world, tmp_path):
    # Given a checked file
    job = upload(world, write_csv(tmp_path, birth_rows()))
    import_job_check(job.pk)
    # When the stored file is changed before the import
    job.refresh_from_db()
    with open(job.file.path, "a", encoding="utf-8") as handle:
        handle.write("6,01/2005,6,11.03.2005\n")
    import_job_start_commit(job=job, actor=world.clerk)
    import_job_commit(job.pk)
    # Then nothing is imported and the job says to check it again
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "changed after it was checked" in job.message
    assert CivilRecord.objects.count() == 0


def test_the_commit_does_not_validate_rows_again(world, tmp_path, monkeypatch):
    job = upload(world, write_csv(tmp_path, birth_rows()))
    import_job_check(job.pk)
    calls = []
    monkeypatch.setattr(services, "check_row", lambda *a, **k: calls.append(a))
    import_job_start_commit(job=ImportJob.objects.get(pk=job.pk), actor=world.clerk)
    import_job_commit(job.pk)
    assert calls == []
    assert CivilRecord.objects.count() == 5


def test_a_conflict_the_database_refuses_fails_the_batch_with_a_message(world, tmp_path, monkeypatch):
    # Given a checked file whose first person is then entered by hand (before the commit)
    job = upload(world, write_csv(tmp_path, birth_rows()))
    import_job_check(job.pk)
    legacy_import(write_csv(tmp_path, birth_rows(NAMES[:1], year=2005), name="first.csv"),
                  unit=world.commune_a, event_type="birth", actor=world.clerk)  # fmt: skip
    # and a commit whose own duplicate check misses it (as a writer racing it would)
    monkeypatch.setattr(services, "check_against_database", lambda *a, **k: None)
    import_job_start_commit(job=ImportJob.objects.get(pk=job.pk), actor=world.clerk)
    import_job_commit(job.pk)
    # Then the database refuses the batch whole, and the job says which rows and what to do
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "Rows 2 to 6 conflict with records written since the check" in job.message
    assert CivilRecord.objects.count() == 1


def test_the_dry_runs_rows_are_dropped_once_imported(world, tmp_path):
    from imports.spool import spool_path

    job = upload(world, write_csv(tmp_path, birth_rows()))
    import_job_check(job.pk)
    assert spool_path(job.pk).exists()
    import_job_start_commit(job=ImportJob.objects.get(pk=job.pk), actor=world.clerk)
    import_job_commit(job.pk)
    assert not spool_path(job.pk).exists()
    assert isinstance(ImportJob.objects.get(pk=job.pk).finished_at, dt.datetime)


def test_imported_people_are_matched_with_the_population_extract(world, tmp_path):
    # Given the commune's population extract, in which a child of the file has another birth date
    from transfer.models import ReconciliationItem
    from transfer.reconciliation import population_import

    extract = "soDinhDanh,hoTen,gioiTinh,ngaySinh,danToc,quocTich,noiThuongTru\n" + (
        "001204012345,Nguyễn Văn Hùng,Nam,03/01/2004,Kinh,Việt Nam,Xã An\n"
    )
    population_import(actor=world.approver, unit=world.commune_a, content=extract.encode(), filename="dc.csv")
    rows = birth_rows()
    rows[0]["nksSoGiayToTuyThan"] = "001204012345"
    # When the file is imported (with COPY)
    legacy_import(write_csv(tmp_path, rows), unit=world.commune_a, event_type="birth", actor=world.clerk)
    # Then the imported record's difference is in the worklist, as for an entered one
    record = CivilRecord.objects.get(parties__role="subject", parties__full_name="Nguyễn Văn Hùng")
    found = ReconciliationItem.objects.filter(record=record)
    found = found.values_list("field", "ours", "theirs", "matched_by")
    assert list(found) == [("birth_date", "02/01/2004", "03/01/2004", "pin")]


def test_a_job_checked_without_kept_rows_is_validated_again_from_its_file(world, tmp_path):
    # Given a job checked on another machine, or before the check kept its rows
    from imports.spool import spool_path, spool_remove

    job = upload(world, write_csv(tmp_path, birth_rows()))
    import_job_check(job.pk)
    spool_remove(job.pk)
    assert not spool_path(job.pk).exists()
    # When it is imported, then its rows are read and validated from the file again
    import_job_start_commit(job=ImportJob.objects.get(pk=job.pk), actor=world.clerk)
    import_job_commit(job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE
    assert CivilRecord.objects.count() == 5
