"""The transition hot path's statements, written once per shape and sent as plain SQL.

A stage transition sends ~15 small statements; Django compiles each one again on every call
(~0.1–0.3 ms of CPU a statement, more than PostgreSQL takes to run it). These helpers build the
SQL text of a statement once per model and shape and keep it, and convert values exactly as the
ORM does — `Field.pre_save` and `get_db_prep_save` on the way in (so `auto_now` columns, JSON
and arrays are written as `save()` writes them), the backend's and the field's converters on the
way out (so instances are what a queryset returns) — so the rows are the ones the ORM (and
viewflow) would write and read. No model involved has `pre_save`/`post_save` receivers: nothing
listens for the saves these replace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]


@cache
def _read_shape(
    model: type[Model], alias: str
) -> tuple[str, list[str], list[tuple[int, list[Converter], Any]]]:
    """The select list of `model`'s concrete columns (qualified by `alias`), their attribute
    names, and the converters to apply per column position, as the SQL compiler applies them."""
    fields: list[Field] = list(model._meta.concrete_fields)
    columns = ", ".join(f'{alias}."{f.column}"' for f in fields)
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(model._meta.db_table)
        found = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        if found:
            converters.append((i, found, col))
    return columns, [f.attname for f in fields], converters


def select_columns(model: type[Model], alias: str) -> str:
    """`alias."col", …` for every concrete column of `model`, in the order `instance_from` reads."""
    return _read_shape(model, alias)[0]


def column_count(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def instance_from(model: type[M], values: Sequence[Any]) -> M:
    """A model instance from a row of `select_columns(model, …)`, as a queryset builds it."""
    _columns, names, converters = _read_shape(model, "t")
    row = list(values)
    for i, functions, col in converters:
        value = row[i]
        for convert in functions:
            value = convert(value, col, connection)
        row[i] = value
    return model.from_db(connection.alias, names, row)


def fetch_one(model: type[M], sql: str, params: Sequence[Any]) -> M | None:
    """The first row of `sql` (which selects `select_columns(model, "t")` first) as an instance."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return instance_from(model, row) if row is not None else None


@cache
def _update_sql(model: type[Model], fields: tuple[str, ...]) -> tuple[str, list[Field]]:
    meta = model._meta
    targets = [meta.get_field(name) for name in fields]
    sets = ", ".join(f'"{f.column}" = %s' for f in targets)  # type: ignore[union-attr]
    return f'UPDATE "{meta.db_table}" SET {sets} WHERE "{meta.pk.column}" = %s', targets  # type: ignore[union-attr,return-value]  # noqa: S608


def update_fields(instance: Model, fields: Iterable[str]) -> None:
    """`instance.save(update_fields=fields)` in one prepared UPDATE (auto_now columns set alike)."""
    sql, targets = _update_sql(type(instance), tuple(fields))
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in targets]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])


@cache
def _insert_sql(model: type[Model]) -> tuple[str, str, list[Field]]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ', row, fields  # noqa: S608


def insert(instances: Sequence[Model]) -> None:
    """`bulk_create(instances)` of one model in one prepared INSERT: primary keys set, instances
    marked saved."""
    if not instances:
        return
    head, row, fields = _insert_sql(type(instances[0]))
    params: list[Any] = []
    for instance in instances:
        params.extend(f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields)
    pk = type(instances[0])._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(f'{head}{", ".join([row] * len(instances))} RETURNING "{pk.column}"', params)
        ids = [r[0] for r in cursor.fetchall()]
    for instance, pk_value in zip(instances, ids, strict=True):
        instance.pk = pk_value
        instance._state.adding = False
        instance._state.db = connection.alias
