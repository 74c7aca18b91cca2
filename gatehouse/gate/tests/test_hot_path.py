"""The gate's prepared statements (gatehouse.lib.db) behave like the ORM they replace, on SQLite and
PostgreSQL alike: same instances, same transaction, same exceptions."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gatehouse.lib.db import hot_fetchone, model_from_row
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
