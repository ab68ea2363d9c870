"""One sender per process for live messages: callers queue a job, one thread sends it to the channel layer.

A request that claims a task must not wait for Redis, and must not start an event loop to reach it:
`async_to_sync` per push started a thread and a loop each time (and channels_redis a connection
pool per loop: a new TCP connection per push), and it refuses to run in a thread that already runs
a loop (playwright's, in the browser tests), so the push was lost. Here a daemon thread owns one
event loop for the life of the process, the loop the channel layers want (channels_redis keeps its
connections per loop); any thread hands it a job and returns. Jobs run one at a time, in the order
they were queued.

The thread starts with the first job, and again in a forked child (gunicorn forks its workers from
a preloaded master: the master's thread does not exist in them). The queue is bounded: while the
layer is down or slow the oldest jobs are dropped, with a warning. A live message is a hint (every
page loads its data fresh), so losing one costs a reload, never data. `flush()` waits until the
queue is empty, for tests and for processes about to exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# An async function of the channel layer: sends one or more messages.
Job = Callable[[Any], Awaitable[None]]

MAX_QUEUED = 10_000  # ~a few MB of small dicts; a burst of transitions while Redis is away
JOB_TIMEOUT = 5.0  # seconds one job may take (a black-holed Redis) before it counts as failed
LOG_EVERY = 10.0  # seconds between two warnings of the same kind while the layer stays down


class LiveSender:
    """A queue of jobs and the thread with an event loop that runs them; see the module docstring."""

    def __init__(
        self,
        *,
        get_layer: Callable[[], Any] = get_channel_layer,
        max_queued: int = MAX_QUEUED,
        job_timeout: float = JOB_TIMEOUT,
    ):
        self._get_layer = get_layer
        self._max_queued = max_queued
        self._job_timeout = job_timeout
        self._reset()

    def _reset(self) -> None:
        """A fresh state: at construction and in a forked child (the parent's jobs are the parent's)."""
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._jobs: deque[Job] = deque()
        self._busy = False  # a drain is scheduled or running on the loop
        self._unfinished = 0  # jobs queued or running
        self._loop: asyncio.AbstractEventLoop | None = None
        # Jobs run in one context of their own, not in a copy of each caller's: what they keep in
        # asgiref Locals (Django's cache connection) lasts from one job to the next.
        self._context = contextvars.Context()
        self._thread: threading.Thread | None = None
        self._dropped = 0
        self._failed = 0
        self._last_warning: dict[str, float] = {}

    def after_fork_in_child(self) -> None:
        """Forget the parent's thread and jobs. Its loop object is kept, never closed: the parent's
        thread runs it (closing it here raises, and would close the descriptors it shares)."""
        if self._loop is not None:
            _INHERITED.append(self._loop)
        self._reset()

    def submit(self, job: Job) -> None:
        """Queue `job`; returns at once, from any thread, whether or not the thread runs a loop."""
        if self._pid != os.getpid():  # forked without the at-fork hook (a sender made by a test)
            self.after_fork_in_child()
        with self._lock:
            if len(self._jobs) >= self._max_queued:
                self._jobs.popleft()
                self._unfinished -= 1
                self._dropped += 1
                self._warn("dropped", "live push queue full (%d): dropped %d oldest", self._max_queued)
            self._jobs.append(job)
            self._unfinished += 1
            if self._busy and self._thread is not None and self._thread.is_alive():
                return  # the running drain takes it: no wake-up (a pipe write) per job in a burst
            self._busy = True
            loop = self._started()
        loop.call_soon_threadsafe(self._drain_soon, context=self._context)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every job queued so far has run (or been dropped); False if `timeout` ran out first."""
        if self._pid != os.getpid():
            self.after_fork_in_child()
        if threading.current_thread() is self._thread:
            return not self._jobs  # a job waiting for the queue it runs in would wait for itself
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._unfinished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _started(self) -> asyncio.AbstractEventLoop:
        """The loop, its thread started if this process has none yet (call with the lock held)."""
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=self._run, args=(loop,), name="live-sender", daemon=True)
            self._loop, self._thread = loop, thread
            thread.start()
        return self._loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    def _drain_soon(self) -> None:
        assert self._loop is not None
        self._loop.create_task(self._drain(), context=self._context)

    async def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._busy = False
                    return
                job = self._jobs.popleft()
            try:
                layer = self._get_layer()
                if layer is not None:
                    # Not wait_for: in 3.11 it runs the job in a task of its own, in a copy of the context.
                    async with asyncio.timeout(self._job_timeout):
                        await job(layer)
            except Exception:  # a push must never stop the sender; the page loads fresh anyway
                with self._lock:
                    self._failed += 1
                    self._warn("failed", "live push failed (%d since the last warning)", exc_info=True)
            finally:
                with self._lock:
                    self._unfinished -= 1
                    if not self._unfinished:
                        self._idle.notify_all()

    def _warn(self, kind: str, message: str, *args: Any, exc_info: bool = False) -> None:
        """At most one warning of a kind every LOG_EVERY seconds, with how many since the last one."""
        now = time.monotonic()
        if now - self._last_warning.get(kind, -LOG_EVERY) < LOG_EVERY:
            return
        self._last_warning[kind] = now
        count = self._dropped if kind == "dropped" else self._failed
        if kind == "dropped":
            self._dropped = 0
            logger.warning(message, *args, count)
        else:
            self._failed = 0
            logger.warning(message, count, exc_info=exc_info)


_INHERITED: list[asyncio.AbstractEventLoop] = []  # loops of the parent process, kept from the collector
_sender = LiveSender()
os.register_at_fork(after_in_child=_sender.after_fork_in_child)
atexit.register(_sender.flush, 2.0)  # a command's last pushes (claims_expire) go out before it exits


def submit(job: Job) -> None:
    """Queue `job` (an async function of the channel layer) on this process's sender; never waits."""
    _sender.submit(job)


def flush(timeout: float = 10.0) -> bool:
    """Wait until this process's queued live messages are sent; False if `timeout` ran out first."""
    return _sender.flush(timeout)
