"""Search by name without diacritics: a commune clerk and a province admin type names as
"nguyen van hung", "tran thi", "le van h" and get the first page of matching people.

Uses the project's search (issue 4) when it exists; until then the foundation's
way: a prefix match on registry.Party.name_key (btree varchar_pattern_ops index),
scoped by permissions.scoping, first 25 in name order with the record joined.
"""

from __future__ import annotations

import random

from bench.capabilities import call_with, find, first_page
from bench.stats import percentile, profiled, summary, time_calls

NAME = "search"
KEYS = ["search_p95_ms", "search_clerk_p95_ms", "search_province_p95_ms"]
PAGE = 25
CANDIDATES = [
    ("registry.search", "search_records"),
    ("registry.search", "records_search"),
    ("registry.search", "name_search"),
    ("registry.search", "search_by_name"),
    ("registry.selectors", "search_by_name"),
]


def foundation_search(user, query: str) -> list:
    from permissions.scoping import scope_q
    from registry.models import Party
    from vietnamese.names import name_key

    return list(
        Party.objects.filter(name_key__startswith=name_key(query))
        .filter(scope_q(user, "view_records", path_field="record__unit_path"))
        .select_related("record")
        .order_by("name_key", "id")[:PAGE]
    )


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
    found = find(CANDIDATES)
    if found:
        fn, where = found

        try:  # issue 4's search takes a query object
            from registry.search import RecordQuery
        except ImportError:
            RecordQuery = None

        def search(user, query):
            shapes = [((user, RecordQuery(name=query)), {})] if RecordQuery is not None else []
            result = call_with(
                fn,
                [
                    *shapes,
                    ((user, query), {}),
                    ((), {"user": user, "query": query}),
                    ((), {"user": user, "q": query}),
                    ((), {"user": user, "name": query}),
                ],
            )
            return first_page(result, PAGE)
    else:
        search, where = foundation_search, "foundation: Party.name_key prefix (vietnamese.names.name_key)"
    communes = bench.communes()
    out: dict = {"search_impl": where}
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
