"""WebSocket for live dashboards: /ws/progress/<unit_id>/ tells the page when its figures changed."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from permissions.scoping import can
from registry.models import AdministrativeUnit
from reports.live import progress_group


def _may_watch(user, unit_id: int) -> bool:
    unit = AdministrativeUnit.objects.filter(pk=unit_id).only("path").first()
    return unit is not None and can(user, "view_records", unit.path)


class ProgressConsumer(AsyncJsonWebsocketConsumer):
    """Joins the unit's group if the user may see the unit; otherwise closes with 4403."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        unit_id = int(self.scope["url_route"]["kwargs"]["unit_id"])
        if not await database_sync_to_async(_may_watch)(user, unit_id):
            await self.close(code=4403)
            return
        self.group = progress_group(unit_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def progress_changed(self, event: dict) -> None:
        await self.send_json({"type": "changed", "unit": event["unit"]})
