"""Load the administrative units (current and legacy trees) and link legacy units to their successors."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from registry.unit_loading import (
    UnitLoadCounts,
    units_link_successors,
    units_load_current,
    units_load_legacy,
)


class Command(BaseCommand):
    help = (
        "Load the current two-level tree (34 provinces, 3,321 communes) and the pre-July-2025 "
        "three-level tree, then link each legacy province and commune to its successor. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            choices=["current", "legacy"],
            help="Load only this tree (successors are linked in either case).",
        )

    def handle(self, *args, only: str | None = None, **options):
        if only in (None, "current"):
            self._print_load(units_load_current())
        if only in (None, "legacy"):
            self._print_load(units_load_legacy())
        links = units_link_successors()
        self.stdout.write(
            f"successors: {links.provinces_linked} provinces and {links.communes_linked} communes linked "
            f"({links.changed} changed); {links.communes_split} split communes and "
            f"{links.communes_unmapped} unmapped communes without a successor"
            + (f"; {links.successor_not_loaded} successors not loaded" if links.successor_not_loaded else "")
        )
        self.stdout.write(self.style.SUCCESS("Administrative units loaded."))

    def _print_load(self, counts: UnitLoadCounts) -> None:
        for level, total in counts.total.items():
            self.stdout.write(
                f"{counts.era} {level}: {total} in data, {counts.created[level]} created, "
                f"{counts.updated[level]} updated"
            )
