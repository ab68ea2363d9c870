"""Inbox: the first queue page of a commune clerk and of a province admin (service level).

Needs the project's queue selector (issue 3, `workflows.inbox.queue_for`). It is called
as `selector(user)` and its first page taken the way the inbox page takes it:
`workflows.inbox.page_of` (keyset, newest work last, the page's records loaded in a
second query), over the seeded `RecordTask` rows (bench/seed.py writes them as
`workflows.flows.processes_start_for` does).
"""

from __future__ import annotations

from bench.capabilities import call_with, find, first_page, require
from bench.stats import profiled, summary, time_calls

NAME = "inbox"
KEYS = ["inbox_clerk_p95_ms", "inbox_province_p95_ms", "inbox_clerk_p50_ms", "inbox_province_p50_ms"]
PAGE = 25
CANDIDATES = [
    ("workflows.inbox", "queue_for"),
]
# How a list page takes one page of a selector's queryset (the records of the page included).
PAGERS = [
    ("workflows.inbox", "page_of"),
]


def queue_selector():
    return require(CANDIDATES, "no queue selector in workflows.inbox (issue 3)")


def queue_page(selector, user) -> list:
    result = call_with(selector, [((user,), {}), ((), {"user": user})])
    pager = find(PAGERS)
    if pager is not None:
        return list(pager[0](result, size=PAGE).items)
    return first_page(result, PAGE)


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
