"""The bench's own database: created, migrated and (re)seeded by the harness.

The database lives on the server the project would use (DATABASE_URL's, or the
embedded pgserver) under the name BENCH_DATABASE. A table `bench_meta` holds
what was seeded (record count, seed version), so a run at the same N reuses it.
"""

from __future__ import annotations

from typing import Any

import psycopg2
from django.db import connection

META_TABLE = "bench_meta"


def connect_params(database: str | None = None) -> dict[str, Any]:
    """psycopg2.connect() keyword arguments for the bench database (or another one on its server)."""
    params = dict(connection.get_connection_params())
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("server_side_binding", None)
    if database is not None:
        params.pop("database", None)
        params["dbname"] = database
    return params


def raw_connect(database: str | None = None, *, autocommit: bool = False):
    conn = psycopg2.connect(**connect_params(database))
    conn.autocommit = autocommit
    return conn


def database_exists(name: str) -> bool:
    with raw_connect("postgres", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cur.fetchone() is not None


def database_recreate(name: str) -> None:
    """Drop (if present) and create the bench database. Refuses the dev database."""
    if name in ("civreg", "postgres", "template0", "template1"):
        raise RuntimeError(f"Refusing to drop database {name!r}: the bench uses its own database.")
    connection.close()
    conn = raw_connect("postgres", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid()",
                [name],
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def meta_read() -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cur.fetchone()[0] is None:
            return {}
        cur.execute(f"SELECT key, value FROM {META_TABLE}")
        return dict(cur.fetchall())


def meta_write(values: dict[str, Any]) -> None:
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text NOT NULL)")
        for key, value in values.items():
            cur.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, str(value)],
            )


def server_version() -> str:
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return cur.fetchone()[0]
