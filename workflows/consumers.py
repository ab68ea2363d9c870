"""The live inbox socket: a signed-in browser hears about work in its units and about its own work."""

from __future__ import annotations

from collections.abc import Iterable

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from permissions.scoping import user_scopes
from registry.models import AdministrativeUnit
from workflows.live import unit_group, user_group


def _groups_of(user) -> list[str]:
    """The user's own group and one per unit they hold a role on (a superuser: the roots)."""
    units: Iterable[int]
    if user.is_superuser:
        units = AdministrativeUnit.objects.filter(parent__isnull=True).values_list("pk", flat=True)
    else:
        units = sorted({s.unit_id for s in user_scopes(user)})
    return [user_group(user.pk), *(unit_group(u) for u in units)]


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Joins the groups of the user's scope; forwards inbox events as JSON. Anonymous: refused."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.joined = await database_sync_to_async(_groups_of)(user)
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """The browser only listens; anything it sends is ignored."""

    async def inbox_event(self, event: dict) -> None:
        await self.send_json(event["payload"])
