from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from workflows.flows import processes_sync


class Command(BaseCommand):
    help = "Give every open record that has work and no active process its work item (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = processes_sync()
        self.stdout.write(self.style.SUCCESS(f"{started} records got a work item."))
