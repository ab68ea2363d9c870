"""The live sender: any thread queues a push and returns; one thread per process sends them in order.

Before it, each push ran `async_to_sync` in the calling thread: a thread that already ran an event
loop (playwright's, in the browser tests) lost its pushes, and a slow Redis held the request."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from workflows import live, live_sender


def member_of(group: str) -> str:
    """A channel of the test layer that has joined `group`."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def received(channel: str, count: int) -> list[dict]:
    """The next `count` messages on `channel`, or as many as arrive within 5 s."""
    layer = get_channel_layer()

    async def take() -> list[dict]:
        messages: list[dict] = []
        try:
            while len(messages) < count:
                messages.append(await asyncio.wait_for(layer.receive(channel), 5))
        except TimeoutError:
            pass
        return messages

    return async_to_sync(take)()


def test_a_push_from_a_thread_that_runs_an_event_loop_is_delivered():
    # Given a browser on unit 9101's inbox
    channel = member_of("inbox.unit.9101")

    # When a thread with a running event loop (playwright's) pushes
    async def in_a_loop() -> None:
        live.push_after_commit([live.unit_group(9101)], {"event": "claimed", "task": 1})

    asyncio.run(in_a_loop())

    # Then the message arrives
    assert live_sender.flush()
    assert received(channel, 1) == [{"type": "inbox.event", "payload": {"event": "claimed", "task": 1}}]


def test_pushes_from_two_threads_are_all_delivered_each_in_its_order():
    channel = member_of("inbox.unit.9102")

    def push(name: str) -> None:
        for n in range(20):
            live.push_after_commit([live.unit_group(9102)], {"event": "claimed", "task": n, "by": name})

    threads = [threading.Thread(target=push, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert live_sender.flush()
    payloads = [m["payload"] for m in received(channel, 40)]
    assert len(payloads) == 40
    for name in ("a", "b"):
        assert [p["task"] for p in payloads if p["by"] == name] == list(range(20))


class HeldLayer:
    """A channel layer whose sends wait (at most 5 s) until the test lets them through."""

    def __init__(self) -> None:
        self.sending = threading.Event()
        self.release = threading.Event()
        self.sent: list[int] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sending.set()
        for _ in range(500):
            if self.release.is_set():
                break
            await asyncio.sleep(0.01)
        self.sent.append(message["n"])


def send_n(n: int):
    async def job(layer) -> None:
        await layer.group_send("inbox.unit.1", {"type": "inbox.event", "n": n})

    return job


def test_a_held_layer_holds_no_caller_and_the_queue_keeps_only_the_newest(caplog):
    layer = HeldLayer()
    sender = live_sender.LiveSender(get_layer=lambda: layer, max_queued=3)
    # Given a push being sent while the layer is stuck
    sender.submit(send_n(0))
    assert layer.sending.wait(5)

    # When nine more are pushed
    with caplog.at_level(logging.WARNING, logger="workflows.live_sender"):
        for n in range(1, 10):
            sender.submit(send_n(n))
        # Then every caller returned before anything was sent
        assert layer.sent == []
        layer.release.set()
        assert sender.flush()

    # And only the one in flight and the newest three went out, in order; the loss is in the log
    assert layer.sent == [0, 7, 8, 9]
    assert "live push queue full (3): dropped 1 oldest" in caplog.text


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_redis_is_logged_not_raised_and_later_pushes_still_go(caplog):
    down = RedisChannelLayer(hosts=[f"redis://127.0.0.1:{closed_port()}/0"])
    layers = [down]
    held = HeldLayer()
    held.release.set()
    sender = live_sender.LiveSender(get_layer=lambda: layers[0])

    with caplog.at_level(logging.WARNING, logger="workflows.live_sender"):
        sender.submit(send_n(1))  # returns: the failure happens on the sender's thread
        assert sender.flush()
    assert "live push failed" in caplog.text
    assert "ConnectionError" in caplog.text

    # The sender survives the failure: once the layer answers, pushes go out again
    layers[0] = held
    sender.submit(send_n(2))
    assert sender.flush()
    assert held.sent == [2]


def test_a_forked_child_sends_through_a_thread_of_its_own():
    # Given a process whose sender thread runs
    ran: list[int] = []

    async def note(layer) -> None:
        ran.append(os.getpid())

    live_sender.submit(note)
    assert live_sender.flush() and ran == [os.getpid()]
    read_end, write_end = os.pipe()

    # When a forked child pushes
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        answer = b"0"
        try:
            ran.clear()
            live_sender.submit(note)
            answer = b"1" if live_sender.flush(5) and ran == [os.getpid()] else b"0"
        finally:
            os.write(write_end, answer)
            os._exit(0)
    os.waitpid(child, 0)

    # Then the child's push ran, in the child
    assert os.read(read_end, 1) == b"1"
    # And the parent's sender still sends
    live_sender.submit(note)
    assert live_sender.flush() and ran == [os.getpid(), os.getpid()]
