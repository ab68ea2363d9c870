"""Progress of long jobs: start, report, finish, fail, and cancel — one API for every kind.

A job's body (a django-tasks task calling its app's service) does::

    job = job_begin(kind=..., object_id=..., owner=..., unit=..., title=..., result_url=..., total=n)
    for batch in ...:
        if job_cancel_requested(job):
            ...leave a clean state...; job_cancelled(job, message=...); return
        ...work, each step in its own transaction...
        job_progress(job, done=k)
    job_finish(job)

`job_progress` writes at most every `THROTTLE_SECONDS` (and always the last step), a single-row
UPDATE by primary key; `job_cancel_requested` reads one column at most as often: a loop may call
both at every step (measured on PostgreSQL: a write 0.3 ms, a check 0.4 ms, a call that the
throttle skips under 1 µs; so at most about 1 ms a second of a job's time). The writes run
outside the job's own transactions (each is its own autocommit statement when called between
them), so the bar moves while the job runs. The page polls the JSON of a run rather than
listening on a channel: the worker is another process, and the default in-process channel
layer cannot reach the browser from there.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from jobs.models import ACTIVE_STATES, Job, JobState
from permissions.scoping import can
from registry.models import AdministrativeUnit

THROTTLE_SECONDS = 0.5
clock = time.monotonic  # the throttle's clock (tests replace it)


def job_queue(
    *,
    kind: str,
    object_id: int,
    owner: Actor | None,
    unit: AdministrativeUnit | None,
    title: str,
    result_url: str = "",
    total: int = 0,
    cancellable: bool = False,
) -> Job:
    """A queued run, created in the transaction that queues its task (so both commit together)."""
    return Job.objects.create(
        kind=kind,
        object_id=object_id,
        owner=owner if getattr(owner, "pk", None) else None,
        unit=unit,
        unit_path=unit.path if unit else "",
        title=title[:255],
        result_url=result_url[:255],
        total=total,
        cancellable=cancellable,
    )


def job_begin(*, kind: str, object_id: int, total: int = 0, cancellable: bool = False, **fields: Any) -> Job:
    """Mark the queued run of this object running (the newest one), or start a run when none was
    queued (a direct call: the command line, the benchmark); `fields` as for `job_queue`. A run
    of the object still marked running was interrupted (its worker died and the job was resumed):
    it is marked failed."""
    Job.objects.filter(kind=kind, object_id=object_id, state=JobState.RUNNING).update(
        state=JobState.FAILED, message=_("Interrupted: the worker stopped; a new run took over."),
        finished_at=timezone.now(),
    )  # fmt: skip
    job = Job.objects.filter(kind=kind, object_id=object_id, state=JobState.QUEUED).order_by("-id").first()
    if job is None:
        job = job_queue(kind=kind, object_id=object_id, cancellable=cancellable, **fields)
    return job_running(job, total=total, cancellable=cancellable)


def job_running(job: Job, *, total: int = 0, cancellable: bool = False) -> Job:
    """The run starts now (of `total` steps, when known)."""
    now = timezone.now()
    job.state, job.started_at, job.updated_at = JobState.RUNNING, now, now
    job.total, job.done, job.cancellable = total, 0, cancellable
    job.save(update_fields=["state", "started_at", "updated_at", "total", "done", "cancellable"])
    job._written_at = clock()  # type: ignore[attr-defined]
    return job


def job_progress(job: Job, *, done: int, total: int | None = None) -> bool:
    """Report `done` (of `total`, when it changed); written at most every THROTTLE_SECONDS and
    always when done reaches total. Returns whether the row was written."""
    job.done = done
    if total is not None:
        job.total = total
    now = clock()
    last = getattr(job, "_written_at", None)
    final = bool(job.total) and done >= job.total
    if last is not None and now - last < THROTTLE_SECONDS and not final:
        return False
    job._written_at = now  # type: ignore[attr-defined]
    job.updated_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(done=job.done, total=job.total, updated_at=job.updated_at)
    return True


def job_cancel_requested(job: Job) -> bool:
    """Has someone asked this run to stop? Read at most every THROTTLE_SECONDS (one indexed
    single-column read), so a loop may ask at every step."""
    if job.cancel_requested_at is not None:
        return True
    now = clock()
    last = getattr(job, "_checked_at", None)
    if last is not None and now - last < THROTTLE_SECONDS:
        return False
    job._checked_at = now  # type: ignore[attr-defined]
    job.cancel_requested_at = (
        Job.objects.filter(pk=job.pk).values_list("cancel_requested_at", flat=True).first()
    )
    return job.cancel_requested_at is not None


def _end(job: Job, state: str, message: str) -> Job:
    job.state, job.message = state, message[:4000]
    job.finished_at = job.updated_at = timezone.now()
    if state == JobState.DONE and job.total:
        job.done = job.total
    Job.objects.filter(pk=job.pk).update(
        state=job.state, message=job.message, finished_at=job.finished_at, updated_at=job.updated_at,
        done=job.done, total=job.total,
    )  # fmt: skip
    return job


def job_finish(job: Job, *, message: str = "") -> Job:
    return _end(job, JobState.DONE, message)


def job_fail(job: Job, *, message: str) -> Job:
    return _end(job, JobState.FAILED, message)


def job_cancelled(job: Job, *, message: str) -> Job:
    """The run stopped at a safe point because a cancel was asked; `message` says what is kept."""
    return _end(job, JobState.CANCELLED, message)


def may_cancel(user: Actor, job: Job) -> bool:
    """The job's owner, or a supervisor (`manage_unit`) of its unit, may stop it."""
    if job.owner_id is not None and job.owner_id == user.pk:
        return True
    return bool(job.unit_path) and can(user, "manage_unit", job.unit_path)


@transaction.atomic
def job_cancel_request(*, job: Job, actor: Actor) -> Job:
    """Ask a running (or queued) job to stop at its next safe point; audited.

    Refused (PermissionDenied) to anyone but the owner and a supervisor of the job's unit;
    refused (ValidationError) for a job that cannot be stopped safely or has ended.
    """
    job = Job.objects.select_for_update(no_key=True).get(pk=job.pk)
    if not may_cancel(actor, job):
        raise PermissionDenied(
            _("Only the person who started this job or a supervisor of its unit may stop it.")
        )
    if not job.cancellable:
        raise ValidationError(_("This job cannot be stopped half-way safely: let it finish."))
    if job.state not in ACTIVE_STATES:
        raise ValidationError(_("This job has already ended."))
    if job.cancel_requested_at is None:
        job.cancel_requested_at, job.cancel_requested_by = timezone.now(), actor
        job.save(update_fields=["cancel_requested_at", "cancel_requested_by"])
        audit_change(
            action=AuditAction.JOB_CANCEL,
            actor=actor,
            unit_id=job.unit_id,
            obj=job,
            changes={"kind": job.kind, "object_id": job.object_id, "done": job.done, "total": job.total},
        )
    return job


def job_status(job: Job) -> dict[str, Any]:
    """What the progress bar shows (the JSON the page polls)."""
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.get_state_display(),
        "active": job.is_active,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "percent_text": f"{job.percent} %",
        "counts": job.counts_text,
        "time_left": job.time_left_text,
        "message": job.message,
        "result_url": job.result_url,
        "cancellable": job.cancellable and job.is_active and job.cancel_requested_at is None,
        "cancel_requested": job.cancel_requested_at is not None and job.is_active,
    }
