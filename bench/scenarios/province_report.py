"""Province daily report: the progress dashboard a province admin opens at 17:00 (issue 8).

The page itself (`reports.views.dashboard`, URL name `progress_dashboard`), requested
through Django's test client in this process as the province admin: counts by
district × state, work per day over the last week, by event type and phase, the
people's figures and the targets, over the whole province, rendered. It reads the
counters the transition hooks keep (seeded by `progress_rebuild`), never the records.
"""

from __future__ import annotations

from bench.stats import percentile, profiled, time_calls

NAME = "province_report"
KEYS = ["province_report_ms"]


def run(bench) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(bench.user("admin.tinh"))
    url = reverse("progress_dashboard")

    def page(_i: int) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"progress dashboard answered {response.status_code}")

    samples = max(5, bench.samples // 4)
    with profiled("province_report", bench.profile_dir):
        durations = time_calls(page, samples=samples, warmup=1)
    with CaptureQueriesContext(connection) as queries:
        page(0)
    return {
        "province_report_ms": round(percentile(durations, 50), 1),
        "province_report_p95_ms": round(percentile(durations, 95), 1),
        "province_report_queries": len(queries.captured_queries),
        "province_report_impl": "reports.views.dashboard (progress_dashboard page, province admin)",
    }
