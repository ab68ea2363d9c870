"""The restore drill: back up a small demo, destroy its files, restore into a fresh database and
folder on the same server, and prove every record, scan hash and audit row is back and verify_audit
passes on the restored copy (with the same AUDIT_CHAIN_KEY, which the backup does not hold)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from audit.anchors import anchor_write
from audit.chain import chain_key
from audit.models import AuditEvent
from config.backup import BackupError, backup_create, backup_restore, database_alias, pg_tool
from registry.models import CivilRecord
from scans.models import ScanFile

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def url_of(name: str) -> str:
    d = connection.settings_dict
    host = d["HOST"] or d.get("OPTIONS", {}).get("host", "")
    auth = f"{quote(d['USER'] or '')}:{quote(d['PASSWORD'] or '')}"
    if host.startswith("/"):
        return f"postgres://{auth}@/{name}?host={quote(host)}"
    return f"postgres://{auth}@{host}:{d['PORT'] or 5432}/{name}"


def drop_database(name: str) -> None:
    d = connection.settings_dict
    params = {
        "dbname": "postgres",
        "user": d["USER"],
        "password": d["PASSWORD"],
        "host": d["HOST"] or d.get("OPTIONS", {}).get("host", ""),  # the embedded server: its socket
        "port": d["PORT"],
    }
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v})
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    drop_database(name)
    yield name
    drop_database(name)


def snapshot(alias: str = "default") -> dict:
    return {
        "records": list(
            CivilRecord.objects.using(alias)
            .order_by("id")
            .values_list("id", "book_id", "entry_no", "state", "version")
        ),
        "scans": list(
            ScanFile.objects.using(alias).order_by("id").values_list("id", "record_id", "file", "sha256")
        ),
        "audit": list(
            AuditEvent.objects.using(alias)
            .order_by("id")
            .values_list("id", "stream", "seq", "hash", "ip", "user_agent")
        ),
    }


def test_restore_drill(world, client, tmp_path, fresh_database):
    # Given a small demo: a record in every state, each with its scan, a row written during a request,
    # and the day's anchor
    records = [
        world.record(state)
        for state in ("collected", "scanned", "entered", "attached", "reviewed", "approved", "transferred")
    ]
    client.force_login(world.clerk)
    client.get(f"/records/{records[2].pk}/", REMOTE_ADDR="198.51.100.20", HTTP_USER_AGENT="Drill browser")
    anchor_write()
    before = snapshot()
    assert len(before["scans"]) == 6 and len(before["audit"]) > 30

    # When it is backed up ...
    backup = backup_create()
    manifest = json.loads((backup.folder / "manifest.json").read_text())
    assert manifest["tables"]["registry_civilrecord"] == len(before["records"])
    assert manifest["tables"]["audit_auditevent"] == len(before["audit"])
    assert {e["sha256"] for e in manifest["files"]["entries"].values()} >= {s[3] for s in before["scans"]}
    assert manifest["audit"]["rows"] == len(before["audit"])
    # ... the files are lost, and the backup is restored into a fresh database and folder
    shutil.rmtree(settings.MEDIA_ROOT)
    restored_files = tmp_path / "restored-files"
    result = backup_restore(
        folder=backup.folder, database_url=url_of(fresh_database), media_root=restored_files
    )

    # Then every count, file hash and audit chain matches the manifest ...
    assert result.problems == []
    assert result.files == len(manifest["files"]["entries"]) and result.audit_rows == len(before["audit"])
    # ... every record, scan and audit row is back, and each scan's bytes have the recorded hash
    with database_alias(url_of(fresh_database)) as alias:
        after = snapshot(alias)
    assert after == before
    for _id, _record, name, sha256 in after["scans"]:
        assert hashlib.sha256((restored_files / name).read_bytes()).hexdigest() == sha256
    assert ("198.51.100.20", "Drill browser") in {(a[4], a[5]) for a in after["audit"]}
    # ... and verify_audit passes on the restored copy, run as its own instance with the same key and anchors
    check = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("CIVREG_TESTING", "PYTEST_CURRENT_TEST")},
            "DEBUG": "1",
            "DATABASE_URL": url_of(fresh_database),
            "DATA_DIR": str(tmp_path / "restored-data"),
            "AUDIT_CHAIN_KEY": chain_key().decode(),
            "AUDIT_ANCHOR_DIR": str(settings.AUDIT_ANCHOR_DIR),
        },
    )
    assert check.returncode == 0, check.stderr
    assert "matches all 1 anchor(s)" in check.stdout

    # A second restore into the same (now full) database or folder is refused unless forced
    with pytest.raises(BackupError, match="already holds"):
        backup_restore(
            folder=backup.folder, database_url=url_of(fresh_database), media_root=tmp_path / "other"
        )
    drop_database(fresh_database)
    with pytest.raises(BackupError, match="is not empty"):
        backup_restore(folder=backup.folder, database_url=url_of(fresh_database), media_root=restored_files)
    out = StringIO()
    call_command(
        "restore", str(backup.folder), "--database-url", url_of(fresh_database),
        "--media-root", str(restored_files), "--force", stdout=out,
    )  # fmt: skip
    assert "every count, file hash and audit chain matches" in out.getvalue()


def test_a_damaged_backup_is_refused(world, tmp_path):
    world.record("scanned")
    backup = backup_create()
    with open(backup.folder / "files.tar", "r+b") as handle:
        handle.seek(600)
        handle.write(b"X")
    with pytest.raises(BackupError, match="does not match its SHA-256"):
        backup_restore(folder=backup.folder, database_url=url_of("never_created"), media_root=tmp_path / "x")


def test_pg_dump_is_at_least_the_servers_version():
    server_major = connection.pg_version // 10000
    tool, major = pg_tool("pg_dump", at_least=server_major, prefer=server_major)
    assert major >= server_major and tool.name == "pg_dump"
