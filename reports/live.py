"""Live dashboard pushes: after a commit, tell the dashboards of the unit and its ancestors to refresh.

At most one message per unit every PROGRESS_PUSH_SECONDS (a cache key per unit),
so a burst of transitions costs one message; the page fetches its figures again
shortly after a message and once more after the throttle window, so the last
change of a burst is not missed.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def progress_group(unit_id: int | str) -> str:
    return f"progress.{unit_id}"


def progress_push(*, unit_path: str) -> int:
    """Send "changed" to the unit at `unit_path` and every ancestor not pushed recently; return how many."""
    layer = get_channel_layer()
    if layer is None:
        return 0
    sent = 0
    for unit_id in unit_path.strip("/").split("/"):
        if not unit_id or not cache.add(
            f"progress-push:{unit_id}", 1, timeout=settings.PROGRESS_PUSH_SECONDS
        ):
            continue
        try:
            async_to_sync(layer.group_send)(
                progress_group(unit_id), {"type": "progress.changed", "unit": int(unit_id)}
            )
            sent += 1
        except Exception:  # a lost push only delays a dashboard; never fail the caller
            log.exception("progress push to unit %s failed", unit_id)
    return sent
