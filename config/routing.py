"""WebSocket routes. Apps add their consumers here."""

from django.urls import path

from workflows.consumers import InboxConsumer

websocket_urlpatterns: list = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
]
