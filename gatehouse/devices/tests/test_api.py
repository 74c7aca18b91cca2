"""Wristbands over the API. worker_a (李娜, neighbourhood A) must never see, bind or change B's
wristbands or cases; worker_b (赵磊) likewise for A; a street officer sees but does not change;
gate staff and residents reach nothing. The telemetry endpoint answers only to a device token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from gatehouse.accounts.models import User
from gatehouse.core.models import AuditEntry
from gatehouse.devices import services
from gatehouse.devices.models import Binding, Telemetry, Wristband
from gatehouse.devices.tests.helpers import HOME, bound_wristband, payload, unique_serial
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_open
from gatehouse.testing import SETUP, BaseTestCase, covers


class WristbandApiTest(BaseTestCase):
    def setUp(self):
        self.band_a, self.binding_a, self.case_a = bound_wristband(self)
        self.band_b, self.binding_b, self.case_b = bound_wristband(self, self.li_wei)
        self.spare_a = services.wristband_register(
            scope=self.command.scope,
            actor=SETUP,
            neighbourhood=self.nb_a,
            serial=unique_serial("S"),
            model="HB-2",
        )

    def call(self, user: User | None, method: str, path: str, body: Any = None, lang: str = "en") -> Any:
        client = self.client_for(user) if user else Client()
        kwargs: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": lang}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(f"/api/devices{path}", **kwargs)

    def ids(self, response):
        return {item["id"] for item in response.json()["items"]}

    @covers("GET /api/devices/wristbands")
    def test_each_worker_lists_only_their_neighbourhoods_wristbands(self):
        self.assertEqual(
            self.ids(self.call(self.worker_a, "GET", "/wristbands")),
            {str(self.band_a.id), str(self.spare_a.id)},
        )
        self.assertEqual(self.ids(self.call(self.worker_b, "GET", "/wristbands")), {str(self.band_b.id)})
        self.assertEqual(len(self.ids(self.call(self.street_officer, "GET", "/wristbands"))), 3)
        for user in (self.gate_a, self.resident_user, self.meals, self.org):
            self.assertEqual(self.ids(self.call(user, "GET", "/wristbands")), set(), user.username)
        self.assertEqual(self.call(None, "GET", "/wristbands").status_code, 401)

    @covers("GET /api/devices/wristbands/{wristband_id}")
    def test_another_neighbourhoods_wristband_is_not_found(self):
        ok = self.call(self.worker_a, "GET", f"/wristbands/{self.band_a.id}")
        self.assertEqual(ok.status_code, 200)
        self.assertEqual(ok.json()["binding"]["subject"], "王*")
        self.assertEqual(self.call(self.worker_a, "GET", f"/wristbands/{self.band_b.id}").status_code, 404)
        self.assertEqual(self.call(self.gate_a, "GET", f"/wristbands/{self.band_a.id}").status_code, 404)

    @covers("POST /api/devices/wristbands")
    def test_a_worker_registers_into_their_own_neighbourhood_only(self):
        made = self.call(self.worker_a, "POST", "/wristbands", {"serial": "hb-0001", "model": "HB-2"})
        self.assertEqual(made.status_code, 201)
        self.assertEqual(Wristband.objects.get(serial="HB-0001").neighbourhood, self.nb_a)
        other = self.call(
            self.worker_a,
            "POST",
            "/wristbands",
            {"serial": "HB-0002", "model": "HB-2", "neighbourhood_id": str(self.nb_b.id)},
        )
        self.assertEqual(other.status_code, 404)
        self.assertEqual(
            self.call(
                self.street_officer,
                "POST",
                "/wristbands",
                {"serial": "HB-0003", "model": "HB-2", "neighbourhood_id": str(self.nb_a.id)},
            ).status_code,
            403,
        )
        self.assertEqual(
            self.call(self.gate_a, "POST", "/wristbands", {"serial": "HB-0004", "model": "X"}).status_code,
            422,
        )
        bad = self.call(
            self.worker_a, "POST", "/wristbands", {"serial": "a/b", "model": "HB-2"}, lang="zh-hans"
        )
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["errors"][0]["field"], "serial")
        dup = self.call(self.worker_a, "POST", "/wristbands", {"serial": "HB-0001", "model": "HB-2"})
        self.assertEqual((dup.status_code, dup.json()["errors"][0]["field"]), (422, "serial"))

    @covers("POST /api/devices/wristbands/{wristband_id}/bind")
    def test_binding_is_scoped_and_audited(self):
        case = case_open(
            actor=SETUP, resident=self.employee, kind=ObservationCase.Kind.HOME_OBSERVATION, reason="返沪"
        )
        body = {"case_id": str(case.id), "home_lat": HOME[0], "home_lon": HOME[1], "radius_m": 80}
        # worker_b can neither reach A's spare nor A's case.
        self.assertEqual(
            self.call(self.worker_b, "POST", f"/wristbands/{self.spare_a.id}/bind", body).status_code, 404
        )
        self.assertEqual(
            self.call(self.worker_b, "POST", f"/wristbands/{self.band_b.id}/bind", body).status_code, 404
        )
        self.assertEqual(
            self.call(self.street_officer, "POST", f"/wristbands/{self.spare_a.id}/bind", body).status_code,
            403,
        )
        bound = self.call(self.worker_a, "POST", f"/wristbands/{self.spare_a.id}/bind", body)
        self.assertEqual(bound.status_code, 201, bound.content)
        self.assertEqual(bound.json()["radius_m"], 80)
        self.assertTrue(
            AuditEntry.objects.filter(object_type="wristband_binding", actor_label="李娜").exists()
        )
        again = self.call(self.worker_a, "POST", f"/wristbands/{self.spare_a.id}/bind", body)
        self.assertEqual(again.status_code, 422)
        far = self.call(self.worker_a, "POST", f"/wristbands/{self.spare_a.id}/bind", body | {"home_lat": 91})
        self.assertEqual(far.json()["errors"][0]["field"], "home_lat")

    @covers("POST /api/devices/wristbands/{wristband_id}/unbind")
    def test_unbinding_is_scoped(self):
        self.assertEqual(
            self.call(self.worker_b, "POST", f"/wristbands/{self.band_a.id}/unbind", {}).status_code, 404
        )
        done = self.call(self.worker_a, "POST", f"/wristbands/{self.band_a.id}/unbind", {"reason": "faulty"})
        self.assertEqual((done.status_code, done.json()["status"]), (200, "ended"))
        self.band_a.refresh_from_db()
        self.assertEqual(self.band_a.status, Wristband.Status.RETIRED)
        self.assertEqual(
            self.call(self.worker_a, "POST", f"/wristbands/{self.band_a.id}/unbind", {}).status_code, 422
        )

    @covers("POST /api/devices/wristbands/{wristband_id}/replace")
    def test_replacing_keeps_home_and_fence_and_stays_in_the_neighbourhood(self):
        body = {"replacement_id": str(self.spare_a.id)}
        self.assertEqual(
            self.call(self.worker_b, "POST", f"/wristbands/{self.band_b.id}/replace", body).status_code, 404
        )
        done = self.call(self.worker_a, "POST", f"/wristbands/{self.band_a.id}/replace", body)
        self.assertEqual(done.status_code, 201, done.content)
        new = Binding.objects.get(wristband=self.spare_a, status=Binding.Status.ACTIVE)
        self.assertEqual(
            (new.case_id, new.radius_m, new.home_lat), (self.case_a.id, 50, self.binding_a.home_lat)
        )
        self.binding_a.refresh_from_db()
        self.assertEqual(self.binding_a.end_reason, Binding.EndReason.REPLACED)

    @covers("POST /api/devices/wristbands/{wristband_id}/credentials")
    def test_credentials_are_shown_once_and_only_in_reach(self):
        self.assertEqual(
            self.call(self.worker_b, "POST", f"/wristbands/{self.band_a.id}/credentials").status_code, 404
        )
        issued = self.call(self.worker_a, "POST", f"/wristbands/{self.band_a.id}/credentials").json()
        self.band_a.refresh_from_db()
        self.assertNotIn(issued["broker_password"], self.band_a.secret_hash + self.band_a.broker_hash)
        self.assertTrue(self.band_a.broker_hash.startswith("$7$101$"))
        self.assertEqual(issued["http_token"], f"{self.band_a.serial}.{issued['broker_password']}")

    @covers("POST /api/devices/telemetry")
    def test_the_http_endpoint_takes_a_devices_own_readings_with_its_token_only(self):
        token = self.call(self.worker_a, "POST", f"/wristbands/{self.band_a.id}/credentials").json()[
            "http_token"
        ]
        first = payload(1)
        body = {"readings": [first, first, payload(2, temp_c=98.6), "nonsense"]}

        def post(auth: str | None, data: Any = body) -> Any:
            headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {auth}"} if auth else {}
            return Client().post(
                "/api/devices/telemetry", json.dumps(data), content_type="application/json", **headers
            )

        answer = post(token)
        self.assertEqual(answer.status_code, 200, answer.content)
        self.assertEqual(
            answer.json(),
            {
                "stored": 1,
                "duplicates": 1,
                "rejected": [
                    {"index": 2, "reason": "bad_temperature"},
                    {"index": 3, "reason": "not_an_object"},
                ],
            },
        )
        self.assertEqual(Telemetry.objects.filter(device=self.band_a).count(), 1)
        wrong = token.replace(self.band_a.serial, self.band_b.serial)
        self.assertEqual(post(wrong).status_code, 401)
        self.assertEqual(post(None).status_code, 401)
        # A user's session is not a device.
        session = self.client_for(self.worker_a).post(
            "/api/devices/telemetry", json.dumps(body), content_type="application/json"
        )
        self.assertEqual(session.status_code, 401)
        self.assertEqual(post(token, {"readings": []}).status_code, 422)
