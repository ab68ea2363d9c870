"""Statistics on the civil data (issue 21): the page a province manager opens, at province scope.

`reports.views.civil_statistics` (URL name `progress_civil_statistics`) reads the materialized
summary `reports.CivilDataCount`, never the records; the scenario first rebuilds the summary
from the seeded records (`civil_stats_rebuild`, timed too: what the scheduler pays every
CIVIL_STATS_EVERY_MINUTES), then times the page for several pairs of criteria.
"""

from __future__ import annotations

import time

from bench.stats import percentile, profiled, time_calls

NAME = "civil_statistics"
KEYS = ["civil_stats_p95_ms"]
PAIRS = [
    ("event_type", "sex"),
    ("unit", "registration_type"),
    ("decade", "ethnicity"),
    ("year", "state"),
]


def run(bench) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from reports.civil_stats import civil_stats_rebuild

    started = time.monotonic()
    snapshot = civil_stats_rebuild()
    rebuild_s = time.monotonic() - started
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(bench.user("admin.tinh"))
    url = reverse("progress_civil_statistics")

    def page(i: int) -> None:
        rows, columns = PAIRS[i % len(PAIRS)]
        response = client.get(url, {"rows": rows, "columns": columns})
        if response.status_code != 200:
            raise RuntimeError(f"civil statistics answered {response.status_code}")

    samples = max(8, bench.samples // 4)
    with profiled("civil_statistics", bench.profile_dir):
        durations = time_calls(page, samples=samples, warmup=1)
    with CaptureQueriesContext(connection) as queries:
        page(0)
    return {
        "civil_stats_p95_ms": round(percentile(durations, 95), 1),
        "civil_stats_queries": len(queries.captured_queries),
        "civil_stats_rebuild_s": round(rebuild_s, 2),
        "civil_stats_summary_rows": snapshot.rows,
        "civil_stats_impl": "reports.views.civil_statistics over reports.CivilDataCount",
    }
