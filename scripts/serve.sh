#!/bin/sh
# The web tier (config/serve.py says what and why): `scripts/serve.sh all` (default) serves pages and
# WebSockets on HOST:PORT (default 127.0.0.1:8000) — gunicorn's WSGI workers for the pages, one uvicorn
# process for /ws/, and a small front joining each connection to one of them; `web` and `ws` start one
# kind alone, for a proxy in front to route (docker-compose.yml, deploy/nginx.conf).
#
# Why uvicorn and not daphne for the WebSockets: daphne (twisted) receives a request's whole body
# before the app runs, so no limit in the app can keep an oversized upload out of memory (a 100 MB
# multipart POST to the login page grew daphne by 1.2 GB). gunicorn and uvicorn hand the body to
# the app as it arrives, and config.request_limits answers 413 before reading a body over its
# route's limit, under WSGI and ASGI alike.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}"
exec "$PYTHON" -m config.serve "$@"
