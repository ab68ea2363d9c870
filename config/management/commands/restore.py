"""`manage.py restore BACKUP`: rebuild an instance from a backup into an empty database and folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, backup_folders, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder (or 'latest' in BACKUP_DIR) into the database of --database-url (created "
        "when missing; default: DATABASE_URL) and the files folder --media-root (default: MEDIA_ROOT), then "
        "prove the copy: row counts, file SHA-256s, audit heads and the keyed audit chains. A database with "
        "tables or a folder with files is refused unless --force. Needs the AUDIT_CHAIN_KEY of the original."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("backup", help="the backup folder, or 'latest'")
        parser.add_argument("--database-url", help="the target database (default: this instance's)")
        parser.add_argument("--media-root", type=Path, help="the target files folder (default: MEDIA_ROOT)")
        parser.add_argument(
            "--force", action="store_true", help="replace a database or folder that is not empty"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        folder = Path(o["backup"])
        if o["backup"] == "latest":
            finished = backup_folders()
            if not finished:
                raise CommandError("There is no finished backup in BACKUP_DIR.")
            folder = finished[-1]
        try:
            result = backup_restore(
                folder=folder, database_url=o["database_url"], media_root=o["media_root"], force=o["force"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for problem in result.problems:
            self.stderr.write(f"MISMATCH: {problem}")
        if result.problems:
            raise CommandError(f"The restored copy differs from the backup in {len(result.problems)} way(s).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {folder} into database {result.database} and {result.media_root}: "
                f"{result.tables} tables, {result.rows} rows, {result.files} files, {result.audit_rows} "
                "audit rows; every count, file hash and audit chain matches."
            )
        )
