"""The transfer worker loop: send due outbox items in batches until told to stop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections
from django.db.utils import DatabaseError

from transfer.adapters import NationalDbAdapter
from transfer.services import BatchReport, transfer_send_batch

logger = logging.getLogger(__name__)


def run_worker(
    *,
    adapter: NationalDbAdapter | None = None,
    stop: Callable[[], bool] = lambda: False,
    until_idle: bool = False,
    poll_seconds: float | None = None,
    on_batch: Callable[[BatchReport], None] | None = None,
) -> None:
    """Send batch after batch; sleep when nothing is due. `until_idle` returns when nothing is due."""
    poll = settings.TRANSFER_POLL_SECONDS if poll_seconds is None else poll_seconds
    while not stop():
        close_old_connections()
        try:
            report = transfer_send_batch(adapter=adapter)
        except DatabaseError:
            # The database went away (restart, failover): wait and try again.
            logger.exception("Transfer worker: database error; retrying in %.1f s", poll)
            time.sleep(poll)
            continue
        if on_batch and report.claimed:
            on_batch(report)
        if report.claimed == 0:
            if until_idle:
                return
            time.sleep(poll)
