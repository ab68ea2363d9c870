"""Import jobs: upload, dry run, commit (resumable), and the entry point the benchmark calls.

- `import_job_create` stores the file and reads its start (format, encodings, header):
  refused with a message for a file that cannot be read.
- `import_job_check` (the dry run) validates every row and checks duplicates, writing one
  `ImportRow` per row, and keeps the rows' cleaned data for the commit (`imports.spool`, signed,
  with the hash of the file it read); nothing else is written.
- `import_job_commit` writes the rows that passed, a batch per transaction, through
  `workflows.services.records_import` (the bulk service that creates records in their
  entered or approved state with COPY: role check, one hash-chained audit row per record, work
  items, counters, outbox), then open duplicate pairs for the likely duplicates the dry run found.
  It does not validate the rows again: it reads the dry run's cleaned rows, after checking that
  the uploaded file is still the one checked (else it refuses: check again). Each batch is
  re-checked against the database first (hard duplicates written since the dry run; what slips
  through a race, the database's unique constraints refuse and the batch fails whole with a
  message), and a row committed in an earlier run (or an earlier file) is skipped: killed mid-way
  and run again, every row lands exactly once.

Rows are read from the file lazily, `BATCH` at a time, and nothing of a batch is kept after
it is written, so memory does not grow with the file.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.copying import copy_insert
from audit.services import audit_change
from imports import reading
from imports.checking import (
    ALREADY,
    INVALID,
    LIKELY,
    VALID,
    BookFinder,
    RowOutcome,
    check_against_database,
    check_row,
    key_index_flush,
    person_json,
)
from imports.models import (
    ImportBook,
    ImportJob,
    ImportProfile,
    ImportRow,
    ImportStatus,
    RowStatus,
    TargetState,
)
from imports.spool import (
    SpoolWriter,
    file_sha256,
    spool_batches,
    spool_load,
    spool_remove,
    spool_source_sha256,
)
from jobs import services as runs
from jobs.models import Job, JobKind
from registry.matching import _pair_key, pairs_routed
from registry.models import CivilRecord, DuplicatePair, Party, RegisterBook
from registry.services import book_register, competence_for
from scans.intake import local_copy
from vietnamese.names import name_exact_key, name_key
from workflows.services import ImportedCase, import_permission_check, records_import

if TYPE_CHECKING:
    from registry.record_data import CleanParty, CleanRecord

BATCH = 1000


def job_file_path(job: ImportJob) -> Path:
    """The uploaded file on this machine's disk: itself, or a cached copy when files live in S3."""
    return local_copy(job.file, job.sha256, suffix=Path(job.original_name).suffix.lower())


def import_job_create(
    *,
    actor: Actor,
    unit: Any,
    event_type: str,
    upload: Any,
    original_name: str,
    target_state: str = TargetState.ENTERED,
    profile: ImportProfile | None = None,
    book_no: str = "",
    book_year: int | None = None,
    text_encoding: str | None = None,
) -> ImportJob:
    """Store the uploaded file and read its start. Raises `reading.ImportFileError` (nothing stored)
    for a file that cannot be read, `PermissionDenied` for a state the actor may not import into.

    An `EncodingUnknown` file is stored with status "uploaded" and the message asking for the
    encoding: the user chooses it on the preview screen.
    """
    import_permission_check(actor=actor, unit=unit, state=target_state)
    reading.kind_of(original_name)
    job = ImportJob(
        unit=unit,
        event_type=event_type,
        target_state=target_state,
        profile=profile,
        mapping=dict(profile.mapping) if profile else {},
        book_no=book_no.strip(),
        book_year=book_year,
        original_name=original_name[:255],
        created_by=actor,
    )
    job.file.save(Path(original_name).name, File(upload), save=False)
    with job.file.open("rb") as handle:
        job.sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    path = job_file_path(job)
    try:
        source = reading.inspect_file(path, original_name=original_name, text_encoding=text_encoding)
    except reading.EncodingUnknown as exc:
        job.message = str(exc)
        job.save()
        return job
    except reading.ImportFileError:
        job.file.delete(save=False)
        raise
    job.text_encoding = source.text_encoding
    job.column_encodings = source.column_encodings
    job.total_rows = 0
    job.save()
    audit_change(
        action=AuditAction.IMPORT_UPLOAD,
        actor=actor,
        unit_id=unit.pk,
        obj=job,
        changes={"file": job.original_name, "sha256": job.sha256, "target_state": target_state},
    )
    return job


