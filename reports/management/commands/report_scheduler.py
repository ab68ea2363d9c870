"""The cron that django-tasks lacks: wake up, enqueue the freezing of reports whose cut-off has passed."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from reports.civil_stats import civil_stats_due
from reports.tasks import civil_stats_refresh, freeze_due_reports


class Command(BaseCommand):
    help = (
        "Every --interval seconds, enqueue a job that freezes the daily reports whose cut-off has passed, "
        "and one that recompiles the civil-data statistics when older than CIVIL_STATS_EVERY_MINUTES "
        "(commune 17:00, district 17:30, province 18:00 by default; see REPORT_CUTOFF_*). "
        "Frozen reports are never recomputed; numbers are taken as of the cut-off even if the job runs late."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60, help="seconds between checks (default 60)")
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument(
            "--inline", action="store_true", help="freeze in this process instead of enqueuing"
        )
        parser.add_argument("--days-back", type=int, default=3, help="also catch up missed days (default 3)")

    def handle(self, *args, interval, once, inline, days_back, **options):
        while True:
            stats_due = civil_stats_due(settings.CIVIL_STATS_EVERY_MINUTES)
            if inline:
                made = freeze_due_reports.call(days_back=days_back)
                self.stdout.write(f"frozen {made} report(s)")
                if stats_due:
                    self.stdout.write(f"civil-data statistics: {civil_stats_refresh.call()} records")
            else:
                freeze_due_reports.enqueue(days_back=days_back)
                if stats_due:
                    civil_stats_refresh.enqueue()
            if once:
                return
            time.sleep(interval)
