"""`manage.py audit_anchor`: append the audit chains' heads to the anchor file now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.anchors import anchor_path, anchor_write


class Command(BaseCommand):
    help = (
        "Write the audit chains' heads (last row id, row count, every stream's last hash) as a new line "
        "of the append-only anchor file in AUDIT_ANCHOR_DIR, and print its short digest. The report "
        "scheduler does this once a day; run it by hand before and after maintenance."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = anchor_write()
        self.stdout.write(
            f"{anchor} written to {anchor_path()}: {anchor.rows} rows up to id {anchor.last_id}, "
            f"{len(anchor.streams)} stream(s) moved; digest {anchor.short}"
        )
