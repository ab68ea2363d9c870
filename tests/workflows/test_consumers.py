"""Live inboxes over a WebSocket: a claim by B reaches A's open queue; a return reaches the clerk."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from workflows import claims
from workflows import services as wf
from workflows.consumers import InboxConsumer
from workflows.models import RecordTask

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def connect(user):
    communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), "/ws/inbox/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def next_event(communicator, event, timeout=3):
    """The next message of kind `event` (others, such as 'created', are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(deadline - loop.time(), 0.01))
        if message["event"] == event:
            return message


def test_a_claim_by_b_reaches_as_open_queue_and_not_another_commune(world):
    task = RecordTask.objects.get(book=world.book(cases=1), stage="scan")
    world.clerk2.first_name = "Bình"
    world.clerk2.save()

    async def scenario():
        a = await connect(world.clerk)
        outsider = await connect(world.outsider)
        await database_sync_to_async(claims.task_claim)(task=task.pk, actor=world.clerk2)
        message = await next_event(a, "claimed")
        assert message == {
            "event": "claimed",
            "task": task.pk,
            "stage": "scan",
            "record": task.record_id,
            "by": "Bình",
        }
        assert await outsider.receive_nothing(timeout=0.3)
        await a.disconnect()
        await outsider.disconnect()

    async_to_sync(scenario)()


def test_a_return_reaches_the_clerk_who_entered(world):
    record = world.record("attached")

    async def scenario():
        clerk = await connect(world.clerk)
        await database_sync_to_async(wf.record_return)(
            record=record.pk,
            actor=world.reviewer,
            reason="Sai tên mẹ",
            remarks={"mother.full_name": "Xem dòng 4"},
        )
        message = await next_event(clerk, "returned")
        assert message["reason"] == "Sai tên mẹ"
        assert message["record"] == record.pk
        assert str(record.entry_no) in message["label"]
        await clerk.disconnect()

    async_to_sync(scenario)()


def test_anonymous_sockets_are_refused(world):
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), "/ws/inbox/")
        communicator.scope["user"] = AnonymousUser()
        connected, _ = await communicator.connect()
        assert not connected

    async_to_sync(scenario)()
