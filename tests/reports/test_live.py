"""Live dashboards: a committed transition tells the unit's and its ancestors' dashboards, throttled."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from config.routing import websocket_urlpatterns
from tests.reports.conftest import walk
from workflows import live_sender

app = URLRouter(websocket_urlpatterns)


def socket(unit, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, f"/ws/progress/{unit.pk}/")
    communicator.scope["user"] = user
    return communicator


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_dashboards_in_scope_hear_about_committed_work_once_per_window(world, crew):
    record = world.book(world.commune_a, cases=1).records.get()
    assert live_sender.flush()  # the book registration's push has taken its throttle key...
    cache.clear()  # ...which is forgotten

    async def scenario():
        commune = socket(world.commune_a, world.clerk)
        assert (await commune.connect())[0]
        district = socket(world.district1, world.approver_d1)
        assert (await district.connect())[0]
        elsewhere = socket(world.commune_c, world.clerk)
        connected, code = await elsewhere.connect()
        assert (connected, code) == (False, 4403)
        await database_sync_to_async(walk)(record, "entered", crew)  # two transitions, two commits
        assert await commune.receive_json_from(timeout=2) == {"type": "changed", "unit": world.commune_a.pk}
        assert await district.receive_json_from(timeout=2) == {"type": "changed", "unit": world.district1.pk}
        assert await commune.receive_nothing(timeout=0.3)  # the second commit fell in the throttle window
        await commune.disconnect()
        await district.disconnect()

    async_to_sync(scenario)()
