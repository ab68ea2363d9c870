"""`manage.py backup`: a dated backup of the database and the stored files, with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, backup_create, backup_prune


class Command(BaseCommand):
    help = (
        "Write a dated backup folder into BACKUP_DIR (or --dir): database.dump (pg_dump custom format, one "
        "snapshot), files.tar (scans, extracts, exports) and manifest.json (row count per table, SHA-256 of "
        "every file, the audit heads). The audit chain key is not included: keep it in your secrets store."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", type=Path, help="folder for the backup (default BACKUP_DIR)")
        parser.add_argument("--keep", type=int, default=0, help="then delete all but the N newest backups")

    def handle(self, *args: Any, dir: Path | None, keep: int, **options: Any) -> None:
        try:
            result = backup_create(directory=dir)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {result.folder}: {len(manifest['tables'])} tables, "
                f"{sum(manifest['tables'].values())} rows, {manifest['files']['count']} files, "
                f"{manifest['audit']['rows']} audit rows."
            )
        )
        for folder in backup_prune(keep=keep, directory=dir):
            self.stdout.write(f"Deleted the older backup {folder}")
