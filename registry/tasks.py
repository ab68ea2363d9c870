"""Background jobs of the scan pipeline (django-tasks). Thin: each calls a service."""

from __future__ import annotations

from django_tasks import task

from registry import scans


@task()
def book_split_task(job_id: int) -> dict[str, int]:
    """Cut a book scan into its cases (`registry.scans.split_job_run`)."""
    return scans.split_job_run(job_id)


@task()
def scan_batch_task(batch_id: int) -> dict[str, int]:
    """Match a batch of named files to their cases (`registry.scans.batch_run`)."""
    return scans.batch_run(batch_id)
