from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from config.demo import DEMO_PASSWORD, DEMO_USERS, demo_seed


class Command(BaseCommand):
    help = "Create the demo province, users and records (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {created['users']} users, {created['books']} books, "
                f"{created['records_moved']} records moved through the workflow."
            )
        )
        if created["users"]:
            self.stdout.write(
                f"Demo logins (password {DEMO_PASSWORD}): admin, " + ", ".join(u.username for u in DEMO_USERS)
            )
