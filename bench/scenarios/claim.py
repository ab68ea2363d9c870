"""Claims: 16 clerks of one commune claim work at once; claims/s and double claims (must be 0).

The queue selector `workflows.inbox.queue_for` and the claim services of
`workflows.claims`, over the seeded work items of commune 0 (16 clerks
`claimer.NN` work there). Each claimer is a process with its user loaded once (scopes
cached, as within one request), released together by a barrier; two runs of
`bench.duration` seconds each:

- `claims_per_s`: what clerks mostly do, "claim next" — `tasks_claim_next(actor, queue=
  queue_for(actor), count=1)` in a loop, one item and one transaction a call. The commune's
  queue holds a few hundred items, fewer than a run claims, so each claimer puts the items
  it holds back into the queue every `HOLD` claims (one UPDATE of its own items, inside the
  timed run, not audited); an item it was told it holds but no longer does is a double claim.
- `claims_race_per_s`: the page race — read the queue's first page (`page_of`), claim one
  of its first ten items at random through `task_claim` (so claimers collide), repeat. A
  refused claim (someone was first) is a lost race (`claims_lost_races`), not an error; an
  item two claimers were both told they hold is a double claim. Won items go back afterwards.

`double_claims` counts both runs. Claim audit rows stay, so runs do not drift the seeded
queue but do add to the commune's audit lanes.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter

from bench.scenarios import inbox
from bench.seed import CLAIMERS
from bench.stats import profiled

NAME = "claim"
KEYS = ["claims_per_s", "claims_race_per_s", "double_claims"]
# A "claim next" claimer puts back what it holds after this many claims.
HOLD = 20


def _load_user(k: int):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=f"claimer.{k:02d}")


def _put_back(user, task_ids: list[int]) -> int:
    """Send the claimer's items back to the queue, as seeded; returns how many it still held
    (fewer than it was told it holds: another claimer got one too, or it got one twice)."""
    from workflows.models import RecordTask

    if not task_ids:
        return 0
    return RecordTask.objects.filter(pk__in=task_ids, owner=user, status="ASSIGNED").update(
        owner=None, status="NEW", assigned=None, last_activity=None
    )


def _next_claimer(args) -> None:
    """Claim next, one at a time, for `duration` seconds: (claims, double claims, empty, start, end).
    The first claimer is profiled when the run asks for profiles."""
    from workflows.claims import tasks_claim_next
    from workflows.inbox import queue_for

    k, duration, barrier, queue, profile_dir = args
    user = _load_user(k)
    held: list[int] = []
    claims = doubles = empty = 0
    barrier.wait()
    started = time.perf_counter()
    with profiled("claim_next", profile_dir if k == 0 else None):
        while time.perf_counter() - started < duration:
            got = tasks_claim_next(actor=user, queue=queue_for(user), count=1)
            if not got:
                empty += 1
            held.extend(task.pk for task in got)
            claims += len(got)
            if len(held) >= HOLD or not got:
                doubles += len(held) - _put_back(user, held)
                held = []
    ended = time.perf_counter()
    doubles += len(held) - _put_back(user, held)
    queue.put((claims, doubles, empty, started, ended))


def _race_claimer(args) -> None:
    """Race on the first page for `duration` seconds: (won item ids, lost races, start, end)."""
    from workflows.claims import ClaimRefused, task_claim

    k, duration, barrier, queue, _profile_dir = args
    user = _load_user(k)
    rng = random.Random(k)
    won, lost = [], 0
    barrier.wait()
    started = time.perf_counter()
    while time.perf_counter() - started < duration:
        page = inbox.queue_page(user)
        if not page:
            break
        item = rng.choice(page[:10])
        try:
            task_claim(task=item, actor=user)
        except ClaimRefused:  # someone was first; anything else is a bug and stops the run
            lost += 1
            continue
        won.append(item.pk)
    queue.put((won, lost, started, time.perf_counter()))


def _unclaim(task_ids: list[int]) -> None:
    """Put the items won in the race back into the queue, as they were seeded."""
    from workflows.models import RecordTask

    if task_ids:
        RecordTask.objects.filter(pk__in=task_ids, status="ASSIGNED").update(
            owner=None, status="NEW", assigned=None, last_activity=None
        )


def _run_claimers(target, bench, n: int) -> list:
    """Start n claimer processes on `target`, release them together, collect what each reports."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(n, timeout=600)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=((k, bench.duration, barrier, queue, bench.profile_dir),))
        for k in range(n)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=bench.duration + 600) for _ in procs]
    for p in procs:
        p.join()
    return results


def _rate(count: int, results: list, start: int, end: int) -> float | None:
    span = max(r[end] for r in results) - min(r[start] for r in results)
    return round(count / span, 1) if span > 0 else None


def run(bench) -> dict:
    n = min(bench.clients, CLAIMERS)

    nexts = _run_claimers(_next_claimer, bench, n)
    next_claims = sum(r[0] for r in nexts)

    races = _run_claimers(_race_claimer, bench, n)
    won = Counter(pk for r in races for pk in r[0])
    _unclaim(list(won))

    return {
        "claims_per_s": _rate(next_claims, nexts, 3, 4),
        "double_claims": sum(r[1] for r in nexts) + sum(c - 1 for c in won.values() if c > 1),
        "claims_next_total": next_claims,
        "claims_next_empty": sum(r[2] for r in nexts),
        "claims_race_per_s": _rate(sum(won.values()), races, 2, 3),
        "claims_lost_races": sum(r[1] for r in races),
        "claimers": n,
    }
