"""`python -m bench`: prepare the bench database, run every scenario, print the table, write the JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000, help="records to seed (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="50,000 records and shorter runs")
    parser.add_argument("--samples", type=int, default=None, help="timed calls per latency scenario")
    parser.add_argument("--duration", type=float, default=None, help="seconds per throughput scenario")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients and claimers")
    parser.add_argument("--workers", type=int, default=None, help="writer processes (default 2 × cores)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "civreg_bench"))
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--reseed", action="store_true", help="drop and re-seed the bench database")
    parser.add_argument("--only", default="", help="comma-separated scenario names to run")
    parser.add_argument("--profile", action="store_true", help="write pyinstrument profiles to results/")
    parser.add_argument(
        "--campaign-duration",
        type=float,
        default=None,
        help="seconds of the campaign simulation (default 600 at >= 1,000,000 records, else 30)",
    )
    parser.add_argument(
        "--campaign-users", type=int, default=None, help="simulated staff (default 300; 30 under 1,000,000)"
    )
    parser.add_argument(
        "--campaign-pacing",
        choices=["desk", "uniform"],
        default="desk",
        help="pauses before each action: a desk's per action (default), or --campaign-think before every one",
    )
    parser.add_argument(
        "--campaign-think",
        default="5,15",
        help="with --campaign-pacing uniform: the pause before every action, min,max seconds (default 5,15)",
    )
    parser.add_argument(
        "--campaign-output",
        type=Path,
        default=None,
        help="the campaign report (default results/campaign.json)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="Redis of the campaign's stack (skipped with a note when it does not answer)",
    )
    args = parser.parse_args(argv)
    if args.quick and args.records == 1_000_000:
        args.records = 50_000
    if args.samples is None:
        args.samples = 30 if args.quick else 60
    if args.duration is None:
        args.duration = 5.0 if args.quick else 10.0
    full = args.records >= 1_000_000
    if args.campaign_duration is None:
        args.campaign_duration = 600.0 if full else 30.0
    if args.campaign_users is None:
        args.campaign_users = 300 if full else 30
    if args.campaign_output is None:  # beside the run's JSON: a test's run never overwrites the committed one
        default = args.output.resolve() == (RESULTS / "latest.json").resolve()
        args.campaign_output = (
            RESULTS / "campaign.json"
            if default
            else args.output.with_name(f"{args.output.stem}-campaign.json")
        )
    return args


def git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"{sha}-dirty" if dirty else sha
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def migrations_fingerprint() -> str:
    """A hash of the project's migration files: new migrations mean a fresh seed."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = sorted(f"{app}.{name}" for app, name in loader.disk_migrations)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def prepare_database(args: argparse.Namespace, bench) -> dict[str, Any]:
    """Create, migrate and seed the bench database unless it already holds this N."""
    from django.core.management import call_command
    from django.db import connection

    from audit.chain import key_id
    from bench import db, seed

    fingerprint = migrations_fingerprint()
    # The audit key is part of what was seeded: rows chained under another checkout's key
    # (var/audit-chain.key differs per clone) would not verify, and the campaign checks that they do.
    wanted = {
        "records": str(args.records),
        "seed_version": seed.SEED_VERSION,
        "migrations": fingerprint,
        "audit_key": key_id(),
    }
    if not args.reseed and db.database_exists(args.database):
        meta = db.meta_read()
        if all(meta.get(k) == v for k, v in wanted.items()):
            bench.log(f"Reusing database {args.database} seeded with {args.records:,} records.")
            return {"seeded_now": False, "seed_s": float(meta.get("seed_s", "0") or 0)}
        connection.close()
    bench.log(f"Creating database {args.database} and seeding {args.records:,} records …")
    db.database_recreate(args.database)
    call_command("migrate", verbosity=0)
    timings = seed.seed(args.records, database=args.database, workers=max(1, bench.cores), log=bench.log)
    db.meta_write({**wanted, **timings, "seeded_at": dt.datetime.now().isoformat(timespec="seconds")})
    return {"seeded_now": True, **timings}


def run(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_DATABASE"] = args.database
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench import db, seed
    from bench.context import Bench
    from bench.report import print_table
    from bench.scenarios import SCENARIOS

    cores = seed.cpu_count()
    bench = Bench(
        records=args.records,
        cores=cores,
        workers=args.workers or 2 * cores,
        samples=args.samples,
        duration=args.duration,
        clients=args.clients,
        database=args.database,
        profile_dir=RESULTS if args.profile else None,
        campaign_duration=args.campaign_duration,
        campaign_users=args.campaign_users,
        campaign_think=tuple(float(x) for x in args.campaign_think.split(",")),
        campaign_pacing=args.campaign_pacing,
        campaign_output=args.campaign_output,
        redis_url=args.redis_url,
    )
    started = time.perf_counter()
    results: dict[str, Any] = {
        "records": args.records,
        "cores": cores,
        "commit": git_commit(),
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
    }
    bench.results = results
    results.update(prepare_database(args, bench))
    results["postgres"] = db.server_version()
    results.update(seed.seed_info())

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    statuses: dict[str, str] = {}
    missing: dict[str, str] = {}  # why a key is null: error, not run
    results["loadavg_start"] = round(os.getloadavg()[0], 2)
    for scenario in SCENARIOS:  # every key is in the JSON, null where not measured
        for key in scenario.KEYS:
            results.setdefault(key, None)
    for scenario in SCENARIOS:
        if only and scenario.NAME not in only:
            missing.update({key: "not run (--only)" for key in scenario.KEYS})
            continue
        if getattr(scenario, "ONLY_WHEN_NAMED", False) and scenario.NAME not in only:
            # minutes of a whole stack under load: its own run, `--only campaign`
            missing.update({key: f"not run (--only {scenario.NAME})" for key in scenario.KEYS})
            continue
        bench.log(f"- {scenario.NAME}")
        t0 = time.perf_counter()
        try:
            measured = scenario.run(bench)
            # A scenario may say why some of its keys stay null ("_missing": {key: reason}).
            missing.update(measured.pop("_missing", {}))
            results.update(measured)
            statuses[scenario.NAME] = "ok"
        except Exception as exc:  # a broken scenario must not hide the others' figures
            statuses[scenario.NAME] = f"error: {exc.__class__.__name__}: {exc}"
            missing.update({key: "error" for key in scenario.KEYS})
            results[f"{scenario.NAME}_error"] = f"{exc.__class__.__name__}: {exc}"
            bench.log(f"  ERROR in {scenario.NAME}:\n{traceback.format_exc()}")
        finally:
            from django.db import connections

            connections.close_all()
        bench.log(f"  ({time.perf_counter() - t0:.1f} s)")
    results.update({f"status_{name}": status for name, status in statuses.items()})
    # Other work on the machine skews every figure: the load average says how busy it was.
    results["loadavg_end"] = round(os.getloadavg()[0], 2)
    results["bench_s"] = round(time.perf_counter() - started, 1)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    print_table(results, statuses, missing)
    bench.log(f"Written to {args.output}")
    return results


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0
