"""Who reaches what in the observation API. worker_a (李娜, neighbourhood A) follows up A's cases and
must not see, follow up, close or print B's; the street officer reads the whole street but changes
nothing; gate staff and couriers see nothing; the resident 王芳 reports only for herself."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from gatehouse.alerts.models import Alert
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_close, case_open
from gatehouse.testing import SETUP, BaseTestCase, covers


class ObservationApiTest(BaseTestCase):
    def setUp(self) -> None:
        self.case_a = case_open(
            actor=SETUP, resident=self.employee, kind="home_observation", reason="自武汉返沪"
        )
        self.case_b = case_open(actor=SETUP, resident=self.li_wei, kind="home_observation", reason="密切接触")

    def call(self, user, method: str, path: str, body: Any = None) -> Any:
        client = self.client_for(user) if user else Client()
        kwargs: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(f"/api/observation{path}", **kwargs)

    def ids(self, response) -> set[str]:
        data = response.json()
        items = data["items"] if isinstance(data, dict) and "items" in data else data
        return {item["id"] for item in items}

    @covers("GET /api/observation/cases", "GET /api/observation/cases/{case_id}")
    def test_cases_stay_in_their_neighbourhood(self):
        self.assertEqual(self.ids(self.call(self.worker_a, "GET", "/cases")), {str(self.case_a.id)})
        self.assertEqual(self.ids(self.call(self.worker_b, "GET", "/cases")), {str(self.case_b.id)})
        self.assertEqual(len(self.ids(self.call(self.street_officer, "GET", "/cases"))), 2)
        for user in (self.gate_a, self.resident_user, self.courier, self.building_manager):
            self.assertEqual(self.ids(self.call(user, "GET", "/cases")), set(), user.username)
        self.assertEqual(self.call(None, "GET", "/cases").status_code, 401)
        self.assertEqual(self.call(self.worker_a, "GET", f"/cases/{self.case_b.id}").status_code, 404)
        detail = self.call(self.worker_a, "GET", f"/cases/{self.case_a.id}").json()
        self.assertEqual((detail["resident_name"], detail["status"]), ("吴刚", "active"))

    @covers("POST /api/observation/cases")
    def test_only_a_worker_of_the_neighbourhood_opens_a_case_there(self):
        body = {"resident_id": str(self.wang_fang.id), "kind": "health_monitoring", "reason": "自温州返沪"}
        self.assertEqual(self.call(self.worker_b, "POST", "/cases", body).status_code, 404)
        self.assertEqual(self.call(self.street_officer, "POST", "/cases", body).status_code, 403)
        self.assertEqual(self.call(self.gate_a, "POST", "/cases", body).status_code, 404)
        created = self.call(self.worker_a, "POST", "/cases", body)
        self.assertEqual(created.status_code, 201)
        self.assertEqual(created.json()["kind"], "health_monitoring")
        again = self.call(self.worker_a, "POST", "/cases", body)
        self.assertEqual((again.status_code, again.json()["errors"][0]["field"]), (422, "resident"))
        bad = self.call(self.worker_a, "POST", "/cases", {**body, "days": 0, "kind": "prison"})
        self.assertEqual({e["field"] for e in bad.json()["errors"]}, {"days", "kind"})

    @covers(
        "GET /api/observation/cases/{case_id}/follow-ups", "POST /api/observation/cases/{case_id}/follow-ups"
    )
    def test_follow_ups_are_recorded_only_on_cases_in_reach(self):
        body = {"method": "phone", "temperature_c": 36.6, "needs": ["food"]}
        path = f"/cases/{self.case_b.id}/follow-ups"
        self.assertEqual(self.call(self.worker_a, "POST", path, body).status_code, 404)
        self.assertEqual(self.call(self.worker_a, "GET", path).status_code, 404)
        self.assertEqual(self.call(self.street_officer, "POST", path, body).status_code, 403)
        done = self.call(self.worker_b, "POST", path, body)
        self.assertEqual(done.status_code, 201)
        self.assertEqual(done.json()["needs"], ["food"])
        self.assertEqual(len(self.call(self.street_officer, "GET", path).json()), 1)
        fahrenheit = self.call(self.worker_b, "POST", path, {**body, "temperature_c": 98.6})
        self.assertEqual(fahrenheit.status_code, 422)
        self.assertEqual(fahrenheit.json()["errors"][0]["field"], "temperature_c")
        self.assertIn("°F", fahrenheit.json()["errors"][0]["message"])

    @covers(
        "POST /api/observation/cases/{case_id}/close", "GET /api/observation/cases/{case_id}/release-notice"
    )
    def test_closing_and_printing_stay_in_reach(self):
        path = f"/cases/{self.case_b.id}"
        self.assertEqual(
            self.call(self.worker_a, "POST", f"{path}/close", {"status": "hospital"}).status_code, 404
        )
        self.assertEqual(
            self.call(self.street_officer, "POST", f"{path}/close", {"status": "hospital"}).status_code, 403
        )
        early = self.call(self.worker_b, "POST", f"{path}/close", {"status": "released"})
        self.assertEqual((early.status_code, early.json()["errors"][0]["field"]), (422, "status"))
        self.assertEqual(self.call(self.worker_b, "GET", f"{path}/release-notice").status_code, 422)
        ObservationCase.objects.filter(id=self.case_b.id).update(
            starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 1, 15)
        )
        released = self.call(self.worker_b, "POST", f"{path}/close", {"status": "released", "note": "期满"})
        self.assertEqual(released.json()["status"], "released")
        self.assertEqual(self.call(self.worker_a, "GET", f"{path}/release-notice").status_code, 404)
        pdf = self.call(self.worker_b, "GET", f"{path}/release-notice")
        self.assertEqual((pdf.status_code, pdf["Content-Type"]), (200, "application/pdf"))
        self.assertTrue(pdf.content.startswith(b"%PDF"))

    @covers("GET /api/observation/worklist")
    def test_the_worklist_is_the_callers_own(self):
        mine = self.call(self.worker_a, "GET", "/worklist").json()
        self.assertEqual([c["id"] for c in mine["cases"]], [str(self.case_a.id)])
        self.assertEqual(self.call(self.gate_a, "GET", "/worklist").json()["cases"], [])
        self.assertEqual(self.call(None, "GET", "/worklist").status_code, 401)

    @covers("GET /api/observation/me", "POST /api/observation/me/reports")
    def test_a_resident_reports_only_for_herself(self):
        self.assertEqual(self.call(self.resident_user, "GET", "/me").json(), {"case": None, "reports": []})
        body = {"temperature_c": 37.6, "symptoms": ["cough"]}
        self.assertEqual(self.call(self.resident_user, "POST", "/me/reports", body).status_code, 404)
        own = case_open(actor=SETUP, resident=self.wang_fang, kind="health_monitoring", reason="自温州返沪")
        sent = self.call(self.resident_user, "POST", "/me/reports", body)
        self.assertEqual((sent.status_code, sent.json()["fever"]), (201, True))
        me = self.call(self.resident_user, "GET", "/me").json()
        self.assertEqual((me["case"]["id"], len(me["reports"])), (str(own.id), 1))
        alert = Alert.objects.get(kind=Alert.Kind.SYMPTOM_REPORT)
        self.assertEqual(alert.subject_resident_id, self.wang_fang.id)
        # Workers have no own record: nothing to read, nothing to report.
        self.assertEqual(self.call(self.worker_a, "GET", "/me").json()["case"], None)
        self.assertEqual(self.call(self.worker_a, "POST", "/me/reports", body).status_code, 404)
        case_close(actor=SETUP, case=own, status="hospital")
        self.assertEqual(self.call(self.resident_user, "POST", "/me/reports", body).status_code, 404)
