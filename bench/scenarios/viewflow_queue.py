"""viewflow as shipped: its built-in queue over the seeded Processes and Tasks (the peer baseline).

This is the query FlowQueueListView runs for its first page: `Task.objects.user_queue(user,
flow_class).filter(status=NEW)`, newest first, with the process joined, counted for the paginator
(viewflow's list pages show 25 rows). The user is loaded fresh each time, as per request, so
viewflow's per-user guardian permission cache is rebuilt as it is on every page view.
"""

from __future__ import annotations

from bench.stats import profiled, summary, time_calls

NAME = "viewflow_queue"
KEYS = ["viewflow_queue_p95_ms", "viewflow_queue_province_p95_ms", "viewflow_ratio"]
PAGE = 25


def queue_page(user) -> tuple[int, list]:
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from bench.flows import BaselineRecordFlow

    queryset = (
        Task.objects.all()
        .select_related("process")
        .user_queue(user, flow_class=BaselineRecordFlow)
        .filter(status=STATUS.NEW)
        .order_by("-created")
    )
    return queryset.count(), list(queryset[:PAGE])


def run(bench) -> dict:
    out: dict = {}
    for key, username in (("viewflow_queue", bench.clerk_name(0)), ("viewflow_queue_province", "admin.tinh")):
        # The province admin's page takes seconds (two queries per guardian permission): fewer samples.
        samples = bench.samples if key == "viewflow_queue" else max(2, bench.samples // 4)
        warmup = 1 if key == "viewflow_queue" else 0
        with profiled(key, bench.profile_dir):
            durations = time_calls(
                lambda _i, u=username: queue_page(bench.user(u)), samples=samples, warmup=warmup
            )
        out.update(summary(key, durations))
        count, rows = queue_page(bench.user(username))
        out[f"{key}_count"] = count
        out[f"{key}_rows"] = len(rows)
    ours = bench.results.get("inbox_clerk_p95_ms")
    out["viewflow_ratio"] = round(out["viewflow_queue_p95_ms"] / ours, 1) if ours else None
    return out
