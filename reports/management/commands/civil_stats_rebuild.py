"""Recompile the civil-data statistics now (the report scheduler does it every few minutes)."""

from django.core.management.base import BaseCommand

from reports.civil_stats import civil_stats_rebuild


class Command(BaseCommand):
    help = "Recompile the statistics on the civil data (reports.CivilDataCount) from the records."

    def handle(self, *args, **options):
        snapshot = civil_stats_rebuild()
        self.stdout.write(
            f"counted {snapshot.records} records into {snapshot.rows} rows in {snapshot.seconds:.2f} s"
        )
