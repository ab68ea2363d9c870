"""Reads of jobs: a user's own runs, and one run for its owner or a supervisor of its unit."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_access
from jobs.models import Job
from jobs.services import may_cancel
from permissions.scoping import scope_q, scopes_with


def supervises_jobs(user: Actor) -> bool:
    """Does `user` manage a unit (and so may follow and stop the jobs run in its subtree)?"""
    return bool(user.is_superuser or scopes_with(user, "manage_unit"))


def jobs_of(user: Actor, *, state: str = "", units: bool = False) -> QuerySet[Job]:
    """The runs `user` started, newest first (optionally in one state; "active" = queued or running);
    with `units`, every run in the subtrees of the units the user manages instead."""
    if units:
        jobs = Job.objects.filter(scope_q(user, "manage_unit")).select_related("owner")
    else:
        jobs = Job.objects.filter(owner=user)
    jobs = jobs.order_by("-created_at", "-id")
    if state == "active":
        return jobs.filter(state__in=["queued", "running"])
    return jobs.filter(state=state) if state else jobs


def get_job_for(user: Actor, pk: int, *, request: object = None) -> Job:
    """The run if `user` started it or supervises its unit; else 404 (a refusal is logged)."""
    job = Job.objects.filter(pk=pk).first()
    if job is None or not may_cancel(user, job):
        if job is not None:
            audit_access(
                request=request, actor=user, action=AuditAction.DENIED, unit_id=job.unit_id, obj=job,
                changes={"permission": "job_owner"},
            )  # fmt: skip
        raise Http404("No such job.")
    return job


def latest_job(*, kinds: list[str], object_id: int) -> Job | None:
    """The newest run of a domain row (for its page's progress bar)."""
    return Job.objects.filter(kind__in=kinds, object_id=object_id).order_by("-created_at", "-id").first()


def latest_jobs(*, kinds: list[str], object_ids: list[int]) -> dict[int, Job]:
    """The newest run of each of these domain rows (one query, for a list's progress bars)."""
    runs: dict[int, Job] = {}
    for job in Job.objects.filter(kind__in=kinds, object_id__in=object_ids).order_by("created_at", "id"):
        runs[job.object_id] = job
    return runs
