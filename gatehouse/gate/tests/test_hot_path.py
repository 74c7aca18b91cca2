"""The gate's prepared statements (gatehouse.lib.db) behave like the ORM they replace, on SQLite and
PostgreSQL alike: same instances, same transaction, same exceptions."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gatehouse.lib.db import db_values, hot_fetchone, model_from_row, model_new
from gatehouse.people.models import Resident
from gatehouse.testing import BaseTestCase

COLUMNS = ("id", "name", "compound_id", "health_colour", "status")


class HotPathTest(BaseTestCase):
    def _row(self, resident_id: uuid.UUID) -> tuple[Any, ...] | None:
        key = Resident._meta.pk.get_db_prep_value(resident_id, connection)
        return hot_fetchone(f"SELECT {', '.join(COLUMNS)} FROM people_resident WHERE id = %s", [key])  # noqa: S608

    def test_a_row_becomes_the_instance_the_orm_would_load(self):
        row = self._row(self.wang_fang.id)
        assert row is not None
        loaded = model_from_row(Resident, COLUMNS, row)
        self.assertEqual(loaded, self.wang_fang)
        self.assertIsInstance(loaded.id, uuid.UUID)  # SQLite returns hex text; the ORM makes UUIDs
        self.assertEqual(loaded.compound_id, self.wang_fang.compound_id)
        self.assertFalse(loaded._state.adding)
        self.assertEqual(
            loaded.get_deferred_fields(), {f.attname for f in Resident._meta.concrete_fields} - set(COLUMNS)
        )
        self.assertEqual(loaded.birth_date, self.wang_fang.birth_date)  # a deferred column loads on use

    def test_it_reads_its_own_transactions_writes_and_finds_nothing_as_none(self):
        with transaction.atomic():
            Resident.objects.filter(id=self.wang_fang.id).update(name="王小芳")
            row = self._row(self.wang_fang.id)
            assert row is not None
            self.assertEqual(row[1], "王小芳")
        self.assertIsNone(self._row(uuid.uuid4()))

    def test_a_violated_constraint_raises_djangos_integrity_error(self):
        sql = "INSERT INTO passes_seennonce (nonce, seen_at) VALUES (%s, %s) RETURNING nonce"
        moment = connection.ops.adapt_datetimefield_value(timezone.now())
        self.assertEqual(hot_fetchone(sql, ["0123456789abcdef", moment]), ("0123456789abcdef",))
        with self.assertRaises(IntegrityError), transaction.atomic():
            hot_fetchone(sql, ["0123456789abcdef", moment])

    def test_a_model_with_init_receivers_is_built_the_orms_way(self):
        from django.db.models import signals

        from gatehouse.lib.db import _row_plan

        seen: list[Resident] = []

        def receiver(sender: type, instance: Resident, **kwargs: Any) -> None:
            seen.append(instance)

        signals.post_init.connect(receiver, sender=Resident)
        _row_plan.cache_clear()
        try:
            row = self._row(self.wang_fang.id)
            assert row is not None
            loaded = model_from_row(Resident, COLUMNS, row)
        finally:
            signals.post_init.disconnect(receiver, sender=Resident)
            _row_plan.cache_clear()
        self.assertEqual(seen, [loaded])
        self.assertEqual(loaded, self.wang_fang)
        self.assertIsInstance(loaded.compound_id, uuid.UUID)
        self.assertEqual(loaded.birth_date, self.wang_fang.birth_date)


class PreparedStatementTest(BaseTestCase):
    def test_hot_statements_are_prepared_once_and_run_with_a_generic_plan(self):
        # psycopg prepares only when the connection has a prepare_threshold (Django's default is
        # None: never, whatever the statement asks), and PostgreSQL's plan_cache_mode=auto went on
        # planning this very statement anew on each run: both are settings, checked here.
        if connection.vendor != "postgresql":
            self.skipTest("prepared statements are PostgreSQL's")
        sql = "SELECT id, name FROM people_resident WHERE id = %s /* hot-path-test */"
        key = Resident._meta.pk.get_db_prep_value(self.wang_fang.id, connection)
        for _ in range(3):
            self.assertEqual(hot_fetchone(sql, [key]), (self.wang_fang.id, self.wang_fang.name))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%hot-path-test%"],
            )
            self.assertEqual(cursor.fetchall(), [(3, 0)])


class ModelNewTest(BaseTestCase):
    def _values(self) -> dict[str, Any]:
        now = timezone.now()
        return {
            "id": uuid.uuid4(),
            "gate_id": self.gate_a1.id,
            "compound_id": self.gate_a1.compound_id,
            "at": now,
            "observed_at": now,
            "direction": "in",
            "subject_kind": "resident",
            "subject_resident_id": self.wang_fang.id,
            "subject_vehicle_id": None,
            "subject_label": "王*",
            "colour": "green",
            "decision": "escalate",
            "reasons": ["fever"],
            "temperature": "fever",
            "temperature_c": Decimal("38.2"),
            "temperature_raw": "",
            "returnee_declared": False,
            "staff_id": self.gate_a.pk,
            "staff_label": "门岗",
            "device": "phone",
            "client_id": "c-1",
            "provisional": True,
            "offline_decision": "let_in",
            "overturned": True,
            "nonce": None,
        }

    def test_it_builds_the_instance_the_orm_would_and_saves_the_same_values(self):
        from gatehouse.gate.models import GateEvent

        values = self._values()
        built = model_new(GateEvent, values, related={"subject_resident": self.wang_fang})
        orm = GateEvent(**values)
        self.assertTrue(built._state.adding)
        self.assertIsNone(built._state.db)
        self.assertEqual(
            {k: v for k, v in built.__dict__.items() if k != "_state"},
            {k: v for k, v in orm.__dict__.items() if k != "_state"},
        )
        self.assertIs(built.subject_resident, self.wang_fang)  # no query: the caller's object
        self.assertEqual(built.staff, self.gate_a)  # not given: loaded on use, as the ORM does

        def comparable(value: Any) -> Any:
            return getattr(value, "obj", value)  # psycopg's Jsonb wrapper has no equality

        self.assertEqual(
            [comparable(v) for v in db_values(built)],
            [
                comparable(f.get_db_prep_save(getattr(orm, f.attname), connection=connection))
                for f in GateEvent._meta.concrete_fields
            ],
        )
        built.save(force_insert=True)
        self.assertEqual(GateEvent.objects.get(id=values["id"]).temperature_c, Decimal("38.2"))

    def test_every_field_must_be_given(self):
        from gatehouse.gate.models import GateEvent

        values = self._values()
        del values["nonce"]
        with self.assertRaisesRegex(TypeError, "nonce"):
            model_new(GateEvent, values)
        with self.assertRaisesRegex(TypeError, "subject_resident"):
            model_new(GateEvent, {**self._values(), "subject_resident": self.wang_fang})
