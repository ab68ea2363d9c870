"""Legacy import: records/s and peak memory of the importer of issue 10, end to end.

A Ministry-format CSV (`registry.ministry_format.columns_for("birth")`, UTF-8) of
`rows` valid, distinct births of 2024 is generated: names drawn from the seed's pools,
a PIN each (province code 090, which neither the seed (035) nor the transition
scenario uses, so every identity key is new), 500 cases per scratch book
("bench-imp-NNN/2024", removed afterwards with `scratch_cleanup`). The import
(`legacy_import`: upload, dry run, commit, as the clerk of the last seeded commune)
runs in a fresh child process (the URL configuration loaded first, as in a worker); the child
reports its time for the import alone and
its own peak RSS (`getrusage(RUSAGE_SELF).ru_maxrss`, so the parent's memory and
other children do not count). It runs twice: on the first 10,000 rows
(`import_rss_10k_mb`) and on the whole file (`import_peak_rss_mb`,
`import_records_per_s`): equal peaks mean memory does not grow with the file.

Rows: 20,000 below 1M seeded records (--quick), 100,000 at 1M, half the records for
tiny smoke runs. A probe of 1,000 rows (one batch) goes first; if at its
rate the two runs would exceed the time budget (20 min at 1M, 10 below), only the
probe is reported (`import_note` says so, `import_rss_10k_mb` stays null). After each
run the scratch books, the import jobs and their stored files are removed.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import profiled

NAME = "legacy_import"
KEYS = ["import_records_per_s", "import_peak_rss_mb", "import_rss_10k_mb"]
BOOK_PREFIX = "bench-imp-"
PER_BOOK = 500
PIN_PROVINCE = "090"
SMALL = 10_000
PROBE = 1000  # one importer batch (100 rows measured mostly the fixed costs of a job)
BUDGET_S = 20 * 60  # the two measured runs at 1M records; half of it below


def rows_for(records: int) -> int:
    if records >= 1_000_000:
        return 100_000
    return min(20_000, max(200, records // 2))


def make_input(path: Path, rows: int, seed: int = 10) -> None:
    """Write `rows` valid, distinct birth rows in the Ministry's columns (UTF-8 CSV)."""
    from bench import names_data as nd
    from registry.ministry_format import columns_for

    rng = random.Random(seed)
    family = ([n for n, _w in nd.FAMILY], [w for _n, w in nd.FAMILY])
    middle = {
        1: ([n for n, _w in nd.MIDDLE_MALE], [w for _n, w in nd.MIDDLE_MALE]),
        2: ([n for n, _w in nd.MIDDLE_FEMALE], [w for _n, w in nd.MIDDLE_FEMALE]),
    }
    given = {1: nd.GIVEN_MALE, 2: nd.GIVEN_FEMALE}

    def name(sex: int, surname: str | None = None) -> str:
        surname = surname or rng.choices(*family)[0]
        return f"{surname} {rng.choices(*middle[sex])[0]} {rng.choice(given[sex])}"

    columns = columns_for("birth")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(rows):
            book, entry = divmod(i, PER_BOOK)
            sex = 1 + i % 2
            month, day = 1 + rng.randrange(10), 1 + rng.randrange(28)  # born Jan–Oct 2024
            father = name(1)
            row = dict.fromkeys(columns, "")
            row.update({
                "so": entry + 1, "quyenSo": f"{BOOK_PREFIX}{book:03d}/2024", "trangSo": 1 + entry // 2,
                "ngayDangKy": f"{day:02d}.{month + 1:02d}.2024",
                "loaiDangKy": 1, "noiDangKy": "UBND xã", "nguoiKy": rng.choice(nd.SIGNERS),
                "chucVuNguoiKy": rng.choice(nd.SIGNER_TITLES),
                "nksHoTen": name(sex, father.split()[0]), "nksGioiTinh": sex,
                "nksNgaySinh": f"{day:02d}.{month:02d}.2024", "nksDanToc": "Kinh", "nksQuocTich": "Việt Nam",
                # century/sex digit: 2 male, 3 female born in the 2000s; a unique serial
                "nksSoGiayToTuyThan": f"{PIN_PROVINCE}{1 + sex}24{i:06d}",
                "meHoTen": name(2), "meNgaySinh": str(1975 + rng.randrange(30)),
                "meDanToc": "Kinh", "meQuocTich": "Việt Nam",
                "chaHoTen": father, "chaNgaySinh": str(1970 + rng.randrange(30)),
                "chaDanToc": "Kinh", "chaQuocTich": "Việt Nam",
            })  # fmt: skip
            writer.writerow([row[c] for c in columns])


def _child() -> None:
    """In the child process: import argv's file, print one JSON line with time, counts and peak RSS
    (the import profiled into argv[4]/profile-legacy_import.txt when a directory is given)."""
    import resource

    import django

    path, unit_id, username = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    profile_dir = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    django.setup()
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from imports.services import legacy_import
    from registry.models import AdministrativeUnit

    unit = AdministrativeUnit.objects.get(pk=unit_id)
    actor = get_user_model().objects.get(username=username)
    # The URL configuration is loaded once per worker process, not per import: loaded before the
    # clock starts (the job's result link needs it; its first load took ~1 s, most of a 100-row probe).
    reverse("import_job", args=[0])
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db_cpu_started = _backend_cpu()
    started, cpu_started = time.perf_counter(), time.process_time()
    with profiled("legacy_import", profile_dir):
        job = legacy_import(path, unit=unit, event_type="birth", actor=actor)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    db_cpu = _backend_cpu() - db_cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "job": job.pk, "status": job.status, "message": job.message, "total": job.total_rows,
        "committed": job.committed_rows, "errors": job.error_rows, "likely": job.duplicate_rows,
        "seconds": elapsed, "cpu_seconds": cpu, "db_cpu_seconds": db_cpu,
        "rss_start_mb": rss_start, "peak_mb": peak,
    }  # fmt: skip
    print(json.dumps(out))


