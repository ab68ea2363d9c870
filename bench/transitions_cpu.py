"""CPU and statements per transition, one process: the transitions scenario's loop without the load.

    python -m bench.transitions_cpu --database civreg_bench --cases 100 [--profile out.txt]

On a seeded bench database (`python -m bench` made it), walks `--cases` fresh scratch slots of
one commune through scan → enter → attach → review → approve → transfer with
`workflows.services`, as `bench/scenarios/transitions.py` does, after a warm-up of 10 cases.
Prints the process CPU time per transition and per stage and the statements each stage sends
(counted on the connection). Rates under load belong to `python -m bench --only transitions`;
this one isolates the Python cost, which the machine's other work does not skew. It removes every
scratch book when it starts and ends (`bench.scratch`): never run it beside `python -m bench`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("scan", "enter", "attach", "review", "approve", "transfer")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="civreg_bench")
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--commune", type=int, default=7)
    parser.add_argument("--profile", default="", help="write a cProfile (sorted by cumulative time) here")
    args = parser.parse_args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_DATABASE"] = args.database
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.context import Bench
    from bench.scenarios.transitions import birth_data
    from bench.scratch import scratch_book, scratch_cleanup
    from workflows import services as wf

    bench = Bench(
        records=0,
        cores=1,
        workers=1,
        samples=0,
        duration=0,
        clients=0,
        database=args.database,
        profile_dir=None,
    )
    scratch_cleanup()
    c = args.commune
    warm = 10
    ids = scratch_book(
        commune=bench.communes()[c],
        label=f"cpu-{time.strftime('%H%M%S')}",
        cases=args.cases + warm,
        actor=bench.user("admin.tinh"),
        scans_by=bench.user(bench.clerk_name(c)),
    )
    clerk, reviewer, approver = (bench.user(f"{role}.c{c:03d}") for role in ("clerk", "reviewer", "approver"))
    data = [birth_data(90 + c, i) for i in range(len(ids))]
    calls = {
        "scan": lambda rid, i: wf.record_scan(record=rid, actor=clerk),
        "enter": lambda rid, i: wf.record_enter(record=rid, actor=clerk, data=data[i]),
        "attach": lambda rid, i: wf.record_attach(record=rid, actor=clerk),
        "review": lambda rid, i: wf.record_review(record=rid, actor=reviewer),
        "approve": lambda rid, i: wf.record_approve(record=rid, actor=approver),
        "transfer": lambda rid, i: wf.record_transfer(record=rid, receipt="BENCH"),
    }
    cpu: dict[str, float] = defaultdict(float)
    statements: dict[str, int] = {}
    profiler = None
    try:
        for i, rid in enumerate(ids):
            if i == warm and args.profile:
                import cProfile

                profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the database
                profiler.enable()
            for stage in STAGES:
                if i == warm:  # one case with the statements counted (counting costs CPU)
                    with CaptureQueriesContext(connection) as captured:
                        calls[stage](rid, i)
                    statements[stage] = len(captured.captured_queries)
                    continue
                started = time.process_time()
                calls[stage](rid, i)
                if i > warm:
                    cpu[stage] += time.process_time() - started
        if profiler is not None:
            profiler.disable()
    finally:
        scratch_cleanup()
    n = args.cases - 1
    total = sum(cpu.values())
    print(f"{n} cases × {len(STAGES)} transitions, one process")
    print(f"CPU per transition: {1000 * total / (n * len(STAGES)):.2f} ms")
    for stage in STAGES:
        print(f"  {stage:9s} {1000 * cpu[stage] / n:6.2f} ms CPU  {statements[stage]:3d} statements")
    print(f"statements per case: {sum(statements.values())}")
    if profiler is not None:
        import io
        import pstats

        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
        Path(args.profile).write_text(out.getvalue())
        profiler.dump_stats(f"{args.profile}.prof")
        print(f"profile: {args.profile}")


if __name__ == "__main__":
    main()
