"""Extract render: one certified extract (p50, warm), and a batch of 500 as one PDF.

Needs the printing of issue 6: `render_extract(*, record, ...) -> bytes` (a pure
function, per the style guide) and a batch renderer. Records are approved births
of commune 0; the first render (font and weasyprint start-up) is not timed.
"""

from __future__ import annotations

import time

from bench.capabilities import call_with, find, require
from bench.stats import percentile, profiled, time_calls

NAME = "extract"
KEYS = ["extract_p50_ms", "batch500_s"]
SINGLE = [
    ("printing.render", "render_extract"),
    ("printing.extracts", "render_extract"),
    ("printing.services", "render_extract"),
    ("printing.pdf", "render_extract"),
    ("printing.render_extract", "render_extract"),
]
BATCH = [
    ("printing.render", "render_extracts"),
    ("printing.extracts", "render_extracts"),
    ("printing.services", "render_extracts"),
    ("printing.render", "render_batch"),
    ("printing.extracts", "render_batch"),
    ("printing.services", "extracts_render_batch"),
]
BATCH_SIZE = 500


def run(bench) -> dict:
    from registry.models import CivilRecord

    render, where = require(SINGLE, "no render_extract in printing (issue 6)")
    records = list(
        CivilRecord.objects.filter(
            unit_path__startswith=bench.province.path,
            event_type="birth",
            state__in=["approved", "transferred"],
        )
        .select_related("book", "unit")
        .order_by("id")[:BATCH_SIZE]
    )
    if not records:
        return {"extract_impl": where}
    counter = bench.user("admin.tinh")

    def one(i):
        return call_with(
            render,
            [
                ((), {"record": records[i % len(records)]}),
                ((records[i % len(records)],), {}),
                ((), {"record": records[i % len(records)], "user": counter}),
            ],
        )

    samples = max(5, bench.samples // 3)
    with profiled("extract", bench.profile_dir):
        durations = time_calls(one, samples=samples, warmup=1)
    out = {
        "extract_p50_ms": round(percentile(durations, 50), 1),
        "extract_p95_ms": round(percentile(durations, 95), 1),
        "extract_impl": where,
    }
    found = find(BATCH)
    if found:
        batch, batch_where = found
        started = time.perf_counter()
        call_with(
            batch, [((), {"records": records}), ((records,), {}), ((), {"records": records, "user": counter})]
        )
        out["batch500_s"] = round(time.perf_counter() - started, 2)
        out["batch500_records"] = len(records)
        out["batch_impl"] = batch_where
    return out