def import_job_source(job: ImportJob) -> reading.SourceFile:
    return reading.inspect_file(
        job_file_path(job),
        original_name=job.original_name,
        text_encoding=job.text_encoding or None,
        column_encodings=job.column_encodings,
    )


@transaction.atomic
def import_job_configure(
    *,
    job: ImportJob,
    actor: Actor,
    text_encoding: str,
    column_encodings: dict[str, str] | None,
    mapping: dict[str, str],
    save_profile_as: str = "",
) -> ImportJob:
    """Save the user's choices of encodings and column mapping (optionally as a named profile).
    With `column_encodings` None (the columns could not be shown yet), they are detected again
    in the chosen file encoding.

    Refused once the job is importing or done, and for an encoding that does not read the file.
    """
    job = ImportJob.objects.select_for_update(no_key=True).get(pk=job.pk)
    if job.status in (ImportStatus.COMMITTING, ImportStatus.DONE):
        raise ValidationError(_("This import has started: upload the file again to change its settings."))
    if text_encoding and text_encoding not in reading.TEXT_ENCODINGS:
        raise ValidationError(_("Choose the file's encoding from the list."))
    job.text_encoding = text_encoding
    if column_encodings is None:
        try:
            source = reading.inspect_file(
                job_file_path(job), original_name=job.original_name, text_encoding=text_encoding or None
            )
        except reading.ImportFileError as exc:
            raise ValidationError(str(exc)) from exc
        column_encodings = source.column_encodings
    job.column_encodings = {k: v for k, v in column_encodings.items() if v in (reading.TCVN3, reading.VNI)}
    job.mapping = {k: v for k, v in mapping.items() if v}
    job.message = ""
    job.status = ImportStatus.UPLOADED
    if save_profile_as.strip():
        profile, _created = ImportProfile.objects.update_or_create(
            name=save_profile_as.strip(),
            defaults={"event_type": job.event_type, "mapping": job.mapping, "target_state": job.target_state,
                      "created_by": actor},
        )  # fmt: skip
        job.profile = profile
    job.save()
    return job


