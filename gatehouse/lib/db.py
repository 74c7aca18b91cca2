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

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import signals
from django.db.models.base import ModelState


def hot_fetchone(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """Run one statement that returns rows (a SELECT, an INSERT ... RETURNING; `%s` placeholders)
    and return its first row, or None."""
    conn = connections[DEFAULT_DB_ALIAS]  # one look-up: each `connection.x` goes through a proxy
    if conn.vendor != "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return tuple(row) if row is not None else None
    import psycopg

    if conn.connection is None:
        conn.ensure_connection()
    # Errors still surface as django.db's exceptions, and a broken connection is still noticed
    # (wrap_database_errors marks it unusable, so the request's end closes it).
    with conn.wrap_database_errors, psycopg.Cursor(conn.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID column's value from `hot_fetchone`: PostgreSQL returns UUIDs, SQLite its hex text."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


M = TypeVar("M", bound=models.Model)


def model_from_row(model: type[M], attnames: tuple[str, ...], row: Sequence[Any]) -> M:
    """An instance of `model` as the ORM loads one with only these columns, the rest deferred (read
    from the database on first use): not marked as new, no field defaults computed.

    Built without Model.__init__, which visits every field of the model (a fifth of a pass scan's
    CPU for its two instances, measured); the ORM's deferred loading needs only the missing
    attributes to be absent. A model with init signal receivers is built the ORM's way instead.
    """
    fast, plan, model_order = _row_plan(model, attnames)
    values = {
        attname: as_uuid(value) if is_uuid and value is not None else value
        for (attname, is_uuid), value in zip(plan, row, strict=False)
    }
    if not fast:
        return model.from_db(DEFAULT_DB_ALIAS, list(model_order), [values[name] for name in model_order])
    instance = model.__new__(model)
    instance.__dict__.update(values)
    state = ModelState()
    state.adding = False
    state.db = DEFAULT_DB_ALIAS
    instance._state = state
    return instance


@functools.cache
def _row_plan(
    model: type[models.Model], attnames: tuple[str, ...]
) -> tuple[bool, tuple[tuple[str, bool], ...], tuple[str, ...]]:
    # UUID columns (and keys to UUID rows) come back from SQLite as text, which the ORM's
    # converters would have turned into UUIDs.
    fields = {field.attname: field for field in model._meta.concrete_fields}
    plan = []
    for name in attnames:
        field = fields[name]
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        plan.append((name, isinstance(target, models.UUIDField)))
    # Receivers are connected at import, before the first row is read, so this can be cached.
    fast = not (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))
    model_order = tuple(name for name in fields if name in attnames)
    return fast, tuple(plan), model_order
