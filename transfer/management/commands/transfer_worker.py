"""Run the transfer worker: `manage.py transfer_worker` (beside `manage.py db_worker`)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from transfer.adapters import default_adapter
from transfer.services import BatchReport
from transfer.worker import run_worker


class Command(BaseCommand):
    help = "Send approved records to the national civil-status database, batch after batch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--until-idle", action="store_true", help="stop when nothing is due")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # Built once: a TLS file missing or unreadable stops the worker now, saying which.
            adapter = default_adapter()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        stopping = {"now": False}

        def stop(signum: int, frame: Any) -> None:
            stopping["now"] = True  # finish the batch in hand, then leave

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        def report(r: BatchReport) -> None:
            self.stdout.write(
                f"batch: {r.claimed} claimed, {r.acknowledged} acknowledged, {r.rejected} rejected, "
                f"{r.retried} to retry, {r.superseded} superseded, {r.deferred} left for the next batch"
                f"{' — ' + r.error if r.error else ''}"
            )
            self.stdout.flush()

        self.stdout.write("Transfer worker started.")
        self.stdout.flush()
        run_worker(
            adapter=adapter, stop=lambda: stopping["now"], until_idle=options["until_idle"], on_batch=report
        )
