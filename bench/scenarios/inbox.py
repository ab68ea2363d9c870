"""Inbox: the first queue page of a commune clerk and of a province admin (service level).

The queue selector `workflows.inbox.queue_for(user)`, its first page taken the way the inbox
page takes it: `workflows.inbox.page_of` (keyset, newest work last, the page's records loaded
in a second query), over the seeded `RecordTask` rows (bench/seed.py writes them as
`workflows.flows.processes_start_for` does).
"""

from __future__ import annotations

from bench.stats import profiled, summary, time_calls

NAME = "inbox"
KEYS = ["inbox_clerk_p95_ms", "inbox_province_p95_ms", "inbox_clerk_p50_ms", "inbox_province_p50_ms"]
PAGE = 25


def queue_page(user) -> list:
    """The user's first queue page, as the Queue page shows it."""
    from workflows.inbox import page_of, queue_for

    return page_of(queue_for(user), size=PAGE).items


def run(bench) -> dict:
    out: dict = {"inbox_selector": "workflows.inbox.queue_for + page_of"}
    for key, username in (("inbox_clerk", bench.clerk_name(0)), ("inbox_province", "admin.tinh")):
        # A fresh user per call, as each request loads it: no scope cache carried over.
        with profiled(key, bench.profile_dir):
            durations = time_calls(lambda _i, u=username: queue_page(bench.user(u)), samples=bench.samples)
        out.update(summary(key, durations))
        out[f"{key}_rows"] = len(queue_page(bench.user(username)))
    return out
