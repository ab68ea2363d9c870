"""Run an import job's dry run or commit in this process (a worker killed mid-way can be resumed with it)."""

from django.core.management.base import BaseCommand

from imports import services


class Command(BaseCommand):
    help = "Check (--check) or commit (--commit) an import job; a commit already under way resumes."

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)
        parser.add_argument("--check", action="store_true")
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--batch", type=int, default=services.BATCH, help="rows per transaction")

    def handle(self, *args, job_id, check, commit, batch, **options):
        services.BATCH = batch
        progress = lambda n: self.stdout.write(f"\rrow {n}", ending="")  # noqa: E731
        if check:
            self.stdout.write(str(services.import_job_check(job_id, progress=progress)))
        if commit:
            self.stdout.write(str(services.import_job_commit(job_id, progress=progress)))
