"""Duplicate check at entry: what runs when a clerk submits a birth.

With the soft check of issue 4 (`registry.matching.find_candidates` or alike) it
times that. Until then it times the foundation's hard check: validate the input,
compute its identity key (registry.record_data.identity_key) and look it up on the
partial unique index (event_type, identity_key) of active records. Half the inputs
are births already in the database (re-typed from their records), half are new.
"""

from __future__ import annotations

import random

from bench.capabilities import find
from bench.stats import profiled, summary, time_calls

NAME = "duplicates"
KEYS = ["dup_check_p95_ms", "dup_check_p50_ms"]
CANDIDATES = [
    ("registry.matching", "find_candidates"),
    ("registry.matching", "likely_duplicates"),
    ("registry.matching", "duplicate_candidates"),
]


def hard_check(*, event_type: str, data, record=None) -> bool:
    from registry.models import ACTIVE_Q, CivilRecord
    from registry.record_data import clean_record_input, identity_key

    key = identity_key(event_type, clean_record_input(data, event_type=event_type).parties)
    if key is None:
        return False
    return CivilRecord.objects.filter(ACTIVE_Q, event_type=event_type, identity_key=key).exists()


def inputs(bench, count: int) -> list[tuple]:
    """(record, input) pairs: existing births of commune 0 re-typed, and new births."""
    from registry.models import CivilRecord
    from registry.record_data import RecordInput, record_input_from

    rng = random.Random(9)
    commune = bench.communes()[0]
    existing = list(
        CivilRecord.objects.filter(
            unit=commune, event_type="birth", identity_key__startswith="id:"
        ).prefetch_related("parties")[: count // 2]
    )
    slot = CivilRecord.objects.filter(unit=commune, event_type="birth", state="scanned").first() or (
        existing[0] if existing else None
    )
    pairs = [(r, record_input_from(r)) for r in existing]
    for i in range(count - len(pairs)):
        pairs.append(
            (
                slot,
                RecordInput(
                    registration_date="12/05/2021",
                    registration_type=1,
                    parties={
                        "subject": {
                            "full_name": f"Nguyễn Văn {rng.choice(['An', 'Bình', 'Hùng'])}",
                            "sex": 1,
                            "birth_date": f"{1 + i % 28:02d}/04/2021",
                        },
                        "mother": {"full_name": "Trần Thị Hoà", "sex": 2, "birth_date": "1995"},
                    },
                ),
            )
        )
    rng.shuffle(pairs)
    return pairs[:count]


def run(bench) -> dict:
    pairs = inputs(bench, bench.samples)
    if not pairs:
        return {"dup_check_impl": "no births seeded"}
    found = find(CANDIDATES)
    impl = "hard key: registry.record_data.identity_key on the partial unique index"

    def check(record, data):
        return hard_check(event_type="birth", data=data, record=record)

    if found:
        fn, where = found
        shape = _shape(fn, *pairs[0])
        if shape is None:
            impl += f" ({where} exists but takes none of the argument shapes the harness knows)"
        else:
            impl = where

            def check(record, data, fn=fn, shape=shape):
                return shape(fn, record, data)

    with profiled("dup_check", bench.profile_dir):
        durations = time_calls(lambda i: check(*pairs[i % len(pairs)]), samples=bench.samples)
    hits = sum(1 for r, d in pairs if hard_check(event_type="birth", data=d, record=r))
    return {
        **summary("dup_check", durations),
        "dup_check_impl": impl,
        "dup_check_hits": hits,
        "dup_check_inputs": len(pairs),
    }


# The argument shapes a soft check may take (its signature is issue 4's to fix).
SHAPES = [
    lambda fn, record, data: fn(event_type="birth", data=data),
    lambda fn, record, data: fn(record=record, data=data),
    lambda fn, record, data: fn(data, event_type="birth"),
    lambda fn, record, data: fn(record, data),
]


def _shape(fn, record, data):
    for shape in SHAPES:
        try:
            shape(fn, record, data)
        except TypeError:
            continue
        return shape
    return None
