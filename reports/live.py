"""Live dashboard pushes: after a commit, tell the dashboards of the unit and its ancestors to refresh.

At most one message per unit every PROGRESS_PUSH_SECONDS (a cache key per unit),
so a burst of transitions costs one message; the page fetches its figures again
shortly after a message and once more after the throttle window, so the last
change of a burst is not missed. The throttle and the sending run on the process's
live sender (workflows/live_sender.py): with Redis as the cache, the committing
request waits for neither.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache

from workflows import live_sender


def progress_group(unit_id: int | str) -> str:
    return f"progress.{unit_id}"


def progress_push(*, unit_path: str) -> None:
    """Queue "changed" for the unit at `unit_path` and every ancestor not pushed recently; never waits."""
    live_sender.submit(partial(_send_changed, unit_path))


async def _send_changed(unit_path: str, layer: Any) -> None:
    for unit_id in unit_path.strip("/").split("/"):
        # A blocking call on the sender's own loop: it holds up later pushes, never a request.
        if not unit_id or not cache.add(
            f"progress-push:{unit_id}", 1, timeout=settings.PROGRESS_PUSH_SECONDS
        ):
            continue
        # A failure ends the job and is logged by the sender: a lost push only delays a dashboard.
        await layer.group_send(progress_group(unit_id), {"type": "progress.changed", "unit": int(unit_id)})
