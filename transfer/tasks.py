"""Background tasks (django-tasks; `manage.py db_worker` runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_export(job_id: int) -> str:
    """Produce a queued export (Ministry sheet or ZIP of a large book, data-centre copy)."""
    from transfer.export_services import export_run

    return export_run(job_id=job_id).status


@task()
def run_reconciliation(extract_id: int) -> int:
    """Match a large population extract with the records of its unit, in batches; returns the
    number of differences found. (`reconciliation_run` takes a `progress(done, total)` callable.)"""
    from transfer.models import PopulationExtract
    from transfer.population_matching import reconciliation_run

    extract = PopulationExtract.objects.get(pk=extract_id)
    return reconciliation_run(extract=extract).differences
