"""The embedded PostgreSQL used when no DATABASE_URL is given.

`pgserver` ships a real PostgreSQL 16 server in a wheel. The server lives in
``var/pgdata`` of the project, listens on a Unix socket inside that folder only
and keeps running after the Python process that started it exits, so that
``manage.py`` commands, the web server and the test runner all share one.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

DATABASE = "civreg"

# Settings that suit a workstation with a few hundred concurrent connections at most.
_SERVER_SETTINGS = {
    "max_connections": "200",
    "shared_buffers": "256MB",
    "fsync": "on",
    "synchronous_commit": "on",
}


def ensure_running(data_dir: Path) -> str:
    """Start the embedded server if it is not running; return its database URL."""
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # pgserver keeps lock files in the user's runtime folder; give it one inside the project.
    runtime = data_dir.parent / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import logging

    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it reports every start at INFO
    import pgserver  # imported lazily: only the embedded mode needs it

    server = pgserver.get_server(data_dir, cleanup_mode=None)
    auto_conf = data_dir / "postgresql.auto.conf"
    if "max_connections" not in auto_conf.read_text():
        for name, value in _SERVER_SETTINGS.items():
            server.psql(f"ALTER SYSTEM SET {name} = '{value}';")
        stop(data_dir)  # max_connections and shared_buffers take effect on restart
        pgserver.PostgresServer._instances.pop(data_dir, None)
        server = pgserver.get_server(data_dir, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")  # noqa: S608 - constant
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE};")
    return server.get_uri(DATABASE)


def stop(data_dir: Path) -> bool:
    """Stop the embedded server by the pid in its postmaster.pid; True if one was running."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().splitlines()[0])
    try:
        os.kill(pid, signal.SIGINT)  # "fast" shutdown
    except ProcessLookupError:
        return False
    for _ in range(100):
        if not pid_file.exists():
            break
        time.sleep(0.1)
    return True
