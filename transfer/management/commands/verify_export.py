"""`manage.py verify_export PATH`: check a data-centre copy (folder or ZIP) against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from transfer.exports import verify_copy


class Command(BaseCommand):
    help = "Check a data-centre copy against its SHA-256 manifest; exit status 1 if anything differs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--manifest-sha256",
            default="",
            help="the manifest hash printed at export (catches a rewritten manifest)",
        )

    def handle(self, *args: Any, path: Path, manifest_sha256: str, **options: Any) -> None:
        problems = verify_copy(path, manifest_sha256=manifest_sha256)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"The copy at {path} does NOT match its manifest ({len(problems)} problem(s))."
            )
        self.stdout.write(self.style.SUCCESS(f"The copy at {path} matches its manifest."))
