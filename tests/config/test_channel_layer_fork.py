"""The PostgreSQL channel layer (live updates without Redis) in forked processes.

gunicorn's workers (with --preload) and the benchmark's writers are forked from a process that may
already have sent a live update: a child must open its own connection, and leave its parent's open.
Sharing it, two processes wrote one socket and read each other's answers: the benchmark's writers
hung for good on their first live push."""

import os

import pytest
from asgiref.sync import async_to_sync

from config.channel_layer import PostgresChannelLayer


def send(layer: PostgresChannelLayer) -> None:
    async_to_sync(layer.group_send)("inbox.test", {"type": "inbox.event", "task": 1})


@pytest.mark.django_db
def test_a_forked_child_sends_on_a_connection_of_its_own_and_leaves_its_parents():
    # Given a layer that has sent a message (its connection is open)
    layer = PostgresChannelLayer()
    send(layer)
    parent_connection = layer._sender
    parent_backend = parent_connection.get_backend_pid()
    read_end, write_end = os.pipe()
    # When a forked child sends one too
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        answer = b"0"
        try:
            send(layer)
            own = layer._sender is not parent_connection
            answer = b"1" if own and layer._sender.get_backend_pid() != parent_backend else b"0"
        finally:
            os.write(write_end, answer)
            os._exit(0)
    os.waitpid(child, 0)
    # Then the child used a connection of its own
    assert os.read(read_end, 1) == b"1"
    # And the parent's connection is still open and still sends
    send(layer)
    assert layer._sender is parent_connection and not parent_connection.closed
    assert parent_connection.get_backend_pid() == parent_backend
