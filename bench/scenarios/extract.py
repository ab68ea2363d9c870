"""Extract render: one certified extract (p50, warm), and a batch of 500 as one PDF.

`printing.rendering.render_extract(*, record, issue)` (pure: no database writes) and,
for the batch, what `printing.services.extract_batch_run` does: one
HTML document of BATCH_CHUNK pages at a time, merged into one PDF. Records are the
province's first 500 approved births, loaded with book, unit and people (as the
print pages load them); the first render (fonts, weasyprint start-up) is not timed.
"""

from __future__ import annotations

import time

from bench.stats import percentile, profiled, time_calls

NAME = "extract"
KEYS = ["extract_p50_ms", "batch500_s"]
BATCH_SIZE = 500


def issue_facts(n: int):
    """What an issue puts on the paper (serial, signer, QR link), as printing.services builds it."""
    import datetime as dt

    from printing.rendering import IssueFacts

    return IssueFacts(
        serial=f"{n}/2025/TLKS-BS",
        issued_on=dt.date(2025, 6, 1),
        authority_parent="ỦY BAN NHÂN DÂN",
        authority_name="XÃ BENCH",
        place="Bench",
        signer_title="Phó Chủ tịch",
        signer_name="Trần Văn Bình",
        verify_url=f"http://127.0.0.1:8000/verify/{n}:abcdefghijklmnopqrstuvwxyz0/",
    )


def run(bench) -> dict:
    from printing.rendering import merge_pdfs, page_for, render_extract, render_pages
    from printing.services import BATCH_CHUNK
    from registry.models import CivilRecord

    where = "printing.rendering.render_extract"
    records = list(
        CivilRecord.objects.filter(
            unit_path__startswith=bench.province.path,
            event_type="birth",
            state__in=["approved", "transferred"],
        )
        .select_related("book", "unit")
        .prefetch_related("parties")
        .order_by("id")[:BATCH_SIZE]
    )
    if not records:
        return {"extract_impl": where}

    def one(i):
        return render_extract(record=records[i % len(records)], issue=issue_facts(i))

    samples = max(5, bench.samples // 3)
    with profiled("extract", bench.profile_dir):
        durations = time_calls(one, samples=samples, warmup=1)
    out = {
        "extract_p50_ms": round(percentile(durations, 50), 1),
        "extract_p95_ms": round(percentile(durations, 95), 1),
        "extract_impl": where,
    }
    # The batch job's way (printing.services.extract_batch_run): documents of BATCH_CHUNK pages, merged.
    started = time.perf_counter()
    pages = [page_for(r, issue_facts(i)) for i, r in enumerate(records)]
    pdf = merge_pdfs([render_pages(pages[i : i + BATCH_CHUNK]) for i in range(0, len(pages), BATCH_CHUNK)])
    out["batch500_s"] = round(time.perf_counter() - started, 2)
    out["batch500_records"] = len(records)
    out["batch500_kb"] = len(pdf) // 1024
    out["batch_impl"] = f"printing.rendering.render_pages in chunks of {BATCH_CHUNK}, merge_pdfs"
    return out
