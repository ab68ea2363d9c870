"""WSGI entry point: the pages, served by gunicorn's worker processes (config/serve.py, role `web`).

Requests pass `BoundedWSGIRequestBody` first: a body over its route's limit is answered 413 before
it is read, as under ASGI (config/request_limits.py). WebSockets are served by the ASGI process
(config.asgi, role `ws`).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.request_limits import BoundedWSGIRequestBody
from config.warm import warm_up

application = BoundedWSGIRequestBody(get_wsgi_application())
# Under `--preload` this runs once in gunicorn's master: the workers fork warm (config/warm.py).
warm_up()
