"""Retention across every app: what a district stops keeping is deleted by the worker, whatever else
points at it, and each deletion leaves an audit entry; records that must outlive the person keep
their masked label only."""

import datetime as dt
import json
import uuid

from django.core.management import call_command
from django.utils import timezone

from gatehouse.core.audit import audit_verify
from gatehouse.core.models import AuditEntry
from gatehouse.devices.tests.helpers import bound_wristband
from gatehouse.gate.models import GateEvent
from gatehouse.observation.models import FollowUp, ObservationCase
from gatehouse.observation.services import case_close, cases_purge_closed, follow_up_record
from gatehouse.passes.models import Pass
from gatehouse.passes.services import card_issue, pass_token_for
from gatehouse.people.models import Resident
from gatehouse.people.services import resident_move_out, residents_purge_departed
from gatehouse.returnees.models import ReturneeRegistration
from gatehouse.returnees.services import ReturneeAnswers, registrations_purge, returnee_register
from gatehouse.testing import SETUP, BaseTestCase


class RetentionTest(BaseTestCase):
    def gate_check(self, resident):
        body = {
            "gate_id": str(self.gate_a1.id),
            "client_id": uuid.uuid4().hex,
            "subject": "token",
            "value": pass_token_for(resident),
            "direction": "in",
            "temperature": "36.6",
        }
        response = self.client_for(self.gate_a).post(
            "/api/gate/checks", data=json.dumps(body), content_type="application/json"
        )
        self.assertEqual(response.status_code, 201)

    def test_a_departed_resident_with_a_life_in_every_app_is_purged_cleanly(self):
        resident = self.wang_fang
        _band, _binding, case = bound_wristband(self, resident)
        follow_up_record(
            scope=self.worker_a.scope, actor=SETUP, case=case, method="phone", temperature_c="36.5"
        )
        card_issue(actor=SETUP, resident=resident)
        self.gate_check(resident)
        returnee_register(
            actor=SETUP,
            resident=resident,
            via="worker",
            answers=ReturneeAnswers(
                origin_province="湖北",
                origin_city="武汉",
                departed_on=dt.date.today() - dt.timedelta(days=3),
                arrived_on=dt.date.today() - dt.timedelta(days=1),
                transport="train",
            ),
        )
        resident_move_out(scope=self.worker_a.scope, actor=SETUP, resident=resident)
        later = timezone.now() + dt.timedelta(days=91)

        self.assertEqual(residents_purge_departed(now=later), 1)

        self.assertFalse(Resident.objects.filter(id=resident.id).exists())
        self.assertFalse(ObservationCase.objects.filter(resident_id=resident.id).exists())
        self.assertFalse(Pass.objects.filter(resident_id=resident.id).exists())
        self.assertFalse(ReturneeRegistration.objects.filter(resident_id=resident.id).exists())
        event = GateEvent.objects.get()  # the gate's record stays, with the masked name only
        self.assertIsNone(event.subject_resident_id)
        self.assertEqual(event.subject_label, "王*")
        self.assertTrue(audit_verify().intact)

    def test_health_records_end_with_the_districts_period(self):
        case = bound_wristband(self, self.li_wei)[2]
        follow_up_record(
            scope=self.worker_b.scope, actor=SETUP, case=case, method="phone", temperature_c="36.5"
        )
        registration = returnee_register(
            actor=SETUP,
            resident=self.chen_jing,
            via="worker",
            answers=ReturneeAnswers(
                origin_province="湖北",
                origin_city="武汉",
                departed_on=dt.date.today() - dt.timedelta(days=3),
                arrived_on=dt.date.today() - dt.timedelta(days=1),
                transport="train",
            ),
        )
        case_close(actor=SETUP, case=case, status=ObservationCase.Status.HOSPITAL)
        days = self.district.health_record_retention_days

        self.assertEqual(cases_purge_closed(now=timezone.now() + dt.timedelta(days=days - 1)), 0)
        self.assertEqual(cases_purge_closed(now=timezone.now() + dt.timedelta(days=days + 1)), 1)
        self.assertFalse(FollowUp.objects.filter(case_id=case.id).exists())

        past_end = dt.datetime.combine(registration.ends_on, dt.time(12), tzinfo=dt.UTC)
        self.assertEqual(registrations_purge(now=past_end + dt.timedelta(days=days - 1)), 0)
        self.assertEqual(registrations_purge(now=past_end + dt.timedelta(days=days + 1)), 1)
        self.assertEqual(
            set(AuditEntry.objects.filter(action="delete").values_list("object_type", flat=True)),
            {"observation_case", "returnee_registration"},
        )

    def test_the_worker_runs_every_retention_job(self):
        call_command("worker", "--once", "--only", "purge")
