"""Benchmark: the province progress dashboard over 1,000,000 records (issue 8).

Creates a throwaway database on the embedded server (or on --url's server), migrates
it, seeds with SQL generate_series: 1 province, 10 districts, 100 communes, 10,000
books of 100 cases (1,000,000 records in every state), the per-book state counters
rebuilt from the records, and 30 days of daily and per-person counters. Then it times
the province dashboard through the Django test client and prints EXPLAIN ANALYZE of
its aggregate queries, next to the naive count over the records for comparison.

    DEBUG=1 .venv/bin/python bench/reports_dashboard.py [--records 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "bench_issue8"


def database_url() -> str:
    from config.embedded_db import ensure_running

    ensure_running(ROOT / "var" / "pgdata")
    return f"postgres://postgres@/{DB}?host={ROOT / 'var' / 'pgdata'}"


def recreate(url: str) -> None:
    import psycopg2

    admin = psycopg2.connect(dbname="postgres", user="postgres", host=str(ROOT / "var" / "pgdata"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB}")
        cursor.execute(f"CREATE DATABASE {DB}")
    admin.close()


SEED = """
INSERT INTO registry_administrativeunit (code, name, level, era, parent_id, path, depth)
VALUES ('B00', 'Tỉnh Đo Tải', 'province', 'current', NULL, '', 0);
UPDATE registry_administrativeunit SET path = id || '/' WHERE code = 'B00';

INSERT INTO registry_administrativeunit (code, name, level, era, parent_id, path, depth)
SELECT 'B' || lpad(d::text, 2, '0'), 'Huyện ' || d, 'district', 'current', p.id, '', 1
FROM generate_series(1, 10) d, registry_administrativeunit p WHERE p.code = 'B00';
UPDATE registry_administrativeunit u SET path = p.path || u.id || '/'
FROM registry_administrativeunit p WHERE u.parent_id = p.id AND u.level = 'district' AND u.code LIKE 'B%%';

INSERT INTO registry_administrativeunit (code, name, level, era, parent_id, path, depth)
SELECT d.code || lpad(c::text, 2, '0'), 'Xã ' || d.code || '-' || c, 'commune', 'current', d.id, '', 2
FROM generate_series(1, 10) c, registry_administrativeunit d WHERE d.level = 'district' AND d.code LIKE 'B%%';
UPDATE registry_administrativeunit u SET path = p.path || u.id || '/'
FROM registry_administrativeunit p WHERE u.parent_id = p.id AND u.level = 'commune' AND u.code LIKE 'B%%';

-- %(books_per_commune)s books per commune, %(cases)s cases each.
INSERT INTO registry_registerbook (custodian_id, authority_as_written, authority_unit_id, event_type, year,
    book_no, phase, declared_cases, declared_pages, condition, note, created_at)
SELECT u.id, u.name, u.id, (ARRAY['birth','marriage','death'])[1 + b %% 3], 1960 + b %% 64, b::text,
    CASE WHEN 1960 + b %% 64 >= 2016 THEN 1 WHEN 1960 + b %% 64 >= 2006 THEN 2
         WHEN 1960 + b %% 64 >= 1999 THEN 3 WHEN 1960 + b %% 64 >= 1976 THEN 4 ELSE 5 END,
    %(cases)s, %(cases)s / 2, 'good', '', now() - interval '40 days'
FROM registry_administrativeunit u, generate_series(1, %(books_per_commune)s) b
WHERE u.level = 'commune' AND u.code LIKE 'B%%';

INSERT INTO registry_civilrecord (book_id, unit_id, unit_path, event_type, entry_no, reg_year,
    registration_type, registration_place, signer_name, signer_title, performer_name, note, event_time,
    event_place, event_cause, details, state, version, competence, last_reason, return_remarks, created_at,
    updated_at)
SELECT b.id, b.custodian_id, u.path, b.event_type, e, b.year, 0, '', '', '', '', '', '', '', '', '{}',
    (ARRAY['collected','scanned','entered','attached','reviewed','approved','transferred','transferred',
           'approved','entered','rejected','collected'])[1 + (b.id * 7 + e) %% 12],
    1, 'commune', '', '{}', now(), now()
FROM registry_registerbook b JOIN registry_administrativeunit u ON u.id = b.custodian_id,
     generate_series(1, %(cases)s) e
WHERE u.code LIKE 'B%%';
"""

SEED_COUNTERS = """
INSERT INTO reports_dailycount (day, unit_id, unit_path, event_type, phase, action, n)
SELECT current_date - d, u.id, u.path, t, p, a, 5 + (u.id + d) %% 40
FROM registry_administrativeunit u, generate_series(0, 29) d,
     unnest(ARRAY['birth','marriage','death']) t, generate_series(1, 5) p,
     unnest(ARRAY['collect','scan','enter','attach','review','approve','transfer','return','reject']) a
WHERE u.level = 'commune' AND u.code LIKE 'B%%';

