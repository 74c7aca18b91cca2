"""Hot-path statements: prepared once per connection on PostgreSQL, plain on SQLite.

Django's PostgreSQL backend binds parameters on the client (psycopg formats and quotes every value
into the SQL text) and turns prepared statements off, so that poolers in transaction mode keep
working. For the few statements that run on every gate check that costs CPU on both sides: the
client quotes a dozen values, the server parses and plans the same text again. `hot_fetchone`
sends them with server-side binding and `prepare=True`. Two settings make that real
(gatehouse/settings.py): the connection's `prepare_threshold` (with Django's None, psycopg prepares
nothing, whatever a statement asks) and `plan_cache_mode=force_generic_plan` (at auto, PostgreSQL
kept planning the facts query anew on each run, 0.2 ms of its CPU against 0.04 ms to run it). Only
statements sent from here are prepared; Django's own queries bind on the client and never are.

A generic plan is made with the statistics of its first run and kept until ANALYZE or a schema
change invalidates it (autovacuum's ANALYZE does, once a table has grown) or the connection closes
(CONN_MAX_AGE). A transaction-mode pooler in front of PostgreSQL must support protocol-level
prepared statements (PgBouncer 1.21 or later with `max_prepared_statements` set), or set
DB_PREPARED_STATEMENTS=0; a direct connection or a session-mode pooler needs nothing.
"""

from __future__ import annotations

import functools
import hashlib
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


def db_values(instance: models.Model) -> list[Any]:
    """The values of every concrete field of `instance` (in `_meta.concrete_fields` order), as the
    ORM's save sends them to the default database.

    A plain CharField's text and a BooleanField's bool go out as they are (Django's conversion of
    them is the identity); every other value goes through the field's get_db_prep_save.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    values = instance.__dict__
    return [
        value if type(value) is kind else field.get_db_prep_save(value, connection=conn)
        for field, kind in _save_plan(type(instance))
        for value in (values[field.attname],)
    ]


@functools.cache
def _save_plan(model: type[models.Model]) -> tuple[tuple[models.Field[Any, Any], type | None], ...]:
    # Exact classes only: a subclass may convert differently.
    return tuple(
        (
            field,
            str if type(field) is models.CharField else bool if type(field) is models.BooleanField else None,
        )
        for field in model._meta.concrete_fields
    )


def transaction_lock(*names: str) -> None:
    """Hold a lock on each name until the current transaction ends (call inside atomic()).

    For check-then-write rules that no constraint can state, such as "at most N codes an hour": two
    requests racing through the count would both pass. On PostgreSQL each name is a transaction-level
    advisory lock, taken in one fixed order so two callers never wait on each other. On SQLite
    nothing is needed: every transaction there is IMMEDIATE (gatehouse/settings.py), so writers
    already run one at a time.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block:
        raise RuntimeError("transaction_lock needs a transaction: call it inside atomic()")
    if conn.vendor != "postgresql":
        return
    keys = sorted({_lock_key(name) for name in names})
    with conn.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _lock_key(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"gatehouse-lock").digest()
    return int.from_bytes(digest, "big", signed=True)


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


def model_new(
    model: type[M], values: dict[str, Any], related: dict[str, models.Model | None] | None = None
) -> M:
    """A new, unsaved instance of `model` from a value for every concrete field (by attname; a
    foreign key's related object, when the caller has it, in `related` by field name).

    The same instance as `model(**values)` gives, built without Model.__init__, which visits every
    field and runs each foreign key's descriptor (a twentieth of a gate check's CPU, measured). Every
    field must be given: no defaults are computed here. A model with init signal receivers is built
    the ORM's way instead.
    """
    attnames, fast = _new_plan(model)
    if values.keys() != attnames:
        raise TypeError(f"{model.__name__}: give every field, not {sorted(values.keys() ^ attnames)}")
    if not fast:
        instance = model(**values)
    else:
        instance = model.__new__(model)
        instance.__dict__.update(values)
        instance._state = ModelState()
    for name, obj in (related or {}).items():
        instance._state.fields_cache[name] = obj
    return instance


@functools.cache
def _new_plan(model: type[models.Model]) -> tuple[frozenset[str], bool]:
    attnames = frozenset(field.attname for field in model._meta.concrete_fields)
    return attnames, not _has_init_receivers(model)


def _has_init_receivers(model: type[models.Model]) -> bool:
    # Receivers are connected at import, before the first instance is built, so callers cache this.
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)


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
    fast = not _has_init_receivers(model)
    model_order = tuple(name for name in fields if name in attnames)
    return fast, tuple(plan), model_order
