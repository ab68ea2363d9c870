"""Inbox pages at a million records: fill a throwaway database, then time the queue queries.

Run against an EMPTY, migrated database of its own (it writes a million rows):

    createdb bench_issue3   # or CREATE DATABASE on the embedded server
    DATABASE_URL=postgresql://postgres:@/bench_issue3?host=$PWD/var/pgdata \\
        python manage.py migrate && \\
    DATABASE_URL=... DEBUG=1 python bench/inbox_million.py

Prints, per profile (province admin, district reviewer, commune clerk, approver): the time of
one queue page (tasks + records of the page), the capped counter, a deep keyset page, and the
plan's index. Also the cost of starting the work items of a 2,000-case book (bulk) and of one
record through viewflow's StartHandle. Times are single runs on the machine at hand.
"""

from __future__ import annotations

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

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from permissions.services import role_grant  # noqa: E402
from registry.models import AdministrativeUnit, RegisterBook  # noqa: E402
from registry.services import book_register, unit_create, units_rebuild_paths  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from workflows.flows import process_start  # noqa: E402
from workflows.inbox import InboxFilters, counts_for, page_of, queue_for  # noqa: E402

RECORDS = int(os.environ.get("BENCH_RECORDS", "1000000"))
DISTRICTS, COMMUNES = 20, 50  # 1,000 communes
CASES_PER_BOOK = 500


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def fill() -> None:
    if AdministrativeUnit.objects.filter(code="BENCH").exists():
        return
    t0 = time.perf_counter()
    province = unit_create(code="BENCH", name="Tỉnh Bench", level="province")
    units = []
    for d in range(DISTRICTS):
        district = AdministrativeUnit.objects.create(
            code=f"BD{d}", name=f"Huyện {d}", level="district", parent=province, path="", depth=1
        )
        units += [
            AdministrativeUnit(
                code=f"BC{d}-{c}", name=f"Xã {d}-{c}", level="commune", parent=district, path="", depth=2
            )
            for c in range(COMMUNES)
        ]
    AdministrativeUnit.objects.bulk_create(units, batch_size=2000)
    units_rebuild_paths()
    communes = list(AdministrativeUnit.objects.filter(level="commune", code__startswith="BC").order_by("pk"))
    books_needed = RECORDS // CASES_PER_BOOK
    books = [
        RegisterBook(
            custodian=communes[i % len(communes)],
            authority_as_written="UBND",
            authority_unit=communes[i % len(communes)],
            event_type=random.choice(["birth", "death", "marriage"]),
            year=random.choice([1990, 2000, 2010, 2018]),
            book_no=str(i),
            phase=random.choice([1, 2, 3, 4]),
        )
        for i in range(books_needed)
    ]
    RegisterBook.objects.bulk_create(books, batch_size=2000)
    print(f"units and {books_needed} books: {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    # A million records in the mix of a campaign: most still to do, a tenth approved.
    sql(
        """
        INSERT INTO registry_civilrecord (book_id, unit_id, unit_path, event_type, entry_no, reg_year,
            registration_type, registration_place, signer_name, signer_title, performer_name, note,
            event_time, event_place, event_cause, details, state, version, competence, last_reason,
            return_remarks, created_at, updated_at)
        SELECT b.id, b.custodian_id, u.path, b.event_type, g, b.year, 0, '', '', '', '', '', '', '', '',
            '{}', (ARRAY['collected','collected','collected','collected','scanned','scanned','entered',
                         'attached','reviewed','approved'])[1 + (g + b.id) %% 10],
            1, 'commune', '', '{}', now(), now()
        FROM registry_registerbook b JOIN registry_administrativeunit u ON u.id = b.custodian_id
        CROSS JOIN generate_series(1, %s) g
        WHERE u.code LIKE 'BC%%'
        """,
        [CASES_PER_BOOK],
    )
    print(f"records: {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    sql(
        """
        INSERT INTO workflows_recordprocess (flow_class, status, created, finished, record_id, data)
        SELECT 'workflows/flows.RecordFlow', CASE WHEN state = 'approved' THEN 'DONE' ELSE 'NEW' END,
               now() - (random() * interval '30 days'), NULL, id, '{}'
        FROM registry_civilrecord WHERE unit_path LIKE %s
        """,
        [province.path + "%"],
    )
    stages = "ARRAY['scan','enter','attach','review','approve']"
    states = "ARRAY['collected','scanned','entered','attached','reviewed']"
    # One done task per finished stage and one open task per open record (~3 million rows).
    sql(
        f"""
        INSERT INTO workflows_recordtask (flow_task, flow_task_type, status, created, finished, token, data,
            process_id, record_id, stage, unit_id, unit_path, book_id, entry_no, event_type, book_year,
            phase, min_rank, is_return, due_at, owner_permission, owner_permission_obj_pk)
        SELECT 'workflows/flows.RecordFlow.' || s.stage, 'HUMAN',
               CASE WHEN s.i < s.n THEN 'DONE' ELSE 'NEW' END,
               p.created + (s.i * interval '1 hour'),
               CASE WHEN s.i < s.n THEN p.created + (s.i * interval '1 hour') END,
               'start', '{{}}', p.id, r.id, s.stage, r.unit_id, r.unit_path, r.book_id, r.entry_no,
               r.event_type, b.year, b.phase, CASE WHEN s.stage = 'approve' THEN 1 ELSE 0 END, false,
               p.created + interval '3 days', 'registry.' || s.stage || '_record', r.unit_id::text
        FROM workflows_recordprocess p
        JOIN registry_civilrecord r ON r.id = p.record_id
        JOIN registry_registerbook b ON b.id = r.book_id
        CROSS JOIN LATERAL (
            SELECT ({stages})[i] AS stage, i,
                   COALESCE(array_position({states}, r.state::text), 6) AS n
            FROM generate_series(1, COALESCE(array_position({states}, r.state::text), 5)) i
        ) s
        """
    )
    print(f"processes and tasks: {time.perf_counter() - t0:.1f}s")
    sql("ANALYZE")


def users():
    province = AdministrativeUnit.objects.get(code="BENCH")
    district = AdministrativeUnit.objects.filter(parent=province).order_by("pk").first()
    commune = AdministrativeUnit.objects.filter(parent=district).order_by("pk").first()
    made = {}
    for name, role, unit in (
        ("bench_admin", "province_admin", province),
        ("bench_reviewer_d", "reviewer", district),
        ("bench_clerk", "clerk", commune),
        ("bench_approver", "approver", commune),
    ):
        user = UserFactory(username=name)
        if not user.groups.exists():
            role_grant(user=user, unit=unit, role=role)
        made[name] = user
    return made, commune


def timed(fn, runs: int = 5) -> float:
    fn()  # warm
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def index_of(queryset) -> str:
    plan = queryset.explain()
    names = [
        w.strip('"(),') for w in plan.split() if w.startswith(("task_", '"task_', "workflows_recordtask_"))
    ]
    return ", ".join(dict.fromkeys(names)) or ("seq scan" if "Seq Scan" in plan else "?")


def report() -> None:
    people, commune = users()
    total = connection.cursor()
    total.execute("SELECT count(*) FROM registry_civilrecord")
    records = total.fetchone()[0]
    total.execute("SELECT count(*), count(*) FILTER (WHERE status = 'NEW') FROM workflows_recordtask")
    tasks, open_tasks = total.fetchone()
    print(f"\n{records:,} records, {tasks:,} tasks, {open_tasks:,} in queues\n")
    book = RegisterBook.objects.filter(custodian=commune).first()
    for name, user in people.items():
        queue = queue_for(user)
        first = page_of(queue)
        deep_cursor = first.next_cursor
        for _ in range(20):
            deep_cursor = page_of(queue, after=deep_cursor).next_cursor or deep_cursor
        rows = [
            ("page 1 by age", lambda q=queue: page_of(q), queue.order_by("created", "id")[:51]),
            (
                "page 1 by deadline",
                lambda q=queue: page_of(q, sort="due"),
                queue.order_by("due_at", "id")[:51],
            ),
            ("page 22 (keyset)", lambda q=queue, c=deep_cursor: page_of(q, after=c), None),
            ("menu counters", lambda u=user: counts_for(u), None),
        ]
        filtered = queue_for(user, InboxFilters(stage="enter", event_type="birth"))
        rows.append(
            ("filter stage+type", lambda q=filtered: page_of(q), filtered.order_by("created", "id")[:51])
        )
        by_book = queue_for(user, InboxFilters(book_id=book.pk))
        rows.append(
            (
                "claim-next of a book",
                lambda q=by_book: list(q.order_by("book_id", "entry_no", "id")[:40]),
                None,
            )
        )
        print(f"{name}: {len(first.items)} rows on page 1")
        for label, fn, qs in rows:
            print(f"  {label:22s} {timed(fn):8.1f} ms   {index_of(qs) if qs is not None else ''}")


WORK_TABLES = ("workflows_recordprocess", "workflows_recordtask", "workflows_recordtask_previous")


def work_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::text[]) t", [list(WORK_TABLES)])
        return int(cursor.fetchone()[0])


