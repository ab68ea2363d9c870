"""Claims: 16 claimers of one commune race for the same queue; claims/s and double claims (must be 0).

Needs the inbox of issue 3: the queue selector and pager (see inbox.CANDIDATES) and the
claim service `workflows.claims.task_claim(task=item, actor=user)`, over the seeded
work items of commune 0 (16 clerks `claimer.NN` race there). Each claimer
is a process: it reads its queue's first page, claims one of the first ten items
at random (so claimers collide), and repeats for `bench.duration` seconds. A
refused claim (someone was first) is a lost race, not an error. A double claim is
an item that two claimers were both told they hold. Afterwards the won items go back
to the queue (their audit rows stay), so runs do not drift the seeded queue.
"""

from __future__ import annotations

import importlib
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
    ("workflows.claims", "task_claim"),
]


def _claimer(args) -> tuple[list, int, float, float]:
    k, duration, barrier, queue = args
    from django.contrib.auth import get_user_model

    selector, _ = inbox.queue_selector()
    claim, where = require(CANDIDATES, "no claim service")
    # A lost race is the service's refusal; anything else is a bug and stops the run.
    refused = getattr(importlib.import_module(where.rpartition(".")[0]), "ClaimRefused", Exception)
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
        except refused:
            lost += 1
            continue
        won.append(getattr(item, "pk", item))
    queue.put((won, lost, started, time.perf_counter()))


def _unclaim(task_ids: list[int]) -> None:
    """Put the items won in the race back into the queue, as they were seeded."""
    from workflows.models import RecordTask

    if task_ids:
        RecordTask.objects.filter(pk__in=task_ids, status="ASSIGNED").update(
            owner=None, status="NEW", assigned=None, last_activity=None
        )


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
    _unclaim(list(won))
    claims = sum(won.values())
    span = max(r[3] for r in results) - min(r[2] for r in results)
    return {
        "claims_per_s": round(claims / span, 1) if span > 0 else None,
        "double_claims": sum(c - 1 for c in won.values() if c > 1),
        "claims_lost_races": sum(r[1] for r in results),
        "claimers": n,
    }