INSERT INTO reports_unitdailycount (day, unit_id, unit_path, action, n)
SELECT day, unit_id, unit_path, action, sum(n) FROM reports_dailycount GROUP BY 1, 2, 3, 4;

INSERT INTO reports_actordailycount (day, unit_id, unit_path, actor_id, action, n)
SELECT current_date - d, u.id, u.path, w.id, a, 10 + (w.id + d) %% 50
FROM registry_administrativeunit u
JOIN LATERAL (SELECT id FROM auth_user WHERE username LIKE 'bench-' || u.code || '-%%') w ON true,
     generate_series(0, 29) d,
     unnest(ARRAY['scan','enter','attach','review','approve','return','work_returned']) a
WHERE u.level = 'commune' AND u.code LIKE 'B%%';
ANALYZE;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database if it exists")
    args = parser.parse_args()
    url = database_url()
    if not args.keep:
        recreate(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from permissions.services import role_grant
    from registry.models import AdministrativeUnit, CivilRecord

    def timed(label: str, fn):
        start = time.perf_counter()
        result = fn()
        print(f"{label}: {time.perf_counter() - start:.1f} s")
        return result

    if not args.keep or not CivilRecord.objects.exists():
        timed("migrate", lambda: call_command("migrate", verbosity=0))
        communes = 100
        books_per_commune = 100
        cases = args.records // (communes * books_per_commune)
        with connection.cursor() as cursor:
            timed(
                "seed units, books, records",
                lambda: cursor.execute(SEED, {"cases": cases, "books_per_commune": books_per_commune}),
            )
        User = get_user_model()
        users = [
            User(username=f"bench-{u.code}-{i}")
            for u in AdministrativeUnit.objects.filter(level="commune", code__startswith="B")
            for i in range(5)
        ]
        User.objects.bulk_create(users)
        from django.conf import settings

        from reports.services import _REBUILD_SQL

        with connection.cursor() as cursor:
            timed(
                "rebuild per-book state counters from the records (1 GROUP BY)",
                lambda: [cursor.execute(sql, {"tz": settings.TIME_ZONE}) for sql in _REBUILD_SQL[:4]],
            )
            timed("seed 30 days of daily and per-person counters", lambda: cursor.execute(SEED_COUNTERS, {}))
    from reports.models import UnitStateCount

    if not UnitStateCount.objects.exists():
        from django.conf import settings

        from reports.services import _REBUILD_SQL

        with connection.cursor() as cursor:
            for sql in _REBUILD_SQL:
                if "reports_bookstatecount" in sql:
                    cursor.execute(sql, {"tz": settings.TIME_ZONE})
            cursor.execute("ANALYZE")
    province = AdministrativeUnit.objects.get(code="B00")
    User = get_user_model()
    viewer, made = User.objects.get_or_create(username="bench-viewer")
    if made:
        role_grant(user=viewer, unit=province, role="auditor")
    with connection.cursor() as cursor:
        for table in (
            "registry_civilrecord",
            "reports_bookstatecount",
            "reports_unitstatecount",
            "reports_dailycount",
            "reports_unitdailycount",
            "reports_actordailycount",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"{table}: {cursor.fetchone()[0]:,} rows")

    client = Client(SERVER_NAME="localhost")
    client.force_login(viewer)
    assert client.get("/progress/").status_code == 200
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        response = client.get("/progress/")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    print(
        f"GET /progress/ (province, {args.runs} runs): median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, {len(response.content):,} bytes"
    )
    for name, url_ in (
        ("inventory", "/progress/inventory/"),
        ("statistics by phase", "/progress/statistics/?by=phase"),
    ):
        start = time.perf_counter()
        assert client.get(url_).status_code == 200
        print(f"GET {name}: {(time.perf_counter() - start) * 1000:.0f} ms")

    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/progress/")
    print(
        f"queries per dashboard request: {len(queries)}; "
        f"touching registry_civilrecord: {sum('registry_civilrecord' in q['sql'] for q in queries)}"
    )
    with connection.cursor() as cursor:
        for q in queries.captured_queries:
            if "reports_" not in q["sql"]:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            plan = [row[0] for row in cursor.fetchall()]
            print("\n" + q["sql"][:160] + " ...")
            print(
                "\n".join(
                    "    " + line
                    for line in plan
                    if "Execution" in line or "Scan" in line or "Planning" in line
                )
            )
        naive = (
            "SELECT split_part(unit_path, '/', 2), state, count(*) FROM registry_civilrecord "
            "WHERE unit_path LIKE %s GROUP BY 1, 2"
        )
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + naive, [province.path + "%"])
        print("\nFor comparison, the same unit x state counts straight from the records:")
        print(
            "\n".join(
                "    " + row[0] for row in cursor.fetchall() if "Execution" in row[0] or "Scan" in row[0]
            )
        )


if __name__ == "__main__":
    main()
