from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from workflows.claims import claims_expire


class Command(BaseCommand):
    help = "Send claims idle longer than CLAIM_IDLE_MINUTES back to the queue (once, or every N seconds)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=int, default=0, help="repeat every this many seconds")

    def handle(self, *args: Any, every: int = 0, **options: Any) -> None:
        while True:
            total = 0
            while n := claims_expire():
                total += n
            self.stdout.write(f"{total} idle claims went back to the queue.")
            if not every:
                return
            time.sleep(every)
