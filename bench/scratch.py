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
    from registry.models import CivilRecord
    from registry.services import book_register
    from scans.models import ScanFile

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


def _purge(cur, model, where: str, params: list, depth: int = 0) -> None:
    """Delete the rows of `model` matching `where`, after every row that points at them (any depth)."""
    if depth > 6:
        raise RuntimeError(f"bench scratch cleanup: references too deep at {model._meta.label}")
    table = model._meta.db_table
    ids = f'SELECT id FROM "{table}" WHERE {where}'
    # Hidden relations (related_name="+") count too: counters and logs of other apps use them.
    related = [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and f.is_relation
    ]
    for field in [*model._meta.many_to_many, *(r.field for r in related if r.many_to_many)]:
        through = field.remote_field.through
        for fk in through._meta.get_fields():
            if getattr(fk, "related_model", None) is model and fk.concrete:
                cur.execute(f'DELETE FROM "{through._meta.db_table}" WHERE "{fk.column}" IN ({ids})', params)
    for rel in related:
        if rel.many_to_many:
            continue
        column = rel.field.column
        if rel.related_model is model:
            cur.execute(f'UPDATE "{table}" SET "{column}" = NULL WHERE "{column}" IN ({ids})', params)
            continue
        child_where = f'"{column}" IN ({ids})'
        _purge(cur, rel.related_model, child_where, params, depth + 1)
    cur.execute(f'DELETE FROM "{table}" WHERE {where}', params)


@transaction.atomic
def scratch_cleanup() -> int:
    """Delete every scratch book with its records and what points at them; return records deleted."""
    from registry.models import CivilRecord, RegisterBook

    books = list(RegisterBook.objects.filter(book_no__startswith=SCRATCH_PREFIX).values_list("id", flat=True))
    if not books:
        return 0
    count = CivilRecord.objects.filter(book_id__in=books).count()
    with connection.cursor() as cur:
        _purge(cur, RegisterBook, "id = ANY(%s)", [books])
    return count
