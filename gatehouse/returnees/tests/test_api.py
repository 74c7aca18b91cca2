"""Returnee registration through the API and the pages: who may register whom, what it opens."""

import datetime as dt
import json

from django.utils import timezone

from gatehouse.gate.selectors import gate_context_cache_clear
from gatehouse.observation.models import ObservationCase
from gatehouse.passes.services import pass_token_for
from gatehouse.returnees.models import KeyArea, ReturneeRegistration
from gatehouse.testing import BaseTestCase, covers


def answers(**overrides):
    today = timezone.localdate()
    body = {
        "origin_province": "湖北",
        "origin_city": "武汉",
        "departed_on": (today - dt.timedelta(days=1)).isoformat(),
        "arrived_on": today.isoformat(),
        "transport": "train",
        "transport_number": "G1722",
        "visits": [],
        "contact_confirmed": False,
        "contact_suspected": False,
        "symptoms": ["none"],
        "temperature": "36.5",
    }
    body.update(overrides)
    return body


class ReturneeApiTest(BaseTestCase):
    def post(self, user, path, body):
        return self.client_for(user).post(
            path, data=json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
        )

    def setUp(self):
        gate_context_cache_clear()
        KeyArea.objects.create(
            district=self.district, province="湖北", city="", starts_on=dt.date(2020, 1, 1)
        )

    @covers("POST /api/returnees", "GET /api/returnees")
    def test_a_worker_registers_their_residents_and_a_resident_themself(self):
        self.assertEqual(
            self.post(
                self.worker_b, "/api/returnees", {**answers(), "resident_id": str(self.wang_fang.id)}
            ).status_code,
            404,
        )
        self.assertEqual(
            self.post(
                self.gate_a, "/api/returnees", {**answers(), "resident_id": str(self.wang_fang.id)}
            ).status_code,
            404,
        )
        made = self.post(
            self.worker_a, "/api/returnees", {**answers(), "resident_id": str(self.wang_fang.id)}
        )
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual((made.json()["classification"], made.json()["via"]), ("home_observation", "worker"))
        self.wang_fang.refresh_from_db()
        self.assertEqual(self.wang_fang.health_colour, "red")
        self.assertTrue(ObservationCase.objects.filter(resident=self.wang_fang, status="active").exists())
        # The resident registers themself (another arrival): no resident_id.
        own = self.post(
            self.resident_user, "/api/returnees", answers(origin_province="江苏", origin_city="南京")
        )
        self.assertEqual((own.status_code, own.json()["via"]), (201, "self"))
        self.assertEqual(self.post(self.worker_a, "/api/returnees", answers()).status_code, 422)
        self.assertEqual(len(self.client_for(self.worker_a).get("/api/returnees").json()["items"]), 2)
        self.assertEqual(self.client_for(self.worker_b).get("/api/returnees").json()["items"], [])
        self.assertEqual(len(self.client_for(self.resident_user).get("/api/returnees").json()["items"]), 2)
        self.assertEqual(self.client_for(self.gate_a).get("/api/returnees").json()["items"], [])

    def test_bad_answers_name_their_fields(self):
        body = answers(origin_province="上海", arrived_on="2001-01-01", transport="rocket")
        response = self.post(self.resident_user, "/api/returnees", body)
        self.assertEqual(response.status_code, 422)
        self.assertIn("transport", {e["field"] for e in response.json()["errors"]})
        response = self.post(self.resident_user, "/api/returnees", answers(origin_province="上海"))
        self.assertEqual({e["field"] for e in response.json()["errors"]}, {"origin_province"})
        late = answers(
            departed_on=timezone.localdate().isoformat(),
            arrived_on=(timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        )
        self.assertEqual(
            {e["field"] for e in self.post(self.resident_user, "/api/returnees", late).json()["errors"]},
            {"arrived_on"},
        )
        self.assertEqual(ReturneeRegistration.objects.count(), 0)

    @covers("POST /api/gate/events/{event_id}/returnee")
    def test_gate_staff_register_the_person_a_check_sent_to_registration(self):
        check = (
            self.client_for(self.gate_a)
            .post(
                "/api/gate/checks",
                data=json.dumps(
                    {
                        "gate_id": str(self.gate_a1.id),
                        "client_id": "r1",
                        "subject": "token",
                        "value": pass_token_for(self.wang_fang),
                        "direction": "in",
                        "temperature": "36.5",
                        "declares_arrival": True,
                    }
                ),
                content_type="application/json",
            )
            .json()
        )
        self.assertEqual(check["decision"], "register")
        path = f"/api/gate/events/{check['id']}/returnee"
        self.assertEqual(self.post(self.worker_b, path, answers()).status_code, 404)
        made = self.post(self.gate_a, path, answers(origin_province="江苏", origin_city="南京"))
        self.assertEqual((made.status_code, made.json()["via"]), (201, "gate"))
        self.assertNotIn("王芳", made.content.decode())
        again = (
            self.client_for(self.gate_a)
            .post(
                "/api/gate/checks",
                data=json.dumps(
                    {
                        "gate_id": str(self.gate_a1.id),
                        "client_id": "r2",
                        "subject": "token",
                        "value": pass_token_for(self.wang_fang),
                        "direction": "in",
                        "temperature": "36.5",
                        "declares_arrival": True,
                    }
                ),
                content_type="application/json",
            )
            .json()
        )
        self.assertEqual((again["decision"], again["colour"]), ("let_in", "yellow"))

    @covers(
        "GET /api/returnees/key-areas",
        "POST /api/returnees/key-areas",
        "DELETE /api/returnees/key-areas/{area_id}",
    )
    def test_only_district_command_edits_key_areas(self):
        body = {"province": "浙江", "city": "温州", "starts_on": "2020-01-20"}
        for user in (self.worker_a, self.street_officer, self.gate_a):
            self.assertEqual(
                self.post(user, "/api/returnees/key-areas", body).status_code, 403, user.username
            )
        made = self.post(self.command, "/api/returnees/key-areas", body)
        self.assertEqual(made.status_code, 201)
        self.assertEqual(len(self.client_for(self.worker_a).get("/api/returnees/key-areas").json()), 2)
        self.assertEqual(self.client_for(self.resident_user).get("/api/returnees/key-areas").json(), [])
        path = f"/api/returnees/key-areas/{made.json()['id']}"
        self.assertEqual(self.client_for(self.worker_a).delete(path).status_code, 403)
        self.assertEqual(self.client_for(self.command).delete(path).status_code, 204)
        bad = self.post(self.command, "/api/returnees/key-areas", {**body, "ends_on": "2019-01-01"})
        self.assertEqual((bad.status_code, bad.json()["errors"][0]["field"]), (422, "ends_on"))
