from django.core.management.base import BaseCommand

from reports.services import progress_rebuild


class Command(BaseCommand):
    help = "Recompute the progress counters from the records and the audit trail."

    def handle(self, *args, **options):
        for table, n in progress_rebuild().items():
            self.stdout.write(f"{table}: {n} rows")
