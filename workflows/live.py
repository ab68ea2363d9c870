"""Live inbox messages over channels, sent after the transaction that caused them commits.

A browser joins one group per unit it holds a role on (`inbox.unit.<id>`) and one
for its user (`inbox.user.<id>`). A task event goes to the groups of every unit
on the task's path, so a role on a district hears its communes and a commune
hears nothing of its neighbours. Messages carry ids and a display name, never
record data: the browser reloads what it shows through the scoped pages.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from audit.actors import Actor
from workflows import live_sender


def unit_group(unit_id: int | str) -> str:
    return f"inbox.unit.{unit_id}"


def user_group(user_id: int | str) -> str:
    return f"inbox.user.{user_id}"


def path_groups(unit_path: str) -> list[str]:
    return [unit_group(part) for part in unit_path.strip("/").split("/") if part]


async def _group_send_all(messages: list[tuple[list[str], dict[str, Any]]], layer: Any) -> None:
    for groups, payload in messages:
        for group in groups:
            await layer.group_send(group, {"type": "inbox.event", "payload": payload})


def _send_all(messages: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Hand the messages to this process's sender (workflows/live_sender.py): the caller never waits."""
    if messages:
        live_sender.submit(partial(_group_send_all, messages))


def _send(groups: list[str], payload: dict[str, Any]) -> None:
    _send_all([(groups, payload)])


class _Pushes(list):
    """The messages of one transaction (at one savepoint level), sent together after it commits."""

    def __call__(self) -> None:
        _send_all(list(self))


def push_after_commit(groups: list[str], payload: dict[str, Any]) -> None:
    """Send `payload` to `groups` once the current transaction commits (at once outside one).

    Messages registered at the same savepoint level share one callback, so a transition's
    pushes are one job for the sender, sent in order; a rolled-back savepoint still drops its own.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        level = set(connection.savepoint_ids)
        for savepoints, callback, _robust in reversed(connection.run_on_commit):
            if isinstance(callback, _Pushes) and savepoints == level:
                callback.append((groups, payload))
                return
        transaction.on_commit(_Pushes([(groups, payload)]))
        return
    _send(groups, payload)


def task_event(task: Any, event: str, *, by: Actor | None = None, **extra: Any) -> None:
    """Tell everyone whose scope covers the task's unit: created, claimed, released, done, cancelled."""
    if not task.unit_path:
        return
    payload = {"event": event, "task": task.pk, "stage": task.stage, "record": task.record_id, **extra}
    if by is not None:
        payload["by"] = by.get_full_name() or by.get_username()
    push_after_commit(path_groups(task.unit_path), payload)


def user_event(user_id: int, event: str, **extra: Any) -> None:
    """Tell one user something about their own work (a task returned or assigned to them)."""
    push_after_commit([user_group(user_id)], {"event": event, **extra})
