"""Background tasks (django-tasks; `manage.py db_worker` runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_export(job_id: int) -> str:
    """Produce a queued export (Ministry sheet or ZIP of a large book, data-centre copy)."""
    from transfer.export_services import export_run

    return export_run(job_id=job_id).status
