#!/bin/sh
# The web process: the ASGI app (config.asgi) under uvicorn, HTTP and WebSockets on one port.
#
# Why uvicorn and not daphne: daphne (twisted) receives a request's whole body, parses form bodies
# into memory and queues the whole body before the app runs, so no limit in the app can keep an
# oversized upload out of memory (a 100 MB multipart POST to the login page grew daphne by 1.2 GB).
# uvicorn hands the body to the app as it arrives, under flow control, and config.request_limits
# answers 413 before reading a body over its route's limit. WebSockets (channels) go through
# autobahn, the WebSocket implementation daphne already brings (config/websocket_server.py).
#
# HOST and PORT choose the address (default 127.0.0.1:8000); FORWARDED_ALLOW_IPS the proxies whose
# X-Forwarded-For/-Proto are trusted (uvicorn's own variable; default 127.0.0.1). Extra arguments go
# to uvicorn.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}"
exec "$PYTHON" -m uvicorn \
    --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
    --ws config.websocket_server:AutobahnWebSocketProtocol \
    --lifespan off --proxy-headers \
    "$@" config.asgi:application
