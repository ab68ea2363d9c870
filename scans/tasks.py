"""Background jobs of the scan pipeline (django-tasks). Thin: each calls a service."""

from __future__ import annotations

from django_tasks import task

from scans import batches, book_split


@task()
def book_split_task(job_id: int) -> dict[str, int]:
    """Cut a book scan into its cases (`registry.book_split.split_job_run`)."""
    return book_split.split_job_run(job_id)


@task()
def scan_batch_task(batch_id: int) -> dict[str, int]:
    """Match a batch of named files to their cases (`registry.batches.batch_run`)."""
    return batches.batch_run(batch_id)