@transaction.atomic
def import_job_queue_check(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Queue the dry run of an uploaded job. Refused once the job is importing or done, while its
    encoding is unknown, and to an actor who may not enter records of its unit."""
    job = ImportJob.objects.select_for_update(no_key=True, of=("self",)).select_related("unit").get(pk=job.pk)
    import_permission_check(actor=actor, unit=job.unit, state=TargetState.ENTERED)
    if job.status in (ImportStatus.COMMITTING, ImportStatus.DONE):
        raise ValidationError(_("This import has started: upload the file again to check it anew."))
    if not job.text_encoding and job.original_name.lower().endswith((".csv", ".txt", ".tsv")):
        raise ValidationError(_("Choose the file's encoding first, then save the settings."))
    job.status = ImportStatus.CHECKING
    job.checked_rows = 0
    job.save(update_fields=["status", "checked_rows"])
    _run_queue(job, JobKind.IMPORT_CHECK, actor)
    from imports.tasks import import_check_task

    transaction.on_commit(lambda: import_check_task.enqueue(job.pk))
    return job


def _run_fields(job: ImportJob) -> dict[str, Any]:
    return {
        "object_id": job.pk,
        "unit": job.unit,
        "title": job.original_name,
        "result_url": reverse("import_job", args=[job.pk]),
        "cancellable": True,
    }


def _run_queue(job: ImportJob, kind: str, actor: Actor) -> Job:
    """The progress row of a check or commit, queued with its task (both cancellable, see below)."""
    total = job.total_rows if kind == JobKind.IMPORT_COMMIT else 0
    return runs.job_queue(kind=kind, owner=actor, total=total, **_run_fields(job))


def _mark(job: ImportJob, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    for key, value in fields.items():
        setattr(job, key, value)


def _batches(source: reading.SourceFile) -> Any:
    rows = reading.iter_rows(source)
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def _row_model(
    job: ImportJob, o: RowOutcome, status: str | None = None, record_id: int | None = None
) -> ImportRow:
    return ImportRow(
        job=job,
        row_no=o.row_no,
        status=status or o.status,
        book_ref=o.book_ref[:64],
        entry_no=o.entry_no,
        identity_key=o.identity_key,
        dedup_keys=o.dedup_keys,
        name=o.name[:160],
        person=person_json(o.person) if o.status in (VALID, LIKELY) else None,
        problems=o.problems,
        candidates=o.candidates,
        record_id=record_id or o.existing_id,
    )


def import_job_check(job_id: int, *, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """The dry run: validate and duplicate-check every row; write only the row outcomes.

    A file-level problem (a broken row structure, a change of encoding) fails the job with
    its message and keeps no row outcomes. Stopped on request (between batches), it keeps no
    row outcomes either: the job is back to "uploaded", to be checked again.
    """
    job = ImportJob.objects.select_related("unit", "created_by").get(pk=job_id)
    _mark(job, status=ImportStatus.CHECKING, started_at=timezone.now(), message="")
    ImportRow.objects.filter(job=job).delete()
    run = runs.job_begin(kind=JobKind.IMPORT_CHECK, owner=job.created_by, **_run_fields(job))
    books = BookFinder(job.unit, job.event_type)
    counts = {"rows": 0, VALID: 0, LIKELY: 0, INVALID: 0, ALREADY: 0}
    spool_remove(job.pk)
    spool: SpoolWriter | None = None
    try:
        source = import_job_source(job)
        spool = SpoolWriter(job.pk, file_sha256(source.path))
        runs.job_progress(run, done=0, total=reading.count_rows(source))
        for batch in _batches(source):
            if runs.job_cancel_requested(run):
                spool.discard()
                ImportRow.objects.filter(job=job).delete()
                message = _(
                    "The check was stopped on request; no row was kept. Run the check again when ready."
                )
                _mark(
                    job,
                    status=ImportStatus.UPLOADED,
                    message=message,
                    finished_at=timezone.now(),
                    checked_rows=0,
                )
                runs.job_cancelled(run, message=message)
                return counts
            outcomes = [_check(job, raw) for raw in batch]
            check_against_database(
                outcomes, event_type=job.event_type, books=books, job_id=job.pk, dry_run=True
            )
            copy_insert(ImportRow, [_row_model(job, o) for o in outcomes])
            spool.write(outcomes)
            key_index_flush("import_row_dedup")
            for o in outcomes:
                counts[o.status] += 1
            counts["rows"] += len(outcomes)
            _mark(job, checked_rows=counts["rows"])
            runs.job_progress(run, done=counts["rows"])
            if progress:
                progress(counts["rows"])
    except reading.ImportFileError as exc:
        if spool is not None:
            spool.discard()
        ImportRow.objects.filter(job=job).delete()
        _mark(job, status=ImportStatus.FAILED, message=str(exc), finished_at=timezone.now(), checked_rows=0)
        runs.job_fail(run, message=str(exc))
        return counts
    except Exception as exc:
        if spool is not None:
            spool.discard()
        runs.job_fail(run, message=f"{type(exc).__name__}: {exc}")
        raise
    spool.close()
    _mark(
        job,
        status=ImportStatus.CHECKED,
        total_rows=counts["rows"],
        error_rows=counts[INVALID],
        duplicate_rows=counts[LIKELY],
        skipped_rows=counts[ALREADY],
        finished_at=timezone.now(),
    )
    runs.job_finish(run)
    return counts


def _check(job: ImportJob, raw: reading.RawRow) -> RowOutcome:
    return check_row(
        raw, event_type=job.event_type, mapping=job.mapping, default_book=(job.book_no, job.book_year)
    )


@transaction.atomic
def import_job_start_commit(*, job: ImportJob, actor: Actor, skip_invalid: bool = False) -> ImportJob:
    """Queue the commit of a checked job. Refused before the dry run, while rows have problems
    (unless `skip_invalid`: the valid rows are imported and the report keeps the rest), and to
    an actor who may not import into the job's state."""
    job = ImportJob.objects.select_for_update(no_key=True, of=("self",)).select_related("unit").get(pk=job.pk)
    import_permission_check(actor=actor, unit=job.unit, state=job.target_state)
    if job.status not in (ImportStatus.CHECKED, ImportStatus.COMMITTING, ImportStatus.FAILED) or (
        job.status == ImportStatus.FAILED and not job.rows.exists()
    ):
        raise ValidationError(_("Run the check (dry run) of this file first and read its report."))
    if job.error_rows and not skip_invalid:
        raise ValidationError(
            _(
                "%(n)d rows have problems: correct them in the file and upload it again, or choose to import "
                "the valid rows only (the report keeps the others)."
            )
            % {"n": job.error_rows}
        )
    job.skip_invalid = skip_invalid
    job.status = ImportStatus.COMMITTING
    job.save(update_fields=["skip_invalid", "status"])
    _run_queue(job, JobKind.IMPORT_COMMIT, actor)
    from imports.tasks import import_commit_task

    transaction.on_commit(lambda: import_commit_task.enqueue(job.pk))
    return job


def import_job_commit(job_id: int, *, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write the job's rows as records, a batch per transaction; resumable (see the module doc).

    Stopped on request, it stops between two batches: every batch is written whole or not at
    all, so the rows imported so far are complete records; the job says how far it went and
    "Import" again does the rest.
    """
    job = ImportJob.objects.select_related("unit", "created_by").get(pk=job_id)
    if job.status == ImportStatus.DONE:
        return {"skipped": 1}
    _mark(job, status=ImportStatus.COMMITTING, started_at=timezone.now(), message="")
    run = runs.job_begin(
        kind=JobKind.IMPORT_COMMIT, owner=job.created_by, total=job.total_rows, **_run_fields(job)
    )
    books = BookFinder(job.unit, job.event_type)
    counts = {"committed": 0, "already": 0, "invalid": 0, "likely": 0}
    committed_before = ImportRow.objects.filter(job=job, status=RowStatus.COMMITTED).count()
    seen = 0
    try:
        checked_sha = spool_source_sha256(job.pk)
        if checked_sha is not None and file_sha256(job_file_path(job)) != checked_sha:
            message = _(
                "The file was changed after it was checked: nothing was imported. Run the check "
                "(dry run) again, read its report, then import."
            )
            _mark(job, status=ImportStatus.FAILED, message=message)
            runs.job_fail(run, message=message)
            return counts
        for fresh in _checked_batches(job, spooled=checked_sha is not None):
            batch = fresh()
            if runs.job_cancel_requested(run):
                message = _(
                    "Stopped on request after %(n)d rows: the records imported so far are kept whole; "
                    "press Import to do the rest."
                ) % {"n": seen}
                _mark(job, status=ImportStatus.FAILED, message=message)
                runs.job_cancelled(run, message=message)
                return counts
            checked = _dry_run_of(job, batch)
            done = (RowStatus.COMMITTED, RowStatus.ALREADY)
            todo = [o for o in batch if checked[o.row_no][0] not in done]
            counts["already"] += len(batch) - len(todo)
            for attempt in range(2):
                if not todo:
                    break
                try:
                    _commit_batch(job, todo, checked, books, counts)
                    break
                except (ValidationError, PermissionDenied) as exc:
                    # PermissionDenied: the importer lost the role since the job started.
                    message = " ".join(getattr(exc, "messages", [str(exc)]))
                    _mark(job, status=ImportStatus.FAILED, message=message)
                    runs.job_fail(run, message=message)
                    return counts
                except IntegrityError as exc:
                    if attempt:  # raced twice with another writer: the batch fails, the job can resume
                        message = _(
                            "Rows %(first)d to %(last)d conflict with records written since the check "
                            "(%(detail)s); the rows before them are imported. Run the check again."
                        ) % {"first": todo[0].row_no, "last": todo[-1].row_no, "detail": _first_line(exc)}
                        _mark(job, status=ImportStatus.FAILED, message=message)
                        runs.job_fail(run, message=message)
                        return counts
                    books = BookFinder(job.unit, job.event_type)
                    todo = [o for o in fresh() if checked[o.row_no][0] not in done]
            seen += len(batch)
            _mark(job, committed_rows=committed_before + counts["committed"])
            runs.job_progress(run, done=seen)
            if progress:
                progress(batch[-1].row_no)
    except Exception as exc:
        runs.job_fail(run, message=f"{type(exc).__name__}: {exc}")
        raise
    _mark(job, status=ImportStatus.DONE, finished_at=timezone.now())
    spool_remove(job.pk)  # every row is written: the report reads the row outcomes
    runs.job_finish(run)
    return counts


def _first_line(exc: Exception) -> str:
    return str(exc).split("\n")[0]


def _checked_batches(job: ImportJob, *, spooled: bool) -> Iterator[Callable[[], list[RowOutcome]]]:
    """The job's rows a batch at a time, as the dry run found them (each call of a batch's function
    gives fresh outcomes, for a batch tried again): read back from the check's spool, or, for a job
    checked before spools existed, validated again from the file."""
    if spooled:
        # Batches of the commit's size, whatever the check's was.
        for payload in spool_batches(job.pk):
            outcomes: list[RowOutcome] | None = spool_load(payload)
            for start in range(0, len(outcomes or ()), BATCH):

                def part(payload: bytes = payload, start: int = start) -> list[RowOutcome]:
                    nonlocal outcomes
                    # The first call takes the loaded rows; a batch tried again loads them afresh.
                    rows, outcomes = outcomes or spool_load(payload), None
                    return _as_checked(rows[start : start + BATCH])

                yield part
    else:
        for raws in _batches(import_job_source(job)):

            def validated(raws: list[reading.RawRow] = raws) -> list[RowOutcome]:
                return [_check(job, raw) for raw in raws]

            yield validated


def _as_checked(outcomes: list[RowOutcome]) -> list[RowOutcome]:
    """Spooled outcomes as `check_row` leaves them: likely duplicates are valid rows until checked
    against the database again (`_commit_batch` takes their candidates from the row outcomes)."""
    for o in outcomes:
        if o.status == LIKELY:
            o.status, o.candidates = VALID, []
    return outcomes


def _dry_run_of(job: ImportJob, batch: list[RowOutcome]) -> dict[int, tuple[str, list[list[Any]]]]:
    """Row number -> (status, likely-duplicate candidates) of the batch's rows as last written."""
    rows = ImportRow.objects.filter(job=job, row_no__in=[r.row_no for r in batch])
    found = {
        no: (status, candidates)
        for no, status, candidates in rows.values_list("row_no", "status", "candidates")
    }
    return {r.row_no: found.get(r.row_no, ("", [])) for r in batch}


def _book_for(job: ImportJob, books: BookFinder, o: RowOutcome) -> RegisterBook:
    # A writable row (VALID or LIKELY) always names its book's year.
    assert o.book_year is not None
    book = books.find(o.book_no, o.book_year)
    if book is None:
        book = book_register(
            custodian=job.unit,
            event_type=job.event_type,
            year=o.book_year,
            book_no=o.book_no,
            actor=job.created_by,
            note=_("Created by the import of %(file)s.") % {"file": job.original_name},
        )
        books.remember(book)
        ImportBook.objects.get_or_create(job=job, book=book, defaults={"created": True})
    return book


@transaction.atomic
def _commit_batch(
    job: ImportJob,
    outcomes: list[RowOutcome],
    checked: dict[int, tuple[str, list[list[Any]]]],
    books: BookFinder,
    counts: dict[str, int],
) -> None:
    check_against_database(outcomes, event_type=job.event_type, books=books, job_id=job.pk, dry_run=False)
    if not job.skip_invalid and any(o.status == INVALID for o in outcomes):
        bad = next(o for o in outcomes if o.status == INVALID)
        raise ValidationError(
            _("Row %(row)d no longer passes the checks (%(problem)s): run the check again.")
            % {"row": bad.row_no, "problem": bad.problems[0][1]}
        )
    for o in outcomes:
        status, candidates = checked[o.row_no]
        if o.status == VALID and status == LIKELY:
            o.status, o.candidates = LIKELY, candidates
    writable = [o for o in outcomes if o.status in (VALID, LIKELY)]
    by_book: dict[int, list[tuple[RowOutcome, ImportedCase]]] = {}
    for o in writable:
        book = _book_for(job, books, o)
        by_book.setdefault(book.pk, []).append((o, _case(book, o, job)))
    for items in by_book.values():
        book = items[0][1].record.book
        records_import(book=book, cases=[case for _o, case in items], actor=job.created_by)
    row_record = {o.row_no: case.record.pk for items in by_book.values() for o, case in items}
    DuplicatePair.objects.bulk_create(pairs_routed(_pairs(job, writable, row_record)), ignore_conflicts=True)
    # A written row's outcome is the dry run's (kept or found again the same way) but for its status
    # and record; rows the database check turned away are written whole.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE imports_importrow r SET status = %s, record_id = w.record_id "
            "FROM unnest(%s::int[], %s::bigint[]) AS w(row_no, record_id) "
            "WHERE r.job_id = %s AND r.row_no = w.row_no",
            [RowStatus.COMMITTED.value, [o.row_no for o in writable],
             [row_record[o.row_no] for o in writable], job.pk],
        )  # fmt: skip
    rows = [_row_model(job, o) for o in outcomes if o.status in (ALREADY, INVALID)]
    ImportRow.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["job", "row_no"],
        update_fields=["status", "record", "problems", "candidates", "identity_key", "dedup_keys", "person"],
    )
    counts["committed"] += len(writable)
    counts["likely"] += sum(1 for o in writable if o.status == LIKELY)
    counts["already"] += sum(1 for o in outcomes if o.status == ALREADY)
    counts["invalid"] += sum(1 for o in outcomes if o.status == INVALID)


