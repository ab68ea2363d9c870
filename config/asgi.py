"""ASGI entry point: HTTP through Django, WebSockets through channels (live inboxes and dashboards).

HTTP requests pass `BoundedRequestBody` first: a body over its route's limit is answered 413
before it is read (config/request_limits.py). Serve it with uvicorn and the project's WebSocket
protocol (scripts/serve.sh ws), which streams bodies to the app instead of buffering them.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.request_limits import BoundedRequestBody  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BoundedRequestBody(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
