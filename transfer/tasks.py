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
    """Match a large population extract with the records of its unit, in batches, its progress on
    the run queued with it ("my jobs"); returns the number of differences found."""
    from django.utils.translation import gettext as _

    from jobs import services as runs
    from jobs.models import JobKind
    from transfer.models import PopulationExtract
    from transfer.population_matching import reconciliation_run

    extract = PopulationExtract.objects.select_related("unit").get(pk=extract_id)
    run = runs.job_begin(
        kind=JobKind.RECONCILIATION,
        object_id=extract.pk,
        owner=extract.imported_by,
        unit=extract.unit,
        title=extract.filename or extract.unit.name,
    )

    def progress(done: int, total: int) -> None:
        runs.job_progress(run, done=done, total=total)

    try:
        extract = reconciliation_run(extract=extract, progress=progress)
    except Exception as exc:
        runs.job_fail(run, message=str(exc))
        raise
    runs.job_finish(run, message=_("%(n)d differences found.") % {"n": extract.differences})
    return extract.differences
