"""Backups of a whole instance, and restoring one into an empty database and files folder.

A backup is one dated folder under BACKUP_DIR:

- `database.dump`: pg_dump's custom format, taken from an exported snapshot;
- `files.tar`: every file of the default storage (scans, extracts, exports);
- `manifest.json`: the row count of every table (counted in the same snapshot as the dump),
  the SHA-256 and size of every file, the audit trail's heads, and the SHA-256 of the two
  files above. It is written last: a folder without it is an unfinished backup.

The audit chain key is not in the backup (it must stay outside the database and its copies):
a restored instance needs the same AUDIT_CHAIN_KEY to verify its trail.

`backup_restore` refuses a target database that holds tables or a files folder that holds
files unless told to overwrite, restores with pg_restore, unpacks the files, and then proves
the copy: every table's row count, every file's SHA-256, the audit heads and the keyed chains.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import environ
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import connection, connections, transaction
from django.db.utils import load_backend
from django.utils import timezone

from audit.verification import verify_chains

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files.tar"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


# --- finding pg_dump and pg_restore -----------------------------------------------------------


def _tool_dirs() -> list[Path]:
    dirs = [Path(settings.PG_BIN_DIR)] if settings.PG_BIN_DIR else []
    dirs += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    dirs += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    try:
        import pgserver

        dirs.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:  # pragma: no cover - pgserver is a dependency, but a server install may lack it
        pass
    return dirs


def _major(tool: Path) -> int | None:
    try:
        out = subprocess.run(
            [tool, "--version"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\) (\d+)", out)
    return int(found.group(1)) if found else None


def pg_tool(name: str, *, at_least: int, prefer: int | None = None) -> tuple[Path, int]:
    """The `name` binary (pg_dump, pg_restore) of the lowest major version >= `at_least`, `prefer` first.

    pg_dump must be at least as new as the server it dumps; pg_restore at least as new as the
    pg_dump that wrote the archive. The machine's server and the embedded one may differ.
    """
    found: dict[int, Path] = {}
    for folder in _tool_dirs():
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            major = _major(candidate)
            if major is not None and major >= at_least:
                found.setdefault(major, candidate)
    if not found:
        raise BackupError(
            f"No {name} of PostgreSQL {at_least} or newer was found (PG_BIN_DIR, PATH, "
            f"/usr/lib/postgresql/*/bin, the embedded PostgreSQL): install postgresql-client-{at_least} "
            "or set PG_BIN_DIR."
        )
    major = prefer if prefer in found else min(found)
    return found[major], major


# --- database access ------------------------------------------------------------------------


def _server_major(wrapper: Any) -> int:
    """The PostgreSQL server's major version (15 for 15.20)."""
    return int(wrapper.pg_version) // 10000


def _libpq_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the command-line tools: options, and the password in the environment."""
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    elif db.get("OPTIONS", {}).get("host"):
        args += ["--host", str(db["OPTIONS"]["host"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = str(db["OPTIONS"]["sslmode"])
    return args, env


def _run(command: list[Any], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-1500:]}")


def _table_counts(cursor: Any) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _audit_summary(cursor: Any) -> dict[str, Any]:
    cursor.execute("SELECT stream, last_seq, last_hash FROM audit_audithead ORDER BY stream")
    streams = {str(stream): [seq, digest] for stream, seq, digest in cursor.fetchall()}
    cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM audit_auditevent")
    rows, last_id = cursor.fetchone()
    return {"rows": int(rows), "last_id": int(last_id), "streams": streams}


# --- files --------------------------------------------------------------------------------------


def _storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:  # no file stored yet
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(directories):
        yield from _storage_files(storage, f"{folder}/{name}" if folder else name)


class _Hashing:
    """Reads through a file object, hashing what passes."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- backup ---------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    folder: Path
    manifest: dict[str, Any]


def backup_create(*, directory: Path | None = None, now: dt.datetime | None = None) -> BackupResult:
    """Write a dated backup folder (database dump, files archive, manifest) and return it.

    The dump and the row counts come from one snapshot; the files are archived after it, so every
    file the dumped rows name is in the archive (files added meanwhile are extra, never missing).
    """
    now = now or timezone.now()
    folder = Path(directory or settings.BACKUP_DIR) / f"civreg-{timezone.localtime(now):%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=False)
    db = connection.settings_dict
    server_major = _server_major(connection)
    pg_dump, dump_major = pg_tool("pg_dump", at_least=server_major, prefer=server_major)
    args, env = _libpq_env(db)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [pg_dump, *args, "--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}",
             "--file", folder / DUMP],
            env,
            "pg_dump",
        )  # fmt: skip
        tables = _table_counts(cursor)
        audit = _audit_summary(cursor)
        cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
        migrations = dict(cursor.fetchall())
    entries = {}
    with tarfile.open(folder / FILES, "w") as archive:
        for name in _storage_files(default_storage):
            info = tarfile.TarInfo(name)
            info.size = default_storage.size(name)
            info.mtime = int(now.timestamp())
            info.mode = 0o640
            with default_storage.open(name, "rb") as handle:
                reader = _Hashing(handle)
                archive.addfile(info, reader)  # type: ignore[arg-type]
            entries[name] = {"sha256": reader.sha256.hexdigest(), "size": info.size}
    manifest = {
        "format": FORMAT,
        "created_at": now.astimezone(dt.UTC).isoformat(),
        "database": {
            "name": db["NAME"],
            "server_major": server_major,
            "pg_dump_major": dump_major,
            "file": DUMP,
            "sha256": _sha256_of(folder / DUMP),
            "size": (folder / DUMP).stat().st_size,
        },
        "tables": tables,
        "migrations": migrations,
        "audit": audit,
        "files": {
            "archive": FILES,
            "sha256": _sha256_of(folder / FILES),
            "count": len(entries),
            "entries": entries,
        },
    }
    partial = folder / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True))
    partial.rename(folder / MANIFEST)
    return BackupResult(folder=folder, manifest=manifest)


