"""Recompute the likely-duplicate blocking keys of every record."""

from django.core.management.base import BaseCommand

from registry.matching import dedup_keys_rebuild


class Command(BaseCommand):
    help = "Recompute CivilRecord.dedup_keys from the people of each record (after the key scheme changes)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, **options):
        def progress(last_id: int, changed: int) -> None:
            self.stdout.write(f"  up to record {last_id}: {changed} changed")

        changed = dedup_keys_rebuild(batch=options["batch"], progress=progress)
        self.stdout.write(self.style.SUCCESS(f"{changed} records got new keys."))
