"""Background jobs of the progress app (django-tasks)."""

from django.conf import settings
from django_tasks import task

from audit.anchors import daily_anchor_due
from reports.civil_stats import civil_stats_rebuild
from reports.services import periods_freeze_due, reports_freeze_due


@task()
def freeze_due_reports(days_back: int = 3) -> int:
    """The daily work at the cut-offs; returns how many reports were frozen.

    First the day's audit anchor (once, when the earliest cut-off has passed: the chains' heads
    appended to the anchor file outside the database), then every daily report whose cut-off
    has passed and that is not frozen yet (each prints the short digest of the latest anchor),
    then the month, quarter and year reports whose last day's cut-off has passed.
    """
    daily_anchor_due(at=settings.REPORT_CUTOFFS.values())
    made = len(reports_freeze_due(days_back=days_back))
    return made + len(periods_freeze_due(days_back=days_back))


@task()
def civil_stats_refresh() -> int:
    """Recompile the civil-data statistics from the records; return how many records were counted."""
    return civil_stats_rebuild().records
