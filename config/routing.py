"""WebSocket routes: live inboxes and live progress dashboards."""

from django.urls import path

from reports.consumers import ProgressConsumer
from workflows.consumers import InboxConsumer

websocket_urlpatterns: list = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
    path("ws/progress/<int:unit_id>/", ProgressConsumer.as_asgi()),
]
