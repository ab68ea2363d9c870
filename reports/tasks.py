"""Background jobs of the progress app (django-tasks)."""

from django.conf import settings
from django_tasks import task

from audit.anchors import daily_anchor_due
from reports.services import reports_freeze_due


@task()
def freeze_due_reports(days_back: int = 3) -> int:
    """The daily work at the cut-offs; returns how many reports were frozen.

    First the day's audit anchor (once, when the earliest cut-off has passed: the chains' heads
    appended to the anchor file outside the database), then every daily report whose cut-off
    has passed and that is not frozen yet; each prints the short digest of the latest anchor.
    """
    daily_anchor_due(at=settings.REPORT_CUTOFFS.values())
    return len(reports_freeze_due(days_back=days_back))
