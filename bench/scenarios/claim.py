"""Claims: 16 claimers of one commune race for the same queue; claims/s and double claims (must be 0).

Needs the inbox of issue 3: a queue selector (see inbox.CANDIDATES) and a claim
service (CANDIDATES below), called as `claim(task=item, actor=user)`. Each claimer
is a process: it reads its queue's first page, claims one of the first ten items
at random (so claimers collide), and repeats for `bench.duration` seconds. A
refused claim (someone was first) is a lost race, not an error. A double claim is
an item that two claimers were both told they hold.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter

from bench.capabilities import call_with, require
from bench.scenarios import inbox
from bench.seed import CLAIMERS

NAME = "claim"
KEYS = ["claims_per_s", "double_claims"]
CANDIDATES = [
    ("workflows.inbox", "task_claim"),
    ("workflows.inbox", "claim"),
    ("workflows.inbox", "work_claim"),
    ("workflows.services", "task_claim"),
]


def _claimer(args) -> tuple[list, int, float, float]:
    k, duration, barrier, queue = args
    from django.contrib.auth import get_user_model

    selector, _ = inbox.queue_selector()
    claim, _ = require(CANDIDATES, "no claim service")
    user = get_user_model().objects.get(username=f"claimer.{k:02d}")
    rng = random.Random(k)
    won, lost = [], 0
    barrier.wait()
    started = time.perf_counter()
    while time.perf_counter() - started < duration:
        page = inbox.queue_page(selector, user)
        if not page:
            break
        item = rng.choice(page[:10])
        try:
            call_with(
                claim,
                [
                    ((), {"task": item, "actor": user}),
                    ((item, user), {}),
                    ((), {"item": item, "actor": user}),
                ],
            )
        except TypeError:
            raise
        except Exception:
            lost += 1
            continue
        won.append(getattr(item, "pk", item))
    queue.put((won, lost, started, time.perf_counter()))


def run(bench) -> dict:
    inbox.queue_selector()
    require(CANDIDATES, "no claim service in workflows.inbox (issue 3)")
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    n = min(bench.clients, CLAIMERS)
    barrier = ctx.Barrier(n, timeout=600)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=((k, bench.duration, barrier, queue),)) for k in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=bench.duration + 600) for _ in procs]
    for p in procs:
        p.join()
    won = Counter(pk for r in results for pk in r[0])
    claims = sum(won.values())
    span = max(r[3] for r in results) - min(r[2] for r in results)
    return {
        "claims_per_s": round(claims / span, 1) if span > 0 else None,
        "double_claims": sum(c - 1 for c in won.values() if c > 1),
        "claims_lost_races": sum(r[1] for r in results),
        "claimers": n,
    }
