"""Duplicate check at entry: what runs while a clerk types a birth into a slot.

The entry screen's check (forms.views.draft_autosave): the typed input as a person
(`registry.matching.person_from_input`), then `registry.matching.find_likely_duplicates`
over the dedup keys of all active records, the slot itself excluded. Half the inputs are
births already in the database (re-typed from their records), half are new.
`dup_check_hits` counts the inputs whose hard identity key (registry.record_data.identity_key,
the partial unique index of active records) is taken; `dup_check_found` those the check
answered with at least one likely duplicate.
"""

from __future__ import annotations

import random

from bench.stats import profiled, summary, time_calls

NAME = "duplicates"
KEYS = ["dup_check_p95_ms", "dup_check_p50_ms"]


def hard_check(*, event_type: str, data) -> bool:
    from registry.models import ACTIVE_Q, CivilRecord
    from registry.record_data import clean_record_input, identity_key

    key = identity_key(event_type, clean_record_input(data, event_type=event_type).parties)
    if key is None:
        return False
    return CivilRecord.objects.filter(ACTIVE_Q, event_type=event_type, identity_key=key).exists()


def inputs(bench, count: int) -> list[tuple]:
    """(slot, input) pairs typed into a scanned slot of commune 0: existing births of the commune
    re-typed, and new births."""
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
    if slot is None:
        return []
    pairs = [(slot, record_input_from(r)) for r in existing]
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


def soft_check(record, data) -> list:
    from registry.matching import find_likely_duplicates, person_from_input

    return find_likely_duplicates(person_from_input("birth", data), exclude_record_id=record.pk)


def run(bench) -> dict:
    pairs = inputs(bench, bench.samples)
    if not pairs:
        return {"dup_check_impl": "no births seeded"}
    with profiled("dup_check", bench.profile_dir):
        durations = time_calls(lambda i: soft_check(*pairs[i % len(pairs)]), samples=bench.samples)
    return {
        **summary("dup_check", durations),
        "dup_check_impl": "registry.matching.find_likely_duplicates",
        "dup_check_hits": sum(1 for _r, d in pairs if hard_check(event_type="birth", data=d)),
        "dup_check_found": sum(1 for r, d in pairs if soft_check(r, d)),
        "dup_check_inputs": len(pairs),
    }
