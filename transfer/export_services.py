"""Export jobs: who may export what, produced inline or in the background, always access-logged."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_access
from jobs import services as runs
from jobs.models import Job, JobKind
from permissions.scoping import can
from registry.models import AdministrativeUnit, RegisterBook
from transfer.exports import (
    DirSink,
    ZipSink,
    datacentre_records,
    ministry_basename,
    ministry_excel,
    ministry_records,
    ministry_zip,
    write_datacentre_copy,
)
from transfer.models import ExportJob, ExportKind, ExportStatus

MINISTRY_KINDS = (ExportKind.MINISTRY_EXCEL, ExportKind.MINISTRY_ZIP)
DATACENTRE_KINDS = (ExportKind.DATACENTRE_FULL, ExportKind.DATACENTRE_INCREMENTAL)


class ExportRefused(Exception):
    """The export cannot be made; the message says why and what to do."""


class _Stopped(Exception):
    """A cancel was asked while the copy was being written."""


def _run_fields(job: ExportJob) -> dict[str, Any]:
    datacentre = job.kind in DATACENTRE_KINDS
    return {
        "kind": JobKind.DATACENTRE_COPY if datacentre else JobKind.EXPORT,
        "object_id": job.pk,
        "unit": job.unit,
        "title": f"{job.book if job.book_id else job.unit.name} ({job.get_kind_display()})",
        "result_url": reverse("transfer_exports"),
    }


def _require_export(actor: Actor | None, path: str, name: str) -> None:
    if actor is not None and not can(actor, "export_records", path):
        raise PermissionDenied(_("Your roles do not allow exporting records of %(unit)s.") % {"unit": name})


def ministry_file(*, book: RegisterBook, kind: str) -> tuple[str, bytes, int]:
    """Build the Ministry Excel sheet or ZIP of one book: (file name, bytes, number of cases)."""
    records = list(ministry_records(book))
    if not records:
        raise ExportRefused(
            _("Book %(book)s has no approved cases yet: approve them first, then export.") % {"book": book}
        )
    base = ministry_basename(book)
    if kind == ExportKind.MINISTRY_EXCEL:
        return f"{base}.xlsx", ministry_excel(book=book, records=records), len(records)
    content, _missing = ministry_zip(book=book, records=records)
    return f"{base}.zip", content, len(records)


def last_datacentre_export(unit: AdministrativeUnit) -> ExportJob | None:
    return (
        ExportJob.objects.filter(unit=unit, kind__in=DATACENTRE_KINDS, status=ExportStatus.DONE)
        .order_by("-started_at")
        .first()
    )


@transaction.atomic
def export_request(
    *,
    actor: Actor,
    kind: str,
    unit: AdministrativeUnit | None = None,
    book: RegisterBook | None = None,
    request: Any = None,
) -> ExportJob:
    """Queue an export to be produced in the background (`manage.py db_worker` runs it).

    Refused to users without "export_records" on the unit (or the book's custodian).
    An incremental data-centre copy covers what changed since the last finished copy of
    the unit; with none, it is refused (make a full copy first).
    """
    if book is not None:
        unit = book.custodian
    assert unit is not None
    _require_export(actor, unit.path, unit.name)
    since = None
    if kind == ExportKind.DATACENTRE_INCREMENTAL:
        last = last_datacentre_export(unit)
        if last is None:
            raise ExportRefused(
                _("There is no earlier copy of %(unit)s: make a full copy first.") % {"unit": unit.name}
            )
        since = last.started_at
    job = ExportJob.objects.create(
        kind=kind, unit=unit, unit_path=unit.path, book=book, since=since, requested_by=actor
    )
    audit_access(
        request=request,
        actor=actor,
        action=AuditAction.EXPORT_REQUESTED,
        unit_id=unit.pk,
        obj=job,
        changes={"kind": kind, "book": book.pk if book else None},
    )
    runs.job_queue(owner=actor, cancellable=True, **_run_fields(job))
    from transfer.tasks import run_export

    # The job row and the queued task commit together (django-tasks-db shares the transaction).
    run_export.enqueue(job.pk)
    return job


def export_run(*, job_id: int) -> ExportJob:
    """Produce a queued export's file. Failures are kept on the job with their message.

    A data-centre copy reports its progress per record and stops on request at the next one:
    the half-written archive is dropped (it was only in memory), nothing is stored. A Ministry
    file is built in one step: it can be stopped only while queued.
    """
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update(no_key=True, of=("self",))
            .select_related("unit", "book__custodian")
            .get(pk=job_id)
        )
        if job.status != ExportStatus.QUEUED:
            return job
        job.status = ExportStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    datacentre = job.kind in DATACENTRE_KINDS or job.book is None
    total = datacentre_records(unit_path=job.unit.path, since=job.since).count() if datacentre else 1
    run = runs.job_begin(owner=job.requested_by, total=total, cancellable=datacentre, **_run_fields(job))
    try:
        if runs.job_cancel_requested(run):
            raise _Stopped
        if not datacentre and job.book is not None:
            filename, content, count = ministry_file(book=job.book, kind=job.kind)
            manifest_sha = ""
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                manifest = write_datacentre_copy(
                    sink=ZipSink(archive), unit=job.unit, since=job.since, progress=_copy_progress(run)
                )
            stamp = timezone.localtime(job.started_at).strftime("%Y%m%d-%H%M%S")
            filename = f"datacentre_{job.unit.code}_{manifest['kind']}_{stamp}.zip"
            content, count, manifest_sha = buffer.getvalue(), manifest["records"], manifest["manifest_sha256"]
    except _Stopped:
        message = _("Stopped on request: no file was kept. Request the export again when needed.")
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.CANCELLED, error=message, finished_at=timezone.now()
        )
        runs.job_cancelled(run, message=message)
        job.refresh_from_db()
        return job
    except Exception as exc:  # the job must say why it failed, whatever the cause
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        runs.job_fail(run, message=str(exc))
        job.refresh_from_db()
        return job
    job.file.save(f"{job.pk}-{filename}", ContentFile(content), save=False)
    job.filename = filename
    job.record_count = count
    job.manifest_sha256 = manifest_sha
    job.status = ExportStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "filename", "record_count", "manifest_sha256", "status", "finished_at"])
    runs.job_finish(run)
    return job


def _copy_progress(run: Job) -> Any:
    def report(done: int) -> None:
        runs.job_progress(run, done=done)
        if runs.job_cancel_requested(run):
            raise _Stopped

    return report


@transaction.atomic
def datacentre_export_to_folder(
    *,
    unit: AdministrativeUnit,
    dest: Path,
    incremental: bool = False,
    since: dt.datetime | None = None,
    actor: Actor | None = None,
) -> tuple[ExportJob, dict[str, Any]]:
    """Write a data-centre copy of `unit` into the folder `dest` (the command line's way). Logged as a job.

    Refused if `dest` exists and is not empty, or for an incremental copy with no earlier copy.
    """
    if dest.exists() and any(dest.iterdir()):
        raise ExportRefused(_("%(dest)s is not empty: give a new folder.") % {"dest": dest})
    _require_export(actor, unit.path, unit.name)
    if incremental and since is None:
        last = last_datacentre_export(unit)
        if last is None:
            raise ExportRefused(
                _("There is no earlier copy of %(unit)s: make a full copy first.") % {"unit": unit.name}
            )
        since = last.started_at
    started = timezone.now()
    manifest = write_datacentre_copy(sink=DirSink(dest), unit=unit, since=since)
    job = ExportJob.objects.create(
        kind=ExportKind.DATACENTRE_INCREMENTAL if since else ExportKind.DATACENTRE_FULL,
        unit=unit,
        unit_path=unit.path,
        since=since,
        status=ExportStatus.DONE,
        filename=str(dest),
        record_count=manifest["records"],
        manifest_sha256=manifest["manifest_sha256"],
        requested_by=actor,
        started_at=started,
        finished_at=timezone.now(),
    )
    audit_access(
        actor=actor,
        action=AuditAction.EXPORT_DATACENTRE,
        unit_id=unit.pk,
        obj=job,
        changes={"dest": str(dest), "records": manifest["records"], "kind": manifest["kind"]},
    )
    return job, manifest
