"""Recall and precision of the likely-duplicate check on generated name variants."""

from django.core.management.base import BaseCommand

from duplicates.evaluation import evaluate
from registry.matching import THRESHOLD


class Command(BaseCommand):
    help = "Measure the soft duplicate check on generated variants (see duplicates.evaluation.py)."

    def add_arguments(self, parser):
        parser.add_argument("--variants", type=int, default=2600, help="probes: duplicates and other people")
        parser.add_argument("--pool", type=int, default=None, help="original cases (default 2 × variants)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--threshold", type=int, action="append", help="repeat to sweep")

    def handle(self, *args, **options):
        for threshold in options["threshold"] or [THRESHOLD]:
            report = evaluate(
                variants=options["variants"], pool=options["pool"], seed=options["seed"], threshold=threshold
            )
            for line in report.lines():
                self.stdout.write(line)
            self.stdout.write("")
