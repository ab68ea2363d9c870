from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.verification import verify_chains


class Command(BaseCommand):
    help = "Recompute the audit hash chains; exit non-zero naming the first bad row of each broken stream."

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = list(verify_chains())
        if breaks:
            for found in breaks:
                self.stderr.write(f"TAMPERED: {found}")
            raise CommandError(f"The audit trail was altered in {len(breaks)} stream(s).")
        self.stdout.write(self.style.SUCCESS("Audit trail intact."))
