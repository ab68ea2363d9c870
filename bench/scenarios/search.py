"""Search by name without diacritics: a commune clerk and a province admin type names as
"nguyen van hung", "tran thi", "le van h" and get the first page of matching records.

The search page's query: `registry.search.records_search(user, RecordQuery(name=...))`
(records visible to the user, a people's `name_key` prefix, in book and entry order),
first 25.
"""

from __future__ import annotations

import random

from bench.stats import percentile, profiled, summary, time_calls

NAME = "search"
KEYS = ["search_p95_ms", "search_clerk_p95_ms", "search_province_p95_ms"]
PAGE = 25


def search(user, query: str) -> list:
    from registry.search import RecordQuery, records_search

    return list(records_search(user, RecordQuery(name=query))[:PAGE])


def queries(unit_path: str, count: int, seed: int) -> list[str]:
    """What people type: full names, family + middle name, and a partial given name, without marks."""
    from registry.models import CivilRecord, Party

    rng = random.Random(seed)
    entered = CivilRecord.objects.filter(
        unit_path__startswith=unit_path,
        state__in=["entered", "attached", "reviewed", "approved", "transferred"],
    ).values_list("id", flat=True)
    ids = list(entered)
    picked = rng.sample(ids, min(len(ids), max(count, 10)))
    keys = list(
        Party.objects.filter(record_id__in=picked).exclude(name_key="").values_list("name_key", flat=True)
    )
    if not keys:
        return ["nguyen van"]
    out = []
    for i in range(count):
        words = rng.choice(keys).split()
        kind = i % 3
        if kind == 0 or len(words) < 3:
            out.append(" ".join(words))
        elif kind == 1:
            out.append(" ".join(words[:2]))
        else:
            out.append(" ".join(words[:2]) + " " + words[2][:1])
    return out


def run(bench) -> dict:
    communes = bench.communes()
    out: dict = {"search_impl": "registry.search.records_search"}
    everything: list[float] = []
    for key, username, path in (
        ("search_clerk", bench.clerk_name(0), communes[0].path),
        ("search_province", "admin.tinh", bench.province.path),
    ):
        qs = queries(path, bench.samples + 2, seed=len(key))
        with profiled(key, bench.profile_dir):
            durations = time_calls(
                lambda i, u=username, q=qs: search(bench.user(u), q[i % len(q)]), samples=bench.samples
            )
        everything += durations
        out.update(summary(key, durations))
        out[f"{key}_example"] = qs[0]
    out["search_p95_ms"] = round(percentile(everything, 95), 2)
    out["search_p50_ms"] = round(percentile(everything, 50), 2)
    return out
