"""Background jobs of the import (django-tasks). Thin: each calls a service."""

from __future__ import annotations

from django_tasks import task

from imports import services


@task()
def import_check_task(job_id: int) -> dict[str, int]:
    """The dry run of an uploaded file (`services.import_job_check`)."""
    return services.import_job_check(job_id)


@task()
def import_commit_task(job_id: int) -> dict[str, int]:
    """Write the checked rows (`services.import_job_commit`); safe to run again after a crash."""
    return services.import_job_commit(job_id)