def creation_cost() -> None:
    """What a new book's work items cost: the bulk path per book, viewflow's StartHandle per record."""
    from workflows.flows import RecordFlow
    from workflows.models import RecordProcess

    commune = AdministrativeUnit.objects.filter(code__startswith="BC").order_by("-pk").first()
    admin = UserFactory(username="bench_admin")
    before = work_bytes()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        book = book_register(
            custodian=commune,
            event_type="birth",
            year=2019,
            book_no=f"B{time.time()}",
            declared_cases=2000,
            actor=admin,
        )
    bulk_ms = (time.perf_counter() - t0) * 1000
    grown = work_bytes() - before
    record = book.records.order_by("pk").last()
    RecordFlow.instance.cancel(RecordProcess.objects.get(record=record, status="NEW"))
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as single:
        process_start(record)
    single_ms = (time.perf_counter() - t0) * 1000
    print(f"\nbook of 2,000 slots with their work items: {bulk_ms:.0f} ms, {len(captured)} queries in all")
    print(f"work items of one new slot (process, 3 tasks, 2 links, indexes): ~{grown / 2000:.0f} bytes")
    print(f"one record through viewflow's StartHandle.run: {single_ms:.1f} ms, {len(single)} queries")


if __name__ == "__main__":
    if "--cost-only" not in sys.argv:
        fill()
        report()
    if "--report-only" not in sys.argv:
        creation_cost()
