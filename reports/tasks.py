"""Background jobs of the progress app (django-tasks)."""

from django_tasks import task

from reports.civil_stats import civil_stats_rebuild
from reports.services import periods_freeze_due, reports_freeze_due


@task()
def freeze_due_reports(days_back: int = 3) -> int:
    """Freeze every daily (and month, quarter, year) report whose cut-off has passed; return how many."""
    made = len(reports_freeze_due(days_back=days_back))
    return made + len(periods_freeze_due(days_back=days_back))


@task()
def civil_stats_refresh() -> int:
    """Recompile the civil-data statistics from the records; return how many records were counted."""
    return civil_stats_rebuild().records
