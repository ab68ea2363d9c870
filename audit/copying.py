"""Inserting model instances with PostgreSQL's COPY: the rows `bulk_create` would insert, faster.

`copy_insert` writes the same column values as `QuerySet.bulk_create` (each field's
`pre_save` and `get_db_prep_save`, related objects' keys taken as bulk_create takes them) as one
`COPY … FROM STDIN` in text format, with the primary keys drawn from the table's sequence first
(one statement), so the instances have their keys afterwards as after `bulk_create`. No SQL is
compiled and no parameter is quoted per value: for the thousands of rows of an import batch this is
several times cheaper in Python than `bulk_create`.

It lives in the lowest layer so that every app's bulk writer (the audit rows included) can use it.
A unique violation fails the COPY whole: it raises Django's `IntegrityError` like `bulk_create`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# Field classes whose database value is the attribute itself (int, str, bool or None) once the
# instance is valid: no conversion is called for them. Subclasses are converted the usual way.
_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.ForeignKey,
    models.OneToOneField,
)


def copy_text(value: Any) -> str:
    """One value in COPY's text format (NULL as \\N), from what `get_db_prep_save` returns."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, int | float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return _array(value).translate(_ESCAPES)
    dumps = getattr(value, "dumps", None)  # psycopg2's Json adapter (JSONField)
    if dumps is not None and hasattr(value, "adapted"):
        return dumps(value.adapted).translate(_ESCAPES)
    raise TypeError(f"copy_insert cannot write a {type(value).__name__}")


def _array(values: Sequence[Any]) -> str:
    """A one-dimensional PostgreSQL array literal (ArrayField)."""
    items = []
    for item in values:
        if item is None:
            items.append("NULL")
        elif isinstance(item, str):
            items.append('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif isinstance(item, bool):
            items.append("t" if item else "f")
        elif isinstance(item, int | float | decimal.Decimal):
            items.append(str(item))
        else:
            raise TypeError(f"copy_insert cannot write an array of {type(item).__name__}")
    return "{" + ",".join(items) + "}"


def _reader(field: models.Field) -> Callable[[models.Model], str]:
    """The COPY text of `field` for a new instance, as bulk_create computes its value."""
    attname = field.attname
    generic = _generic(field)
    if type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        # An aware datetime is passed to the driver as it is (USE_TZ); anything else the usual way.
        def moment(obj: models.Model) -> str:
            value = getattr(obj, attname)
            if value is None:
                return "\\N"
            if type(value) is dt.datetime and value.tzinfo is not None:
                return value.isoformat()
            return generic(obj)

        return moment
    if type(field) is models.JSONField and field.encoder is None:
        # What the driver's Json adapter writes: json.dumps of the value (None is SQL NULL).
        def document(obj: models.Model) -> str:
            value = getattr(obj, attname)
            if value is None:
                return "\\N"
            if type(value) in (dict, list, str, int, bool):
                return json.dumps(value).translate(_ESCAPES)
            return generic(obj)

        return document
    if type(field) is ArrayField and type(field.base_field) is models.CharField:

        def strings(obj: models.Model) -> str:
            value = getattr(obj, attname)
            if type(value) is list and all(type(item) is str for item in value):
                return _array(value).translate(_ESCAPES)
            return generic(obj)

        return strings
    if type(field) in _PLAIN and not getattr(field, "auto_now", False):
        if isinstance(field, models.CharField | models.TextField):

            def text(obj: models.Model) -> str:
                value = getattr(obj, attname)
                if value is None:
                    return "\\N"
                return (value if type(value) is str else str(value)).translate(_ESCAPES)

            return text
        return lambda obj: copy_text(getattr(obj, attname))
    return generic


def _generic(field: models.Field) -> Callable[[models.Model], str]:
    return lambda obj: copy_text(field.get_db_prep_save(field.pre_save(obj, True), connection))


def copy_insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert `objs` (new instances of `model`, without keys) with COPY; they get their keys."""
    if not objs:
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = list(meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        for obj, (key,) in zip(objs, cursor.fetchall(), strict=True):
            # As bulk_create: a related object saved since (a record of a person) gives its key.
            obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
            setattr(obj, pk.attname, key)
        readers = [_reader(f) for f in fields]
        buffer = io.StringIO()
        write = buffer.write
        for obj in objs:
            write("\t".join([read(obj) for read in readers]))
            write("\n")
            obj._state.adding = False
            obj._state.db = connection.alias
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        with connection.wrap_database_errors:
            table = connection.ops.quote_name(meta.db_table)
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
