"""The worker's wristband jobs: silence found by deadline, bindings of closed cases, partitions
ahead and the retention purge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from gatehouse.alerts.models import Alert
from gatehouse.devices import services
from gatehouse.devices.models import Binding, Telemetry, Wristband
from gatehouse.devices.pipeline import Pipeline
from gatehouse.devices.tests.helpers import bound_wristband, message, payload
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_close
from gatehouse.testing import SETUP, BaseTestCase
from gatehouse.worker.jobs import JOBS


class SilenceTest(BaseTestCase):
    def setUp(self):
        self.band, self.binding, self.case = bound_wristband(self)

    def test_a_wristband_that_never_speaks_is_silent_ten_minutes_after_binding(self):
        bound = self.binding.bound_at
        self.assertEqual(services.bindings_silence_check(now=bound + dt.timedelta(minutes=9)), 0)
        self.assertEqual(services.bindings_silence_check(now=bound + dt.timedelta(minutes=10, seconds=1)), 1)
        alert = Alert.objects.get(kind=Alert.Kind.WRISTBAND_SILENT)
        self.assertEqual((alert.neighbourhood, alert.subject_resident), (self.nb_a, self.wang_fang))
        self.assertEqual(alert.evidence[0]["serial"], self.band.serial)
        # Claimed: a second worker, or the next tick, does nothing more.
        self.assertEqual(services.bindings_silence_check(now=bound + dt.timedelta(minutes=11)), 0)
        self.binding.refresh_from_db()
        self.assertIsNone(self.binding.silent_after)

    def test_a_recent_message_moves_the_deadline_instead_of_raising(self):
        Pipeline().process([message(self.band.serial, payload(1))])
        # The ingester wrote its lazy deadline; pretend it is stale (written a while ago).
        Binding.objects.filter(id=self.binding.id).update(
            silent_after=timezone.now() - dt.timedelta(seconds=1)
        )
        self.assertEqual(services.bindings_silence_check(now=timezone.now()), 0)
        self.binding.refresh_from_db()
        self.assertGreater(self.binding.silent_after, timezone.now() + dt.timedelta(minutes=9))
        self.assertFalse(Alert.objects.exists())

    def test_the_next_message_after_a_silence_rearms_the_deadline(self):
        services.bindings_silence_check(now=self.binding.bound_at + dt.timedelta(minutes=11))
        Pipeline().process([message(self.band.serial, payload(1))])
        self.binding.refresh_from_db()
        self.assertIsNotNone(self.binding.silent_after)

    def test_the_job_is_registered_with_the_worker(self):
        self.assertIn("silent wristbands", {job.name for job in JOBS})

    def test_a_closed_case_frees_its_wristband(self):
        case_close(actor=SETUP, case=self.case, status=ObservationCase.Status.HOSPITAL)
        self.assertEqual(services.bindings_end_for_closed_cases(now=timezone.now()), 1)
        self.binding.refresh_from_db()
        self.band.refresh_from_db()
        self.assertEqual(
            (self.binding.end_reason, self.band.status), ("case_closed", Wristband.Status.IN_STOCK)
        )
        result = Pipeline().process([message(self.band.serial, payload(1))])
        self.assertEqual(result.outcomes[0].reason, "not_bound")


class RetentionTest(BaseTestCase):
    def setUp(self):
        self.band, self.binding, self.case = bound_wristband(self)

    def test_readings_older_than_the_districts_retention_are_purged(self):
        now = timezone.now()
        Pipeline().process(
            [
                message(
                    self.band.serial,
                    payload(1, at=now - dt.timedelta(hours=40)),
                    now=now - dt.timedelta(hours=39),
                )
            ]
        )
        Pipeline().process([message(self.band.serial, payload(2, at=now))])
        self.district.telemetry_retention_days = 1
        self.district.save()
        services.telemetry_purge(now=now + dt.timedelta(days=1))
        self.assertEqual(list(Telemetry.objects.values_list("seq", flat=True)), [2])


@pytest.mark.usefixtures("postgres")
class PartitionTest(BaseTestCase):
    def partitions(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'devices_telemetry' ORDER BY 1"
            )
            return [row[0] for row in cursor.fetchall()]

    def test_days_get_partitions_ahead_and_the_purge_drops_old_ones(self):
        band, _, _ = bound_wristband(self)
        now = timezone.now()
        # A reading before any partition exists lands in the default partition...
        Pipeline().process([message(band.serial, payload(1, at=now))])
        self.assertEqual(services.telemetry_partitions_ensure(now=now), 5)
        self.assertEqual(services.telemetry_partitions_ensure(now=now), 0)
        today = timezone.localdate(now)
        self.assertIn(f"devices_telemetry_p{today:%Y%m%d}", self.partitions())
        # ...and is moved into its day's partition when that is created.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM devices_telemetry_default")
            self.assertEqual(cursor.fetchone()[0], 0)
            cursor.execute(f"SELECT count(*) FROM devices_telemetry_p{today:%Y%m%d}")  # noqa: S608
            self.assertEqual(cursor.fetchone()[0], 1)
        later = now + dt.timedelta(days=30)
        services.telemetry_partitions_ensure(now=later)
        services.telemetry_purge(now=later)
        names = self.partitions()
        self.assertNotIn(f"devices_telemetry_p{today:%Y%m%d}", names)
        self.assertIn(f"devices_telemetry_p{timezone.localdate(later):%Y%m%d}", names)
        self.assertFalse(Telemetry.objects.exists())
