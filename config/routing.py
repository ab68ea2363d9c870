"""WebSocket routes. Apps add their consumers here."""

websocket_urlpatterns: list = []

from django.urls import path  # noqa: E402

from reports.consumers import ProgressConsumer  # noqa: E402

websocket_urlpatterns += [path("ws/progress/<int:unit_id>/", ProgressConsumer.as_asgi())]
