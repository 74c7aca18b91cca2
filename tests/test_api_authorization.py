"""Who reaches what through the API. Every operation in the OpenAPI schema must be covered here:
`test_every_api_operation_is_covered` fails when an endpoint is added without its scoping test.

Personas come from gatehouse.testing: worker_a works in neighbourhood A and must not see, search,
export, change or guess-by-id anything of neighbourhood B; each role reaches only its column.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from django.test import Client

from gatehouse.accounts.models import User
from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise
from gatehouse.testing import COVERED, ID_LI_WEI, ID_WANG_FANG, BaseTestCase, covers


class ApiTestCase(BaseTestCase):
    def api(self, user: User | None) -> Client:
        return self.client_for(user) if user else Client()

    def call(self, user: User | None, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        client = self.api(user)
        kwargs: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en", **extra}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(path, **kwargs)

    def ids(self, response: Any) -> set[str]:
        data = response.json()
        items = data["items"] if isinstance(data, dict) and "items" in data else data
        return {item["id"] for item in items}


class PlacesApiTest(ApiTestCase):
    @covers("GET /api/places/streets")
    def test_it_lists_only_the_streets_in_reach(self):
        self.assertEqual(len(self.call(self.command, "GET", "/api/places/streets").json()), 2)
        streets = self.call(self.street_officer, "GET", "/api/places/streets").json()
        self.assertEqual([s["id"] for s in streets], [str(self.street_s1.id)])
        for user in (self.worker_a, self.gate_a, self.resident_user, self.meals, self.courier, self.org):
            self.assertEqual(self.call(user, "GET", "/api/places/streets").json(), [], user.username)
        self.assertEqual(self.call(None, "GET", "/api/places/streets").status_code, 401)

    @covers("GET /api/places/streets/{street_id}/neighbourhoods")
    def test_a_street_officer_cannot_open_another_street(self):
        ok = self.call(self.street_officer, "GET", f"/api/places/streets/{self.street_s1.id}/neighbourhoods")
        self.assertEqual({n["name"] for n in ok.json()}, {"A居民区", "B居民区"})
        other = self.call(
            self.street_officer, "GET", f"/api/places/streets/{self.street_s2.id}/neighbourhoods"
        )
        self.assertEqual(other.status_code, 404)
        self.assertEqual(
            self.call(
                self.worker_a, "GET", f"/api/places/streets/{self.street_s1.id}/neighbourhoods"
            ).status_code,
            404,
        )

    @covers("GET /api/places/neighbourhoods/{neighbourhood_id}/compounds")
    def test_a_worker_sees_the_compounds_of_their_neighbourhood_only(self):
        ok = self.call(self.worker_a, "GET", f"/api/places/neighbourhoods/{self.nb_a.id}/compounds")
        self.assertEqual({c["name"] for c in ok.json()}, {"A1小区", "A-大厦"})
        self.assertEqual(
            self.call(
                self.worker_a, "GET", f"/api/places/neighbourhoods/{self.nb_b.id}/compounds"
            ).status_code,
            404,
        )

    @covers("GET /api/places/compounds/{compound_id}")
    def test_a_compound_opens_with_its_gates_only_in_reach(self):
        ok = self.call(self.worker_a, "GET", f"/api/places/compounds/{self.compound_a1.id}")
        self.assertEqual({g["name"] for g in ok.json()["gates"]}, {"南门", "北门"})
        for user, compound in [
            (self.worker_a, self.compound_b1),
            (self.worker_b, self.compound_a1),
            (self.building_manager, self.compound_a1),
            (self.gate_a, self.compound_a1),
            (self.resident_user, self.compound_a1),
        ]:
            self.assertEqual(
                self.call(user, "GET", f"/api/places/compounds/{compound.id}").status_code, 404, user.username
            )
        self.assertEqual(
            self.call(
                self.building_manager, "GET", f"/api/places/compounds/{self.building_a.id}"
            ).status_code,
            200,
        )

    @covers("PATCH /api/places/gates/{gate_id}")
    def test_only_street_and_district_change_gates_and_only_their_own(self):
        path = f"/api/places/gates/{self.gate_a1.id}"
        self.assertEqual(self.call(self.worker_a, "PATCH", path, {"status": "sealed"}).status_code, 403)
        self.assertEqual(self.call(self.gate_a, "PATCH", path, {"status": "sealed"}).status_code, 404)
        self.assertEqual(
            self.call(
                self.street_officer, "PATCH", f"/api/places/gates/{self.gate_c1.id}", {"status": "sealed"}
            ).status_code,
            404,
        )
        ok = self.call(self.street_officer, "PATCH", path, {"status": "sealed"})
        self.assertEqual(ok.status_code, 200)
        self.assertEqual(ok.json()["status"], "sealed")

    @covers("GET /api/places/regimes", "PATCH /api/places/regimes/{compound_class}")
    def test_only_district_command_edits_regimes(self):
        self.assertEqual(len(self.call(self.command, "GET", "/api/places/regimes").json()), 6)
        self.assertEqual(len(self.call(self.worker_a, "GET", "/api/places/regimes").json()), 6)
        self.assertEqual(self.call(self.resident_user, "GET", "/api/places/regimes").json(), [])
        path = "/api/places/regimes/old_lane"
        self.assertEqual(self.call(self.street_officer, "PATCH", path, {"staff_day": 3}).status_code, 403)
        self.assertEqual(self.call(self.worker_a, "PATCH", path, {"staff_day": 3}).status_code, 403)
        ok = self.call(self.command, "PATCH", path, {"staff_day": 3})
        self.assertEqual((ok.status_code, ok.json()["staff_day"]), (200, 3))

    @covers("GET /api/places/policy", "PATCH /api/places/policy")
    def test_only_district_command_sets_the_fever_line(self):
        self.assertEqual(self.call(self.gate_a, "GET", "/api/places/policy").json()["fever_line_c"], "37.3")
        self.assertEqual(self.call(self.resident_user, "GET", "/api/places/policy").status_code, 404)
        self.assertEqual(
            self.call(
                self.street_officer, "PATCH", "/api/places/policy", {"fever_line_c": "37.5"}
            ).status_code,
            403,
        )
        ok = self.call(self.command, "PATCH", "/api/places/policy", {"fever_line_c": "37.5"})
        self.assertEqual((ok.status_code, ok.json()["fever_line_c"]), (200, "37.5"))


class ResidentsApiTest(ApiTestCase):
    @covers("GET /api/residents")
    def test_lists_and_searches_stay_inside_the_neighbourhood(self):
        self.assertEqual(
            self.ids(self.call(self.worker_a, "GET", "/api/residents")),
            {str(self.wang_fang.id), str(self.employee.id)},
        )
        self.assertEqual(self.ids(self.call(self.worker_b, "GET", "/api/residents")), {str(self.li_wei.id)})
        self.assertEqual(
            self.ids(self.call(self.street_officer, "GET", "/api/residents")),
            {str(self.wang_fang.id), str(self.li_wei.id), str(self.employee.id)},
        )
        self.assertEqual(len(self.ids(self.call(self.command, "GET", "/api/residents"))), 4)
        self.assertEqual(
            self.ids(self.call(self.building_manager, "GET", "/api/residents")), {str(self.employee.id)}
        )
        self.assertEqual(
            self.ids(self.call(self.resident_user, "GET", "/api/residents")), {str(self.wang_fang.id)}
        )
        for user in (self.gate_a, self.meals, self.courier, self.org):
            self.assertEqual(self.ids(self.call(user, "GET", "/api/residents")), set(), user.username)
        # Searching B's resident from A finds nothing, by name, phone, plate or full identity number.
        for query in ("李伟", "13900001111", "沪BD12345", ID_LI_WEI):
            path = f"/api/residents?q={quote(query)}"
            self.assertEqual(self.ids(self.call(self.worker_a, "GET", path)), set(), query)
            self.assertEqual(self.ids(self.call(self.worker_b, "GET", path)), {str(self.li_wei.id)}, query)

    @covers("GET /api/residents/{resident_id}")
    def test_guessing_an_id_of_another_neighbourhood_is_a_404(self):
        self.assertEqual(self.call(self.worker_a, "GET", f"/api/residents/{self.li_wei.id}").status_code, 404)
        self.assertEqual(
            self.call(self.gate_a, "GET", f"/api/residents/{self.wang_fang.id}").status_code, 404
        )
        self.assertEqual(
            self.call(self.resident_user, "GET", f"/api/residents/{self.li_wei.id}").status_code, 404
        )
        self.assertEqual(self.call(self.worker_a, "GET", "/api/residents/not-a-uuid").status_code, 422)
        ok = self.call(self.worker_a, "GET", f"/api/residents/{self.wang_fang.id}")
        self.assertEqual(ok.status_code, 200)
        self.assertEqual(ok.json()["id_number_masked"], "110105********002X")
        self.assertNotIn(ID_WANG_FANG, ok.content.decode())

    @covers("POST /api/residents")
    def test_registering_into_another_neighbourhood_is_refused(self):
        body = {
            "compound_id": str(self.compound_b1.id),
            "building": "1",
            "room": "101",
            "name": "新人",
            "sex": "F",
            "birth_date": "1990-01-01",
        }
        self.assertEqual(self.call(self.worker_a, "POST", "/api/residents", body).status_code, 404)
        self.assertEqual(self.call(self.resident_user, "POST", "/api/residents", body).status_code, 404)
        created = self.call(self.worker_b, "POST", "/api/residents", body)
        self.assertEqual(created.status_code, 201)
        self.assertEqual(created.json()["compound_id"], str(self.compound_b1.id))

    @covers("PATCH /api/residents/{resident_id}")
    def test_changing_another_neighbourhoods_resident_is_refused(self):
        self.assertEqual(
            self.call(
                self.worker_a, "PATCH", f"/api/residents/{self.li_wei.id}", {"name": "改名"}
            ).status_code,
            404,
        )
        self.assertEqual(
            self.call(
                self.resident_user, "PATCH", f"/api/residents/{self.wang_fang.id}", {"name": "改名"}
            ).status_code,
            403,
        )
        ok = self.call(self.worker_b, "PATCH", f"/api/residents/{self.li_wei.id}", {"phone": "13900002222"})
        self.assertEqual((ok.status_code, ok.json()["phone"]), (200, "13900002222"))

    @covers("POST /api/residents/{resident_id}/move-out")
    def test_moving_out_another_neighbourhoods_resident_is_refused(self):
        self.assertEqual(
            self.call(self.worker_a, "POST", f"/api/residents/{self.li_wei.id}/move-out").status_code, 404
        )
        ok = self.call(self.worker_b, "POST", f"/api/residents/{self.li_wei.id}/move-out")
        self.assertEqual((ok.status_code, ok.json()["status"]), (200, "moved_out"))
        self.assertEqual(self.ids(self.call(self.worker_b, "GET", "/api/residents")), set())

    @covers("GET /api/residents/export")
    def test_exports_hold_only_the_callers_residents(self):
        text = self.call(self.worker_a, "GET", "/api/residents/export?fmt=csv").content.decode("utf-8")
        self.assertIn("王芳", text)
        self.assertNotIn("李伟", text)
        self.assertNotIn(ID_WANG_FANG, text)
        self.assertIn("110105********002X", text)
        for user in (self.gate_a, self.resident_user, self.building_manager, self.meals):
            self.assertEqual(self.call(user, "GET", "/api/residents/export").status_code, 403, user.username)
        other = self.call(self.worker_a, "GET", f"/api/residents/export?compound_id={self.compound_b1.id}")
        self.assertNotIn("李伟", other.content.decode("utf-8"))

    @covers("POST /api/vehicles", "GET /api/vehicles")
    def test_vehicles_follow_their_household(self):
        self.assertEqual(
            self.call(
                self.worker_a,
                "POST",
                "/api/vehicles",
                {"resident_id": str(self.li_wei.id), "plate": "沪C11111"},
            ).status_code,
            404,
        )
        ok = self.call(
            self.worker_a,
            "POST",
            "/api/vehicles",
            {"resident_id": str(self.wang_fang.id), "plate": "沪C11111"},
        )
        self.assertEqual(ok.status_code, 201)
        plates = {v["plate"] for v in self.call(self.worker_a, "GET", "/api/vehicles").json()["items"]}
        self.assertEqual(plates, {"沪A12345", "沪C11111"})
        self.assertEqual(self.call(self.gate_a, "GET", "/api/vehicles").json()["items"], [])


class AccountsApiTest(ApiTestCase):
    @covers("GET /api/accounts/me")
    def test_me_names_the_role(self):
        self.assertEqual(
            self.call(self.worker_a, "GET", "/api/accounts/me").json()["role"], "neighbourhood_worker"
        )
        self.assertEqual(self.call(None, "GET", "/api/accounts/me").status_code, 401)

    @covers("GET /api/accounts/me/access-log")
    def test_a_resident_sees_who_opened_their_record_and_nobody_elses(self):
        self.call(self.worker_a, "GET", f"/api/residents/{self.wang_fang.id}")
        log = self.call(self.resident_user, "GET", "/api/accounts/me/access-log").json()
        self.assertIn(("李娜", "view"), {(e["who"], e["action"]) for e in log})
        self.call(self.worker_b, "GET", f"/api/residents/{self.li_wei.id}")
        self.assertNotIn(
            "赵磊",
            {e["who"] for e in self.call(self.resident_user, "GET", "/api/accounts/me/access-log").json()},
        )
        self.assertEqual(self.call(self.worker_a, "GET", "/api/accounts/me/access-log").json(), [])

    @covers("GET /api/accounts/tokens", "POST /api/accounts/tokens", "DELETE /api/accounts/tokens/{prefix}")
    def test_tokens_work_until_revoked_and_only_their_owner_or_command_sees_them(self):
        created = self.call(self.worker_a, "POST", "/api/accounts/tokens", {"name": "camera"})
        self.assertEqual(created.status_code, 201)
        plain, prefix = created.json()["token"], created.json()["prefix"]
        bearer = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        self.assertEqual(bearer.get("/api/accounts/me").json()["role"], "neighbourhood_worker")
        self.assertEqual(
            self.ids(bearer.get("/api/residents")), {str(self.wang_fang.id), str(self.employee.id)}
        )
        self.assertEqual(self.call(self.worker_b, "GET", "/api/accounts/tokens").json(), [])
        self.assertEqual(
            self.call(self.worker_b, "DELETE", f"/api/accounts/tokens/{prefix}").status_code, 404
        )
        self.assertEqual(
            self.call(
                self.worker_b, "POST", "/api/accounts/tokens", {"name": "x", "username": "worker-a"}
            ).status_code,
            404,
        )
        self.assertEqual(len(self.call(self.command, "GET", "/api/accounts/tokens").json()), 1)
        revoked = self.call(self.worker_a, "DELETE", f"/api/accounts/tokens/{prefix}")
        self.assertIsNotNone(revoked.json()["revoked_at"])
        self.assertEqual(bearer.get("/api/accounts/me").status_code, 401)
        self.assertEqual(
            Client(HTTP_AUTHORIZATION="Bearer gh_nope_nope").get("/api/accounts/me").status_code, 401
        )


class AuditApiTest(ApiTestCase):
    @covers("GET /api/audit")
    def test_only_district_command_reads_the_trail(self):
        self.call(self.worker_a, "GET", f"/api/residents/{self.wang_fang.id}")
        entries = self.call(self.command, "GET", "/api/audit?action=view").json()["items"]
        self.assertEqual(entries[0]["actor_label"], "李娜")
        for user in (self.street_officer, self.worker_a, self.gate_a, self.resident_user):
            self.assertEqual(self.call(user, "GET", "/api/audit").status_code, 403, user.username)


class AlertsApiTest(ApiTestCase):
    def setUp(self) -> None:
        self.alert_b, _ = alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.HIGH,
            neighbourhood=self.nb_b,
            compound=self.compound_b1,
            title="发热 38.2",
            dedupe_key="test-b",
            evidence={"temp": "38.2"},
        )
        self.alert_building, _ = alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.HIGH,
            neighbourhood=self.nb_a,
            compound=self.building_a,
            title="发热 38.0",
            dedupe_key="test-building",
            evidence={"temp": "38.0"},
        )

    @covers("GET /api/alerts", "GET /api/alerts/{alert_id}")
    def test_alerts_stay_in_their_neighbourhood(self):
        self.assertEqual(self.ids(self.call(self.worker_b, "GET", "/api/alerts")), {str(self.alert_b.id)})
        self.assertEqual(
            self.ids(self.call(self.worker_a, "GET", "/api/alerts")), {str(self.alert_building.id)}
        )
        self.assertEqual(
            self.ids(self.call(self.building_manager, "GET", "/api/alerts")), {str(self.alert_building.id)}
        )
        self.assertEqual(len(self.ids(self.call(self.street_officer, "GET", "/api/alerts"))), 2)
        for user in (self.gate_a, self.resident_user, self.courier):
            self.assertEqual(self.ids(self.call(user, "GET", "/api/alerts")), set(), user.username)
        self.assertEqual(self.call(self.worker_a, "GET", f"/api/alerts/{self.alert_b.id}").status_code, 404)

    @covers("POST /api/alerts/{alert_id}/acknowledge", "POST /api/alerts/{alert_id}/resolve")
    def test_only_the_neighbourhood_handles_its_alert(self):
        path = f"/api/alerts/{self.alert_b.id}"
        self.assertEqual(self.call(self.worker_a, "POST", f"{path}/acknowledge").status_code, 404)
        self.assertEqual(self.call(self.worker_a, "POST", f"{path}/resolve", {"note": "x"}).status_code, 404)
        ack = self.call(self.worker_b, "POST", f"{path}/acknowledge")
        self.assertEqual((ack.status_code, ack.json()["status"]), (200, "acknowledged"))
        done = self.call(self.worker_b, "POST", f"{path}/resolve", {"note": "复测36.8，已回家"})
        self.assertEqual((done.status_code, done.json()["status"]), (200, "resolved"))


class CoverageTest(ApiTestCase):
    def test_every_api_operation_is_covered(self):
        schema = Client().get("/api/openapi.json").json()
        operations = {
            f"{method.upper()} {path.rstrip('/') if path != '/api/' else path}"
            for path, item in schema["paths"].items()
            for method in item
        }
        named = {c for c in COVERED if not c.startswith("PAGE ")}
        self.assertEqual(operations - named, set(), "endpoints without an authorization test")
        self.assertEqual(named - operations, set(), "tests naming endpoints that do not exist")
