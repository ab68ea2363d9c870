"""A Redis that accepts connections and never answers fails a cache call instead of holding it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALL = (
    "import django; django.setup()\n"
    "from django.core.cache import cache\n"
    "try:\n"
    "    cache.get('x')\n"
    "except Exception as exc:\n"
    "    print('failed:', type(exc).__name__)\n"
    "else:\n"
    "    print('answered')\n"
)


def test_a_silent_redis_fails_the_cache_call_after_its_timeout():
    # given a "Redis" that accepts the connection and never says a word
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        env = {
            **os.environ,
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "CIVREG_LIVE_SERVER": "1",  # the production layers: the Redis cache
            "REDIS_TIMEOUT_S": "0.5",
        }
        # when a process reads its cache, then the call fails (it does not wait for ever)
        done = subprocess.run(
            [sys.executable, "-c", CALL], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert "failed: TimeoutError" in done.stdout, done.stdout + done.stderr[-2000:]
