"""A channel layer across processes without Redis: group messages through PostgreSQL NOTIFY.

Pages (gunicorn's WSGI workers) and WebSockets (the uvicorn process) are different processes, so
an in-process layer would never carry a claim made in a page to a socket. With REDIS_URL the
layer is channels_redis (config/settings.py); without it (`make run` on a machine without Redis)
this one is used: `group_send` in any process is a `pg_notify` on its own autocommit connection,
and the process that holds sockets LISTENs (from its first `group_add`) and hands each message to
its in-process groups. Messages are small JSON (ids and labels: workflows/live.py, reports/live.py),
well under NOTIFY's 8,000-byte payload. Only group messages cross processes, which is all the
project uses; a message sent while no process listens is dropped, as with Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import threading
import weakref
from typing import Any

from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)
CHANNEL = "civreg_channel_layer"


def _connect() -> Any:
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        **db.get("OPTIONS", {}),
    }
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v not in (None, "")})
    conn.autocommit = True
    return conn


# Layers of this process: a forked child (the bench's workers, gunicorn's with --preload) must not
# send on its parent's connection — two processes writing one socket read each other's answers and
# wait forever — nor close it (closing sends the server a Terminate for the parent's session).
_LAYERS: weakref.WeakSet[PostgresChannelLayer] = weakref.WeakSet()
_INHERITED: list[Any] = []  # parents' connections, kept open and unused so that no child closes them


def _after_fork_in_child() -> None:
    for layer in list(_LAYERS):
        if layer._sender is not None:
            _INHERITED.append(layer._sender)
        layer._sender = None
        layer._sender_lock = threading.Lock()
        layer._listener = None


os.register_at_fork(after_in_child=_after_fork_in_child)


class PostgresChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._sender: Any = None
        self._sender_lock = threading.Lock()
        self._listener: asyncio.Task | None = None
        _LAYERS.add(self)

    def _notify(self, payload: str) -> None:
        with self._sender_lock:
            for attempt in (1, 2):
                try:
                    if self._sender is None or self._sender.closed:
                        self._sender = _connect()
                    with self._sender.cursor() as cursor:
                        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])
                    return
                except Exception:
                    self._sender = None
                    if attempt == 2:
                        raise

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        # One short statement on a kept connection, blocking: run by each process's live sender thread.
        self._notify(json.dumps({"group": group, "message": message}))

    async def group_add(self, group: str, channel: str) -> None:
        await super().group_add(group, channel)
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        """LISTEN on a connection of its own; reconnects after a failure, one second later."""
        loop = asyncio.get_running_loop()
        while True:
            conn = None
            try:
                conn = await loop.run_in_executor(None, _connect)
                conn.cursor().execute(f"LISTEN {CHANNEL}")
                while True:
                    await loop.run_in_executor(None, select.select, [conn], [], [], 5)
                    conn.poll()
                    while conn.notifies:
                        note = conn.notifies.pop(0)
                        data = json.loads(note.payload)
                        await InMemoryChannelLayer.group_send(self, data["group"], data["message"])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("channel layer: listening on PostgreSQL failed; again in 1 s")
                await asyncio.sleep(1)
            finally:
                if conn is not None:
                    conn.close()


class InProcessChannelLayer(InMemoryChannelLayer):
    """The tests' in-process layer, safe to send to from another thread's event loop.

    Live messages are sent from the live sender's loop (workflows/live_sender.py) while consumers
    wait in theirs; asyncio's queues belong to one loop, and a put from another thread wakes the
    waiting loop late or not at all. A message for a channel whose receiver's loop is running in
    another thread is put there, through that loop's thread-safe call.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._receiving_loops: dict[str, asyncio.AbstractEventLoop] = {}

    async def receive(self, channel: str) -> Any:
        self._receiving_loops[channel] = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        loop = self._receiving_loops.get(channel)
        if loop is None or not loop.is_running() or loop is asyncio.get_running_loop():
            await super().send(channel, message)
            return
        # Same order as sent: the target loop runs these callbacks, and then their tasks, first in first out.
        put = InMemoryChannelLayer.send(self, channel, message)
        loop.call_soon_threadsafe(loop.create_task, put)

    async def flush(self) -> None:
        await super().flush()
        self._receiving_loops = {}
