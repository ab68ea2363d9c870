"""Background jobs of the progress app (django-tasks)."""

from django_tasks import task

from reports.services import reports_freeze_due


@task()
def freeze_due_reports(days_back: int = 3) -> int:
    """Freeze every daily report whose cut-off has passed and that is not frozen yet; return how many."""
    return len(reports_freeze_due(days_back=days_back))