# --- restore ----------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    database: str
    media_root: Path
    tables: int = 0
    rows: int = 0
    files: int = 0
    audit_rows: int = 0
    problems: list[str] = field(default_factory=list)


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(f"{folder} holds no {MANIFEST}: it is not a backup, or an unfinished one.")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r} is not {FORMAT}.")
    for part in (manifest["database"], {"file": FILES, "sha256": manifest["files"]["sha256"]}):
        if _sha256_of(folder / part["file"]) != part["sha256"]:
            raise BackupError(
                f"{folder / part['file']} does not match its SHA-256 in the manifest: damaged copy."
            )
    return manifest


def _target_settings(database_url: str | None) -> dict[str, Any]:
    target = dict(connection.settings_dict)
    if database_url:
        parsed = environ.Env.db_url_config(database_url)
        for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
            target[key] = parsed.get(key, "")
        target["OPTIONS"] = {**target.get("OPTIONS", {}), **parsed.get("OPTIONS", {})}
    target["TEST"] = {}
    return target


@contextmanager
def database_alias(database_url: str | None, name: str = "backup_restore_target") -> Iterator[str]:
    """A connection alias to the database of `database_url` (this instance's when None), while in use."""
    with _alias(_target_settings(database_url), name) as alias:
        yield alias


@contextmanager
def _alias(target: dict[str, Any], name: str) -> Iterator[str]:
    """A connection under `name` that is not in the settings (the settings name this instance's only)."""
    wrapper = load_backend(target["ENGINE"]).DatabaseWrapper(target, name)
    connections[name] = wrapper
    try:
        yield name
    finally:
        wrapper.close()
        del connections[name]


def _ensure_database(target: dict[str, Any]) -> None:
    import psycopg2
    from psycopg2 import sql

    options = {k: v for k, v in target.get("OPTIONS", {}).items() if k in ("host", "sslmode")}
    params = {
        "dbname": "postgres",
        "user": target.get("USER") or None,
        "password": target.get("PASSWORD") or None,
        "host": target.get("HOST") or options.pop("host", None),
        "port": target.get("PORT") or None,
        **options,
    }
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v})
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target["NAME"])))
    finally:
        conn.close()


def backup_restore(
    *, folder: Path, database_url: str | None = None, media_root: Path | None = None, force: bool = False
) -> RestoreResult:
    """Rebuild an instance from the backup in `folder`, then prove it; `problems` lists what does not match.

    The target database (created when missing) must hold no tables and the files folder no files,
    unless `force`: then the database's objects are replaced and the folder's files overwritten.
    """
    manifest = read_manifest(folder)
    target = _target_settings(database_url)
    media = Path(media_root or settings.MEDIA_ROOT)
    _ensure_database(target)
    with _alias(target, "backup_restore_target") as alias:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            existing = int(cursor.fetchone()[0])
            server_major = _server_major(connections[alias])
        if existing and not force:
            raise BackupError(
                f"Database {target['NAME']} already holds {existing} tables: restore into an empty database "
                "(a new name is created for you) or pass --force to replace its contents."
            )
        if media.exists() and any(media.iterdir()) and not force:
            raise BackupError(
                f"The files folder {media} is not empty: restore into an empty folder "
                "or pass --force to overwrite."
            )
        pg_restore, _major = pg_tool(
            "pg_restore", at_least=int(manifest["database"]["pg_dump_major"]), prefer=server_major
        )
        args, env = _libpq_env(target)
        clean = ["--clean", "--if-exists"] if existing else []
        _run(
            [pg_restore, *args, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", *clean,
             folder / DUMP],
            env,
            "pg_restore",
        )  # fmt: skip
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(folder / FILES) as archive:
            archive.extractall(media, filter="data")
        result = RestoreResult(database=target["NAME"], media_root=media)
        _prove(manifest, alias, media, result)
    return result


def _prove(manifest: dict[str, Any], alias: str, media: Path, result: RestoreResult) -> None:
    """Compare the restored copy with the manifest: row counts, file hashes, audit heads, keyed chains."""
    with connections[alias].cursor() as cursor:
        tables = _table_counts(cursor)
        audit = _audit_summary(cursor)
    for table, count in manifest["tables"].items():
        if tables.get(table) != count:
            result.problems.append(f"table {table}: {tables.get(table)} rows restored, {count} backed up")
    for name, entry in manifest["files"]["entries"].items():
        path = media / name
        if not path.is_file() or _sha256_of(path) != entry["sha256"]:
            result.problems.append(f"file {name}: missing or not the file that was backed up")
    if audit != manifest["audit"]:
        result.problems.append("the audit trail's heads differ from the backed-up ones")
    result.problems += [f"audit trail: {found}" for found in verify_chains(using=alias)]
    result.tables = len(tables)
    result.rows = sum(tables.values())
    result.files = len(manifest["files"]["entries"])
    result.audit_rows = audit["rows"]


def backup_folders(directory: Path | None = None) -> list[Path]:
    """Finished backups (with a manifest), oldest first."""
    root = Path(directory or settings.BACKUP_DIR)
    return sorted(p.parent for p in root.glob(f"civreg-*/{MANIFEST}"))


def backup_prune(*, keep: int, directory: Path | None = None) -> list[Path]:
    """Delete all but the `keep` newest finished backups; return the deleted folders."""
    finished = backup_folders(directory)
    doomed = finished[:-keep] if keep > 0 else []
    for folder in doomed:
        shutil.rmtree(folder)
    return doomed