def _pairs(job: ImportJob, writable: list[RowOutcome], row_record: dict[int, int]) -> list[DuplicatePair]:
    """Open pairs for the likely duplicates: with records, and with the records of earlier rows of
    the file (this batch's, or committed before)."""
    wanted = {other for o in writable for kind, other, _v in o.candidates if kind == "row"} - set(row_record)
    if wanted:
        earlier = ImportRow.objects.filter(job=job, row_no__in=wanted, record__isnull=False)
        row_record = {**row_record, **dict(earlier.values_list("row_no", "record_id"))}
    pairs = []
    for o in writable:
        record_id = row_record[o.row_no]
        for kind, other, value in o.candidates:
            other_id = other if kind == "record" else row_record.get(other)
            if other_id and other_id != record_id:
                low, high = _pair_key(record_id, other_id)
                pairs.append(DuplicatePair(record_low_id=low, record_high_id=high, score=value, reasons=[]))
    return pairs


def _clean(o: RowOutcome) -> CleanRecord:
    """The validated data of a writable row (VALID or LIKELY rows always have it)."""
    assert o.clean is not None
    return o.clean


def _case(book: RegisterBook, o: RowOutcome, job: ImportJob) -> ImportedCase:
    """The new record of a writable row, its people, and the state the job imports it in."""
    clean = _clean(o)
    # A writable row passed the entry-number check.
    assert o.entry_no is not None
    unit = book.custodian
    record = CivilRecord(
        book=book,
        unit=unit,
        unit_path=unit.path,
        event_type=book.event_type,
        entry_no=o.entry_no,
        competence=competence_for(book.authority_unit or unit, book.event_type),
        reg_year=clean.registration_date.year,
        reg_month=clean.registration_date.month,
        reg_day=clean.registration_date.day,
        registration_type=clean.registration_type,
        page_no=clean.page_no,
        event_year=clean.event_date.year,
        event_month=clean.event_date.month,
        event_day=clean.event_date.day,
        details=clean.details,
        as_written=list(clean.as_written),
        identity_key=o.identity_key,
        dedup_keys=o.dedup_keys,
        **clean.text,
    )
    return ImportedCase(
        record=record,
        parties=_parties(record, clean.parties),
        # Likely duplicates are never approved straight away: a supervisor decides first.
        state=job.target_state if o.status == VALID else TargetState.ENTERED,
        source={"job": job.pk, "file": job.original_name, "row": o.row_no},
    )


