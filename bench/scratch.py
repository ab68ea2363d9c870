"""Scratch records for the write scenarios: made before a run, removed after it.

Write scenarios (transitions, claims) need fresh slots and must not drift the
seeded data from run to run. Scratch books are named "bench-…"; everything that
points at their records (parties, scans, rows other apps add, such as a transfer
outbox) is deleted with them. Their audit rows stay: the audit trail is append-only.
"""

from __future__ import annotations

from django.db import connection, transaction

SCRATCH_PREFIX = "bench-"


def scratch_book(*, commune, label: str, cases: int, actor, scans_by=None) -> list[int]:
    """A scratch birth book of `cases` slots in `commune`, each with a (fake) stored scan; its record ids."""
    from registry.models import CivilRecord, ScanFile
    from registry.services import book_register

    book = book_register(
        custodian=commune,
        event_type="birth",
        year=2024,
        book_no=f"{SCRATCH_PREFIX}{label}",
        declared_cases=cases,
        actor=actor,
    )
    ids = list(CivilRecord.objects.filter(book=book).order_by("entry_no").values_list("id", flat=True))
    ScanFile.objects.bulk_create(
        [
            ScanFile(
                record_id=rid,
                file=f"scans/bench/{rid}.pdf",
                sha256="0" * 64,
                size=40_000,
                pages=1,
                original_name="bench.pdf",
                uploaded_by=scans_by,
            )
            for rid in ids
        ],
        batch_size=2000,
    )
    return ids


@transaction.atomic
def scratch_cleanup() -> int:
    """Delete every scratch book with its records and what points at them; return records deleted."""
    from registry.models import CivilRecord, RegisterBook

    books = list(RegisterBook.objects.filter(book_no__startswith=SCRATCH_PREFIX).values_list("id", flat=True))
    if not books:
        return 0
    ids = list(CivilRecord.objects.filter(book_id__in=books).values_list("id", flat=True))
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS bench_gone (id bigint PRIMARY KEY) ON COMMIT DROP")
        cur.execute("INSERT INTO bench_gone SELECT unnest(%s::bigint[])", [ids])
        for rel in CivilRecord._meta.related_objects:
            if rel.related_model is CivilRecord:
                cur.execute(
                    f'UPDATE registry_civilrecord SET "{rel.field.column}" = NULL '
                    f'WHERE "{rel.field.column}" IN (SELECT id FROM bench_gone)'
                )
                continue
            if rel.many_to_many:
                continue
            table = rel.related_model._meta.db_table
            cur.execute(f'DELETE FROM "{table}" WHERE "{rel.field.column}" IN (SELECT id FROM bench_gone)')
        cur.execute("DELETE FROM registry_civilrecord WHERE id IN (SELECT id FROM bench_gone)")
        for rel in RegisterBook._meta.related_objects:
            if rel.related_model is CivilRecord or rel.many_to_many:
                continue
            table = rel.related_model._meta.db_table
            cur.execute(f'DELETE FROM "{table}" WHERE "{rel.field.column}" = ANY(%s)', [books])
        cur.execute("DELETE FROM registry_registerbook WHERE id = ANY(%s)", [books])
    return len(ids)