def _backend_cpu() -> float:
    """CPU seconds of this process's PostgreSQL backend so far (the database runs on this machine:
    /proc of its process); 0 where it cannot be read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _import(bench, path: Path, unit, username: str, profile_dir: Path | None = None) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE": bench.database}
    # Django first: importing the bench.scenarios package loads models.
    code = "import django; django.setup(); from bench.scenarios.legacy_import import _child; _child()"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(path),
            str(unit.pk),
            username,
            *([str(profile_dir)] if profile_dir else []),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import child failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cleanup(job_ids: list[int]) -> int:
    from django.db.models import Q

    from bench.scratch import scratch_cleanup
    from imports.models import ImportJob

    removed = scratch_cleanup()
    # The given jobs, and any left by an interrupted run (named after the generated files).
    for job in ImportJob.objects.filter(Q(pk__in=job_ids) | Q(original_name__startswith="bench-import-")):
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return removed


def _run_one(
    bench, path: Path, count: int, unit, username: str, jobs: list[int], profile_dir: Path | None = None
) -> dict:
    out = _import(bench, path, unit, username, profile_dir)
    jobs.append(out["job"])
    bench.log(
        f"  legacy_import {count:,} rows: {out['seconds']:.1f} s (CPU: child {out['cpu_seconds']:.1f} s, "
        f"its database backend {out['db_cpu_seconds']:.1f} s), "
        f"{out['committed']:,} imported, "
        f"{out['errors']} invalid, {out['likely']} likely dup., peak RSS {out['peak_mb']:.0f} MB "
        f"(after setup {out['rss_start_mb']:.0f} MB), status {out['status']}"
    )
    if out["committed"] != count:
        raise RuntimeError(f"{count} rows imported as {out['committed']}: {out}")
    # The next import re-uses the same books and PINs: clear this one first.
    _cleanup(jobs)
    jobs.clear()
    return out


def run(bench) -> dict:
    _cleanup([])
    rows = rows_for(bench.records)
    small = min(SMALL, rows)
    probe = min(PROBE, rows)
    budget = BUDGET_S if bench.records >= 1_000_000 else BUDGET_S / 2
    commune_index = len(bench.communes()) - 1
    unit = bench.communes()[commune_index]
    username = bench.clerk_name(commune_index)
    jobs: list[int] = []
    result: dict = {
        "import_impl": "imports.services.legacy_import",
        "import_rows": rows,
        "import_rows_small": small,
    }
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        paths = {n: Path(tmp) / f"bench-import-{n}.csv" for n in {probe, small, rows}}
        started = time.perf_counter()
        for n, path in paths.items():
            make_input(path, n)
        bench.log(f"  legacy_import: {rows:,} rows generated in {time.perf_counter() - started:.1f} s")
        try:
            # A probe of one batch first: the full runs are made only if they fit the time budget.
            out = _run_one(bench, paths[probe], probe, unit, username, jobs)
            rate = probe / out["seconds"]
            result["import_records_per_s_probe"] = round(rate, 1)
            result["import_rss_probe_mb"] = round(out["peak_mb"], 1)
            projected = (small + rows) / rate
            if projected > budget:
                result.update({
                    "import_records_per_s": round(rate, 1), "import_peak_rss_mb": round(out["peak_mb"], 1),
                    "import_rss_10k_mb": None, "import_rows": probe,
                    "_missing": {"import_rss_10k_mb": "not run (too slow: see import_note)"},
                    "import_note": (
                        f"only a probe of {probe:,} rows was imported ({out['seconds']:.0f} s): at "
                        f"{rate:.1f} rec/s the runs of {small:,} and {rows:,} rows would take "
                        f"{projected / 60:.0f} min (budget {budget / 60:.0f} min)"
                    ),
                })  # fmt: skip
                bench.log(f"  legacy_import: {result['import_note']}")
                return result
            # The 10,000-row run is the profiled one (when asked): its rate is reported apart.
            out = _run_one(bench, paths[small], small, unit, username, jobs, bench.profile_dir)
            result["import_rss_10k_mb"] = round(out["peak_mb"], 1)
            result["import_records_per_s_10k"] = round(small / out["seconds"], 1)
            out = _run_one(bench, paths[rows], rows, unit, username, jobs)
            result["import_records_per_s"] = round(rows / out["seconds"], 1)
            result["import_peak_rss_mb"] = round(out["peak_mb"], 1)
            result["import_rss_start_mb"] = round(out["rss_start_mb"], 1)
            result["import_seconds"] = round(out["seconds"], 1)
            # Python's share (the machine may be shared: CPU per row compares runs, wall time does not)
            result["import_cpu_ms_per_row"] = round(1000 * out["cpu_seconds"] / rows, 3)
            result["import_db_cpu_ms_per_row"] = round(1000 * out["db_cpu_seconds"] / rows, 3)
            result["import_likely_duplicates"] = out["likely"]
        finally:
            removed = _cleanup(jobs)
            bench.log(f"  legacy_import: cleanup removed {removed:,} scratch records")
    return result