def _parties(record: CivilRecord, clean_parties: list[CleanParty]) -> list[Party]:
    return [
        Party(
            record=record,
            role=cp.role,
            full_name=cp.full_name,
            name_key=name_key(cp.full_name),
            name_exact_key=name_exact_key(cp.full_name),
            sex=cp.sex,
            birth_year=cp.birth_date.year,
            birth_month=cp.birth_date.month,
            birth_day=cp.birth_date.day,
            pin=cp.pin,
            **cp.text,
        )
        for cp in clean_parties
    ]


def legacy_import(
    path: str | Path,
    *,
    unit: Any,
    event_type: str,
    actor: Actor,
    original_name: str | None = None,
    target_state: str = TargetState.ENTERED,
) -> ImportJob:
    """Import a file end to end (create, dry run, commit) in this process; the benchmark's entry point.

    Rows with problems are skipped (and listed on the job), as with "import the valid rows only".
    """
    path = Path(path)
    with path.open("rb") as handle:
        job = import_job_create(
            actor=actor, unit=unit, event_type=event_type, upload=handle,
            original_name=original_name or path.name, target_state=target_state,
        )  # fmt: skip
    if job.message:
        raise reading.EncodingUnknown(job.message)
    import_job_check(job.pk)
    job.refresh_from_db()
    if job.status == ImportStatus.FAILED:
        raise reading.ImportFileError(job.message)
    ImportJob.objects.filter(pk=job.pk).update(skip_invalid=True, status=ImportStatus.COMMITTING)
    import_job_commit(job.pk)
    job.refresh_from_db()
    return job
