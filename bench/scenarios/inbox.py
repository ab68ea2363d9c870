"""Inbox: the first queue page of a commune clerk and of a province admin (service level).

Needs the project's queue selector (issue 3, workflows/inbox.py). It is called as
`selector(user)` (or `selector(user=user)`) and its first page materialized.
"""

from __future__ import annotations

from bench.capabilities import call_with, first_page, require
from bench.stats import profiled, summary, time_calls

NAME = "inbox"
KEYS = ["inbox_clerk_p95_ms", "inbox_province_p95_ms", "inbox_clerk_p50_ms", "inbox_province_p50_ms"]
PAGE = 25
CANDIDATES = [
    ("workflows.inbox", "queue_for"),
    ("workflows.inbox", "inbox_queue"),
    ("workflows.inbox", "inbox_for"),
    ("workflows.selectors", "queue_for"),
    ("workflows.selectors", "inbox_for"),
]


def queue_selector():
    return require(CANDIDATES, "no queue selector in workflows.inbox (issue 3)")


def queue_page(selector, user) -> list:
    return first_page(call_with(selector, [((user,), {}), ((), {"user": user})]), PAGE)


def run(bench) -> dict:
    selector, where = queue_selector()
    out: dict = {"inbox_selector": where}
    for key, username in (("inbox_clerk", bench.clerk_name(0)), ("inbox_province", "admin.tinh")):
        # A fresh user per call, as each request loads it: no scope cache carried over.
        with profiled(key, bench.profile_dir):
            durations = time_calls(
                lambda _i, u=username: queue_page(selector, bench.user(u)), samples=bench.samples
            )
        out.update(summary(key, durations))
        out[f"{key}_rows"] = len(queue_page(selector, bench.user(username)))
    return out
