"""Hot-path statements: prepared once per connection on PostgreSQL, plain on SQLite.

Django's PostgreSQL backend binds parameters on the client (psycopg formats and quotes every value
into the SQL text) and turns prepared statements off, so that poolers in transaction mode keep
working. For the few statements that run on every gate check that costs CPU on both sides: the
client quotes a dozen values, the server parses and plans the same text again. `hot_fetchone`
sends them with server-side binding and `prepare=True`, so psycopg prepares each statement once per
connection and the server only binds and executes it afterwards (docs/benchmarks.md, "The gate").

A transaction-mode pooler in front of PostgreSQL must then support protocol-level prepared
statements (PgBouncer 1.21 or later with `max_prepared_statements` set); a direct connection or a
session-mode pooler needs nothing.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models


def hot_fetchone(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """Run one statement that returns rows (a SELECT, an INSERT ... RETURNING; `%s` placeholders)
    and return its first row, or None."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return tuple(row) if row is not None else None
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    # Errors still surface as django.db's exceptions, and a broken connection is still noticed
    # (wrap_database_errors marks it unusable, so the request's end closes it).
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID column's value from `hot_fetchone`: PostgreSQL returns UUIDs, SQLite its hex text."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


M = TypeVar("M", bound=models.Model)


def model_from_row(model: type[M], attnames: tuple[str, ...], row: Sequence[Any]) -> M:
    """An instance of `model` as the ORM loads one with only these columns (the rest deferred):
    no field defaults computed, not marked as new. `row` holds the columns in `attnames` order."""
    names, plan = _row_plan(model, attnames)
    values = [as_uuid(row[i]) if is_uuid and row[i] is not None else row[i] for i, is_uuid in plan]
    return model.from_db(connection.alias, names, values)


@functools.cache
def _row_plan(
    model: type[models.Model], attnames: tuple[str, ...]
) -> tuple[list[str], list[tuple[int, bool]]]:
    # from_db wants the values in the model's field order; UUID columns (and keys to UUID rows)
    # come back from SQLite as text, which the ORM's converters would have turned into UUIDs.
    names: list[str] = []
    plan: list[tuple[int, bool]] = []
    for field in model._meta.concrete_fields:
        if field.attname in attnames:
            target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
            names.append(field.attname)
            plan.append((attnames.index(field.attname), isinstance(target, models.UUIDField)))
    return names, plan
