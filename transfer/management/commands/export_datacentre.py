"""`manage.py export_datacentre DEST --unit CODE [--incremental | --since ISO]`: data-centre copy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from registry.models import AdministrativeUnit
from transfer.export_services import ExportRefused, datacentre_export_to_folder


class Command(BaseCommand):
    help = "Write records (JSON Lines), scans and a SHA-256 manifest of a unit into a new folder."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dest", type=Path)
        parser.add_argument("--unit", help="official code of the unit (default: the only province)")
        parser.add_argument(
            "--incremental", action="store_true", help="only what changed since the last copy"
        )
        parser.add_argument("--since", help="only what changed since this ISO date-time")

    def handle(
        self, *args: Any, dest: Path, unit: str | None, incremental: bool, since: str | None, **options: Any
    ) -> None:
        units = (
            AdministrativeUnit.objects.filter(code=unit)
            if unit
            else AdministrativeUnit.objects.filter(parent__isnull=True)
        )
        if units.count() != 1:
            raise CommandError("Name the unit with --unit CODE (its official code); it must match one unit.")
        since_at: dt.datetime | None = None
        if since:
            since_at = parse_datetime(since)
            if since_at is None:
                raise CommandError(
                    f"--since {since!r} is not an ISO date-time such as 2025-07-01T00:00:00+07:00."
                )
        try:
            _job, manifest = datacentre_export_to_folder(
                unit=units.get(), dest=dest, incremental=incremental, since=since_at
            )
        except ExportRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{manifest['kind']} copy of {manifest['unit']['name']}: {manifest['records']} records, "
            f"{len(manifest['files'])} files in {dest}\nmanifest SHA-256: {manifest['manifest_sha256']}"
        )
