"""The pipeline without a broker: storage once per reading, rejections with reasons, alerts."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gatehouse.alerts.models import Alert
from gatehouse.devices.models import Telemetry
from gatehouse.devices.pipeline import DUPLICATE, REJECTED, STORED, Incoming, Pipeline
from gatehouse.devices.tests.helpers import bound_wristband, message, north_of_home, payload
from gatehouse.testing import BaseTestCase


class PipelineTest(BaseTestCase):
    def setUp(self):
        self.band, self.binding, self.case = bound_wristband(self)
        self.pipeline = Pipeline()
        self.t0 = timezone.now() - dt.timedelta(minutes=5)

    def at(self, seconds):
        return self.t0 + dt.timedelta(seconds=seconds)

    def send(self, *bodies):
        return self.pipeline.process([message(self.band.serial, b) for b in bodies])

    def test_it_stores_a_reading_once_however_often_it_arrives(self):
        body = payload(1, at=self.at(0))
        first = self.send(body, body)
        again = Pipeline().process([message(self.band.serial, body)])
        self.assertEqual([o.status for o in first.outcomes], [STORED, DUPLICATE])
        self.assertEqual(again.outcomes[0].status, DUPLICATE)
        self.assertEqual(Telemetry.objects.filter(device=self.band).count(), 1)
        row = Telemetry.objects.get(device=self.band)
        self.assertEqual((row.case_id, row.seq, row.worn, row.temp_c), (self.case.id, 1, True, 36.6))

    def test_it_raises_one_exit_alert_for_two_fixes_outside_and_adds_evidence_after(self):
        far = north_of_home(400)
        self.send(payload(1, at=self.at(0)), payload(2, at=self.at(30), lat=far))
        self.assertFalse(Alert.objects.filter(kind=Alert.Kind.GEOFENCE_EXIT).exists())
        self.send(payload(3, at=self.at(60), lat=far))
        alert = Alert.objects.get(kind=Alert.Kind.GEOFENCE_EXIT)
        self.assertEqual(alert.neighbourhood, self.nb_a)
        self.assertEqual(alert.subject_resident, self.wang_fang)
        self.assertEqual(alert.evidence[0]["serial"], self.band.serial)
        self.assertGreater(alert.evidence[0]["distance_m"], 300)
        # Staying out raises nothing more; coming home and leaving again adds evidence to the open alert.
        self.send(payload(4, at=self.at(90), lat=far), payload(5, at=self.at(120)))
        self.send(payload(6, at=self.at(150), lat=far), payload(7, at=self.at(180), lat=far))
        alert.refresh_from_db()
        self.assertEqual(Alert.objects.filter(kind=Alert.Kind.GEOFENCE_EXIT).count(), 1)
        self.assertEqual(alert.evidence_count, 2)

    def test_a_poor_fix_near_home_is_not_an_exit(self):
        drift = north_of_home(150)
        self.send(*[payload(i, at=self.at(i * 30), lat=drift, accuracy_m=200) for i in range(1, 6)])
        self.assertFalse(Alert.objects.filter(kind=Alert.Kind.GEOFENCE_EXIT).exists())

    def test_fever_removal_and_battery_raise_their_own_alerts(self):
        self.send(
            payload(1, at=self.at(0), temp_c=37.5),
            payload(2, at=self.at(30), temp_c=37.6, battery_pct=14),
            payload(3, at=self.at(60), worn=False, temp_c=None),
        )
        kinds = set(Alert.objects.values_list("kind", flat=True))
        self.assertEqual(
            kinds, {Alert.Kind.WRISTBAND_FEVER, Alert.Kind.WRISTBAND_BATTERY, Alert.Kind.WRISTBAND_REMOVED}
        )
        fever = Alert.objects.get(kind=Alert.Kind.WRISTBAND_FEVER)
        self.assertIn("37.6", fever.title)

    def test_bad_messages_are_rejected_with_their_reason(self):
        cases = {
            b"{not json": "malformed_json",
            b"[1,2]": "not_an_object",
            b'{"seq": "1"}': "bad_seq",
            b"x" * 5000: "too_large",
        }
        result = self.pipeline.process([message(self.band.serial, raw) for raw in cases])
        self.assertEqual([o.reason for o in result.outcomes], list(cases.values()))
        bodies = {
            "bad_temperature": payload(10, at=self.at(0), temp_c=98.6),
            "bad_coordinates": payload(11, at=self.at(1), lat=-91.5),
            "ts_future": payload(12, at=timezone.now() + dt.timedelta(hours=2)),
            "ts_past": payload(13, at=timezone.now() - dt.timedelta(days=30)),
            "bad_worn": payload(14, at=self.at(2), worn="yes"),
        }
        result = self.send(*bodies.values())
        self.assertEqual([o.reason for o in result.outcomes], list(bodies))
        # Over HTTP the body is parsed by Python's json, which takes integers of any size.
        huge = Incoming(
            serial=self.band.serial,
            payload=payload(15, at=self.at(3), lat=10**400),
            received_at=timezone.now(),
        )
        self.assertEqual(self.pipeline.process([huge]).outcomes[0].reason, "bad_coordinates")
        unknown = self.pipeline.process([message("NOSUCHBAND", payload(1))])
        self.assertEqual(unknown.outcomes[0].reason, "unknown_serial")
        self.assertFalse(Telemetry.objects.exists())

    def test_a_counter_that_goes_back_is_rejected_but_a_late_reading_is_stored(self):
        self.send(payload(10, at=self.at(100)))
        late = self.send(payload(9, at=self.at(70)))
        reset = self.send(payload(1, at=self.at(130)))
        self.assertEqual(late.outcomes[0].status, STORED)
        self.assertEqual((reset.outcomes[0].status, reset.outcomes[0].reason), (REJECTED, "seq_backwards"))

    def test_a_flood_from_one_device_is_cut_off(self):
        now = timezone.now()
        result = self.send(*[payload(i, at=now) for i in range(1, 301)])
        reasons = [o.reason or o.status for o in result.outcomes]
        self.assertEqual(reasons.count(STORED), 120)
        self.assertEqual(reasons.count("rate_limited"), 180)

    def test_another_district_is_rejected_when_the_ingester_serves_one(self):
        from gatehouse.places.models import District

        District.objects.create(code="310104", name_zh="徐汇区")
        pipeline = Pipeline(district_code="310104")
        result = pipeline.process([message(self.band.serial, payload(1, at=self.at(0)))])
        self.assertEqual(result.outcomes[0].reason, "other_district")
