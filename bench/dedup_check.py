"""Time the likely-duplicate check against a large register.

    DEBUG=1 python bench/dedup_check.py --records 1000000 --probes 2000

Loads N synthetic birth cases (names with realistic frequencies from duplicates.evaluation)
into a unit of its own ("BENCH-DEDUP", reused on later runs), then runs probes through
`registry.matching.find_likely_duplicates` (the function the entry screen, the approval
check and imports call) and prints p50/p95/p99 latency and how many rows a check touched.
Half the probes are variants of stored cases, half new people.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from duplicates.evaluation import KINDS, _case, _person, make_variant  # noqa: E402
from registry.matching import dedup_keys, find_likely_duplicates, probe_keys  # noqa: E402
from registry.models import AdministrativeUnit, CivilRecord, Party, RecordState, RegisterBook  # noqa: E402
from registry.services import unit_create  # noqa: E402
from vietnamese.names import name_exact_key, name_key  # noqa: E402

BOOK_SIZE = 10_000
BATCH = 5_000


def bench_unit() -> AdministrativeUnit:
    unit = AdministrativeUnit.objects.filter(code="BENCH-DEDUP").first()
    return unit or unit_create(code="BENCH-DEDUP", name="Bench dedup", level="commune")


def load(unit: AdministrativeUnit, total: int, rng: random.Random) -> list:
    have = CivilRecord.objects.filter(unit=unit).count()
    cases = []
    started = time.perf_counter()
    for start in range(have, total, BATCH):
        n = min(BATCH, total - start)
        with transaction.atomic():
            book_no = str(start // BOOK_SIZE)
            book, _ = RegisterBook.objects.get_or_create(
                custodian=unit,
                event_type="birth",
                year=2000,
                book_no=book_no,
                defaults={"authority_as_written": unit.name},
            )
            batch = [_case(rng) for _ in range(n)]
            records = CivilRecord.objects.bulk_create(
                [
                    CivilRecord(
                        book=book,
                        unit=unit,
                        unit_path=unit.path,
                        event_type="birth",
                        entry_no=start + i + 1,
                        state=RecordState.ENTERED,
                        reg_year=c.birth.year,
                        dedup_keys=dedup_keys(_person(c, 0)),
                    )
                    for i, c in enumerate(batch)
                ]
            )
            parties = []
            for record, c in zip(records, batch, strict=True):
                for role, name, sex, birth in (
                    ("subject", c.name, c.sex, c.birth),
                    ("mother", c.mother, 2, None),
                    ("father", c.father, 1, None),
                ):
                    parties.append(
                        Party(
                            record=record,
                            role=role,
                            full_name=name,
                            name_key=name_key(name),
                            name_exact_key=name_exact_key(name),
                            sex=sex,
                            birth_year=birth.year if birth else None,
                            birth_month=birth.month if birth else None,
                            birth_day=birth.day if birth else None,
                        )
                    )
            Party.objects.bulk_create(parties)
        if len(cases) < 20_000:
            cases.extend(batch[: 20_000 - len(cases)])
        done = start + n
        if done % 50_000 < BATCH:
            rate = (done - have) / (time.perf_counter() - started)
            print(f"  loaded {done:,} records ({rate:,.0f}/s)", flush=True)
    if not cases:  # reusing a loaded unit: sample stored cases back
        rows = Party.objects.filter(record__unit=unit, role="subject").values_list("full_name", flat=True)[
            :20_000
        ]
        cases = [_case(rng) for _ in range(len(rows))]
        for c, name in zip(cases, rows, strict=False):
            c.name = name
    return cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    unit = bench_unit()
    # Loading is much faster without the GIN index; it is rebuilt once at the end.
    gin = next(i for i in CivilRecord._meta.indexes if i.name == "record_dedup_keys")
    loading = CivilRecord.objects.filter(unit=unit).count() < args.records
    if loading:
        with connection.schema_editor() as editor:
            editor.remove_index(CivilRecord, gin)
    try:
        cases = load(unit, args.records, rng)
    finally:
        if loading:
            started = time.perf_counter()
            with connection.schema_editor() as editor:
                editor.add_index(CivilRecord, gin)
            print(f"  GIN index rebuilt in {time.perf_counter() - started:.0f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_civilrecord; ANALYZE registry_party")
    total = CivilRecord.objects.count()
    timings, blocks, hits = [], [], 0
    for i in range(args.probes):
        if i % 2 == 0:
            probe = _person(make_variant(rng.choice(cases), KINDS[i % len(KINDS)], rng), -1)
        else:
            probe = _person(_case(rng), -1)
        start = time.perf_counter()
        found = find_likely_duplicates(probe)
        timings.append((time.perf_counter() - start) * 1000)
        hits += bool(found)
        if i % 10 == 0:
            blocks.append(
                CivilRecord.objects.filter(dedup_keys__overlap=probe_keys(probe))
                .exclude(state__in=["rejected", "duplicate"])
                .count()
            )
    timings.sort()

    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, int(p * len(timings)))]

    print(f"{total:,} records in the database; {args.probes} checks ({hits} with a likely duplicate)")
    print(f"latency ms: p50 {pct(0.50):.2f}  p95 {pct(0.95):.2f}  p99 {pct(0.99):.2f}  max {timings[-1]:.2f}")
    print(
        f"rows in a block: mean {statistics.mean(blocks):.1f}  p95 {sorted(blocks)[int(0.95 * len(blocks))]}"
        f"  max {max(blocks)}"
    )


if __name__ == "__main__":
    main()
