"""Time extract rendering: one extract (warm) and a batch of 100, on the demo data.

    cd <project> && DEBUG=1 python bench/bench_extract_render.py

Uses the development database (runs seed_demo first, which is idempotent) and
writes nothing else: rendering is pure. Prints medians; single machine, orders
of magnitude only.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402

from config.demo import demo_seed  # noqa: E402
from printing.rendering import (  # noqa: E402
    IssueFacts,
    merge_pdfs,
    page_for,
    render_extract,
    render_pages,
)
from printing.selectors import PRINTABLE_STATES  # noqa: E402
from registry.models import CivilRecord  # noqa: E402


def facts(n: int) -> IssueFacts:
    return IssueFacts(
        serial=f"{n}/2025/TLKS-BS",
        issued_on=timezone.localdate(),
        authority_parent="ỦY BAN NHÂN DÂN",
        authority_name="PHƯỜNG QUANG TRUNG",
        place="Quang Trung",
        signer_title="Phó Chủ tịch",
        signer_name="Trần Văn Bình",
        verify_url=f"http://127.0.0.1:8000/verify/{n}:abcdefghijklmnopqrstuvwxyz0/",
    )


class Clock:
    """Wall time and this process's CPU time (the machine may be shared: CPU time is the steadier figure)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"wall {self.wall:.2f} s, CPU {self.cpu:.2f} s"


def main() -> None:
    demo_seed()
    records = list(
        CivilRecord.objects.filter(state__in=[s.value for s in PRINTABLE_STATES])
        .select_related("book", "unit")
        .prefetch_related("parties")
        .order_by("id")
    )
    print(f"{len(records)} printable demo records ({', '.join(sorted({r.event_type for r in records}))})")
    record = records[0]
    with Clock() as c:
        render_extract(record=record, issue=facts(0))
    print(f"first render (cold: weasyprint import, font loading): {c}")
    walls, cpus = [], []
    for i in range(10):
        with Clock() as c:
            render_extract(record=records[i % len(records)], issue=facts(i))
        walls.append(c.wall)
        cpus.append(c.cpu)
    print(
        f"one extract, warm (median of 10): wall {statistics.median(walls) * 1000:.0f} ms, "
        f"CPU {statistics.median(cpus) * 1000:.0f} ms"
    )

    pages = [page_for(records[i % len(records)], facts(i)) for i in range(100)]
    with Clock() as c:
        pdf = render_pages(pages)
    print(f"100 extracts as ONE HTML document: {c}; {len(pdf) // 1024} KB")
    with Clock() as c:
        merged = merge_pdfs([render_pages(pages[i : i + 50]) for i in range(0, 100, 50)])
    print(f"100 extracts as the batch job does (2 documents of 50, merged): {c}; {len(merged) // 1024} KB")
    with Clock() as c:
        merge_pdfs([render_pages([p]) for p in pages])
    print(f"100 extracts rendered one by one, then merged: {c}")


if __name__ == "__main__":
    main()
