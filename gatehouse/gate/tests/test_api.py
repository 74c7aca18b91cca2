"""The gate check API as gate staff and cameras use it: who may check where, what is stored, what
alerts, and every kind of bad input answered with a clear refusal, never a 500 or a doubled record."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.test import Client
from django.utils import timezone

from gatehouse.accounts.services import api_token_issue
from gatehouse.alerts.models import Alert
from gatehouse.gate.models import GateDuty, GateEvent
from gatehouse.gate.selectors import gate_context_cache_clear
from gatehouse.gate.services import gate_duty_start, gate_events_purge
from gatehouse.lib import passtoken
from gatehouse.observation.services import case_open
from gatehouse.passes.services import card_issue, pass_for, pass_revoke, pass_token_for
from gatehouse.places.models import Gate
from gatehouse.testing import ID_LI_WEI, ID_WANG_FANG, SETUP, BaseTestCase, covers


class GateApiCase(BaseTestCase):
    def setUp(self) -> None:
        gate_context_cache_clear()

    def check(self, user, body: dict[str, Any] | None = None, *, client: Client | None = None, **fields):
        payload = {
            "gate_id": str(self.gate_a1.id),
            "client_id": uuid.uuid4().hex,
            "subject": "token",
            "direction": "in",
            "temperature": "36.6",
        }
        payload.update(body or {})
        payload.update(fields)
        c = client or self.client_for(user)
        return c.post(
            "/api/gate/checks",
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    def token(self, resident=None, **kwargs) -> str:
        return pass_token_for(resident or self.wang_fang, **kwargs)


class CheckAuthorizationTest(GateApiCase):
    @covers("POST /api/gate/checks")
    def test_checks_only_at_the_callers_gates(self):
        ok = self.check(self.gate_a, value=self.token())
        self.assertEqual(ok.status_code, 201, ok.content)
        self.assertEqual(ok.json()["decision"], "let_in")
        # A gate of another neighbourhood, an unknown gate, a malformed gate id.
        self.assertEqual(
            self.check(self.gate_a, gate_id=str(self.gate_c1.id), value=self.token()).status_code, 404
        )
        self.assertEqual(self.check(self.gate_a, gate_id=str(self.gate_b1.id)).status_code, 404)
        self.assertEqual(self.check(self.gate_a, gate_id=str(uuid.uuid4())).status_code, 404)
        self.assertEqual(self.check(self.gate_a, gate_id="not-a-gate").status_code, 422)
        self.assertEqual(self.check(self.worker_a, gate_id=str(self.gate_b1.id)).status_code, 404)
        self.assertEqual(
            self.check(self.worker_b, gate_id=str(self.gate_b1.id), subject="visitor").status_code, 201
        )
        for user in (self.resident_user, self.courier, self.street_officer, self.meals):
            self.assertEqual(self.check(user, subject="visitor").status_code, 404, user.username)
        self.assertEqual(self.check(None, client=Client(), subject="visitor").status_code, 401)
        self.assertEqual(GateEvent.objects.count(), 2)

    def test_a_device_token_of_gate_staff_posts_checks(self):
        _, plain = api_token_issue(
            scope=self.gate_a.scope, actor=SETUP, user=self.gate_a, name="plate camera"
        )
        camera = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        response = self.check(
            None, client=camera, subject="plate", value="沪A 12345", temperature=None, device="cam-1"
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual((response.json()["decision"], response.json()["label"]), ("let_in", "沪A12345"))
        event = GateEvent.objects.get()
        self.assertEqual((event.staff, event.device, event.subject_kind), (self.gate_a, "cam-1", "vehicle"))
        # The scheme is case-insensitive (RFC 6750); anything but a bearer token is no token at all.
        lower = self.check(None, client=Client(HTTP_AUTHORIZATION=f"bearer {plain}"), subject="visitor")
        self.assertEqual(lower.status_code, 201, lower.content)
        for header in (f"Basic {plain}", "Bearer", "Bearer ", plain, f"Bearer {plain}x"):
            refused = self.check(None, client=Client(HTTP_AUTHORIZATION=header), subject="visitor")
            self.assertEqual(refused.status_code, 401, header)
        self.assertEqual(GateEvent.objects.count(), 2)

    def test_gate_staff_see_a_masked_name_a_colour_and_the_decision_only(self):
        body = self.check(self.gate_a, value=self.token()).json()
        self.assertEqual((body["label"], body["colour"]), ("王*", "green"))
        text = json.dumps(body, ensure_ascii=False)
        for secret in ("王芳", ID_WANG_FANG, "13812345678", "402", str(self.wang_fang.id)):
            self.assertNotIn(secret, text)


class StoredEventTest(GateApiCase):
    def test_the_event_holds_gate_time_direction_subject_decision_staff_device_and_client_id(self):
        client_id = "phone-1:42"
        self.check(self.gate_a, value=self.token(), client_id=client_id, device="phone-1", direction="in")
        event = GateEvent.objects.get()
        self.assertEqual(event.gate_id, self.gate_a1.id)
        self.assertEqual(
            (event.direction, event.subject_kind, event.subject_resident), ("in", "resident", self.wang_fang)
        )
        self.assertEqual((event.decision, event.reasons), ("let_in", ["resident"]))
        self.assertEqual((event.staff_label, event.device, event.client_id), ("孙浩", "phone-1", client_id))
        self.assertEqual(
            (event.temperature, event.temperature_c, event.temperature_raw), ("normal", None, "")
        )
        self.assertIsNotNone(event.nonce)

    def test_the_same_client_id_stores_nothing_new_and_returns_the_first_decision(self):
        first = self.check(self.gate_a, value=self.token(), client_id="dup-1")
        again = self.check(self.gate_a, value=self.token(), client_id="dup-1", temperature="39.0")
        self.assertEqual((first.status_code, again.status_code), (201, 200))
        self.assertEqual(again.json()["id"], first.json()["id"])
        self.assertEqual(again.json()["decision"], "let_in")
        self.assertFalse(again.json()["created"])
        self.assertEqual(GateEvent.objects.count(), 1)
        self.assertEqual(Alert.objects.count(), 0)

    def test_a_fever_keeps_its_reading_escalates_and_the_worker_sees_the_alert(self):
        response = self.check(self.gate_a, value=self.token(), temperature="38.2")
        self.assertEqual(response.json()["decision"], "escalate")
        self.assertIn("temporary observation point", response.json()["steps"][0])
        event = GateEvent.objects.get()
        self.assertEqual((event.temperature, str(event.temperature_c)), ("fever", "38.2"))
        alerts = self.client_for(self.worker_a).get("/api/alerts").json()["items"]
        self.assertEqual([a["kind"] for a in alerts], ["gate_fever"])
        self.assertIn("38.2", alerts[0]["title"])
        self.assertEqual(self.client_for(self.worker_b).get("/api/alerts").json()["items"], [])

    def test_an_implausible_reading_is_kept_as_typed_and_asks_again(self):
        for raw in ("37,5", "NaN", "", "45.1"):
            body = self.check(self.gate_a, value=self.token(), temperature=raw).json()
            self.assertEqual(body["decision"], "remeasure", raw)
        self.assertEqual(
            sorted(GateEvent.objects.values_list("temperature_raw", flat=True)), ["", "37,5", "45.1", "NaN"]
        )
        self.assertEqual(
            self.check(self.gate_a, subject="visitor", temperature=36.6).json()["reasons"],
            ["visitor_needs_host"],
        )

    def test_home_observation_going_out_is_refused_and_alerts(self):
        case_open(actor=SETUP, resident=self.wang_fang, kind="home_observation", reason="返沪")
        body = self.check(self.gate_a, value=self.token(), direction="out", temperature=None).json()
        self.assertEqual((body["decision"], body["colour"]), ("refuse", "red"))
        self.assertEqual(Alert.objects.get().kind, "gate_observation_exit")

    def test_retention_purges_old_events_only(self):
        self.check(self.gate_a, subject="visitor")
        old = GateEvent.objects.get()
        GateEvent.objects.filter(id=old.id).update(at=timezone.now() - dt.timedelta(days=22))
        self.check(self.gate_a, subject="courier")
        self.assertEqual(gate_events_purge(), 1)
        self.assertEqual(GateEvent.objects.count(), 1)
        self.district.gate_event_retention_days = 1
        self.district.save()
        self.assertEqual(gate_events_purge(now=timezone.now() + dt.timedelta(days=2)), 1)

    def test_worker_job_is_registered(self):
        from gatehouse.worker.jobs import JOBS

        self.assertIn("purge gate events past retention", [j.name for j in JOBS])


class SubjectsTest(GateApiCase):
    def test_typed_identity_numbers_are_looked_up_exactly(self):
        body = self.check(self.gate_a, subject="id_number", value=ID_WANG_FANG.lower()).json()
        self.assertEqual((body["decision"], body["label"]), ("let_in", "王*"))
        other = self.check(self.gate_a, subject="id_number", value=ID_LI_WEI).json()
        self.assertEqual(other["reasons"], ["pass_other_compound", "visitor_needs_host"])
        self.assertEqual(
            self.check(self.gate_a, subject="id_number", value="123").json()["reasons"],
            ["id_number_malformed"],
        )
        from stdnum.cn import ric

        body17 = "31010119900101001"
        unknown = body17 + ric.calc_check_digit(body17 + "0")
        self.assertEqual(
            self.check(self.gate_a, subject="id_number", value=unknown).json()["reasons"],
            ["id_number_unknown"],
        )
        self.assertNotIn(ID_WANG_FANG, json.dumps(list(GateEvent.objects.values()), default=str))

    def test_cards_resolve_and_a_reprint_revokes(self):
        old = card_issue(actor=SETUP, resident=self.wang_fang)
        new = card_issue(actor=SETUP, resident=self.wang_fang)
        self.assertEqual(
            self.check(self.gate_a, subject="card", value=new.serial).json()["decision"], "let_in"
        )
        self.assertEqual(
            self.check(self.gate_a, subject="card", value=old.serial).json()["reasons"], ["card_revoked"]
        )
        self.assertEqual(
            self.check(self.gate_a, subject="card", value="HP-NOPE").json()["reasons"], ["card_unknown"]
        )

    def test_a_card_holder_under_observation_is_stopped_going_out_before_the_colour_changes(self):
        from gatehouse.people.models import Resident

        card = card_issue(actor=SETUP, resident=self.wang_fang)
        case_open(actor=SETUP, resident=self.wang_fang, kind="home_observation", reason="返沪")
        # The case is what counts, even where the pass colour has not caught up with it.
        Resident.objects.filter(id=self.wang_fang.id).update(health_colour="green")
        body = self.check(self.gate_a, subject="card", value=card.serial, direction="out", temperature=None)
        self.assertEqual(body.json()["decision"], "refuse", body.json())

    def test_vehicles_registered_unknown_and_emergency(self):
        self.assertEqual(
            self.check(self.gate_a, subject="plate", value="沪A12345", temperature=None).json()["decision"],
            "let_in",
        )
        self.assertEqual(
            self.check(self.gate_a, subject="plate", value="沪BD12345", temperature=None).json()["reasons"],
            ["unknown_vehicle"],
        )
        self.assertEqual(
            self.check(self.gate_a, subject="plate", value="XYZ").json()["reasons"], ["plate_malformed"]
        )
        ambulance = self.check(self.gate_a, subject="emergency", temperature=None).json()
        self.assertEqual((ambulance["decision"], ambulance["reasons"]), ("let_in", ["emergency_vehicle"]))

    def test_visitors_need_a_real_host_household_and_couriers_go_to_the_pick_up_point(self):
        self.compound_a1.pickup_point = "南门快递架"
        self.compound_a1.save()
        gate_context_cache_clear()
        self.assertEqual(
            self.check(self.gate_a, subject="visitor", host_building="3", host_room="402").json()["decision"],
            "let_in",
        )
        self.assertEqual(
            self.check(self.gate_a, subject="visitor", host_building="9", host_room="999").json()["reasons"],
            ["visitor_needs_host"],
        )
        courier = self.check(self.gate_a, subject="courier").json()
        self.assertEqual(courier["decision"], "refuse")
        self.assertIn("南门快递架", courier["steps"][0])

    def test_staff_on_duty_pass(self):
        self.assertEqual(
            self.check(self.gate_a, subject="staff", temperature=None).json()["decision"], "remeasure"
        )
        gate_duty_start(gate=self.gate_a1, user=self.gate_a)
        self.assertEqual(
            self.check(self.gate_a, subject="staff", temperature=None).json()["reasons"], ["staff_on_duty"]
        )

    def test_a_sealed_gate_refuses_everyone(self):
        Gate.objects.filter(id=self.gate_a1.id).update(status="sealed")
        gate_context_cache_clear()
        for subject in ("visitor", "emergency", "courier"):
            self.assertEqual(self.check(self.gate_a, subject=subject).json()["reasons"], ["gate_sealed"])

    def test_an_unregistered_returnee_is_sent_to_registration(self):
        body = self.check(self.gate_a, value=self.token(), declares_arrival=True).json()
        self.assertEqual(body["decision"], "register")
        self.assertTrue(body["register_url"].startswith("/gate/events/"))


class BadPassesTest(GateApiCase):
    def test_forged_expired_future_replayed_and_revoked_tokens_are_refused_clearly(self):
        key = passtoken.signing_key_from_secret("someone else's key")
        forged = passtoken.token_sign(
            key, pass_id=pass_for(self.wang_fang).id, unix_seconds=timezone.now().timestamp()
        )
        cases = {
            "token_forged": forged,
            "token_expired": self.token(now=timezone.now() - dt.timedelta(minutes=5)),
            "token_from_the_future": self.token(now=timezone.now() + dt.timedelta(minutes=5)),
        }
        for reason, token in cases.items():
            body = self.check(self.gate_a, value=token).json()
            self.assertEqual((body["decision"], body["reasons"]), ("refuse", [reason]))
        token = self.token()
        self.assertEqual(self.check(self.gate_a, value=token).json()["decision"], "let_in")
        self.assertEqual(self.check(self.gate_a, value=token).json()["reasons"], ["token_replayed"])
        revoked = self.token()
        pass_revoke(actor=SETUP, resident=self.wang_fang, reason="lost")
        self.assertEqual(self.check(self.gate_a, value=revoked).json()["reasons"], ["pass_revoked"])

    def test_a_pass_of_another_compound_follows_the_visitor_rule(self):
        body = self.check(self.gate_a, value=self.token(self.li_wei)).json()
        self.assertEqual(
            (body["decision"], body["reasons"]), ("refuse", ["pass_other_compound", "visitor_needs_host"])
        )

    def test_one_pass_at_two_gates_at_once(self):
        gate_two = Gate.objects.create(compound=self.compound_a1, name="西门")
        self.assertEqual(self.check(self.worker_a, value=self.token()).json()["decision"], "let_in")
        second = self.check(self.worker_a, value=self.token(), gate_id=str(gate_two.id)).json()
        self.assertEqual((second["decision"], second["reasons"]), ("refuse", ["pass_used_at_two_gates"]))
        # Not a copy: going out at the other gate, or coming in again at the same one.
        out = self.check(self.worker_a, value=self.token(), gate_id=str(gate_two.id), direction="out").json()
        self.assertNotIn("pass_used_at_two_gates", out["reasons"])
        again = self.check(self.worker_a, value=self.token()).json()
        self.assertEqual(again["decision"], "let_in", again)

    def test_malformed_scans_are_refusals_not_errors(self):
        texts = [
            "\x00\x01\x02binary\xff",
            "A" * 10_240,
            "<script>alert(1)</script>",
            "'; DROP TABLE gate_gateevent; --",
            "GH1." + "A" * 50,
            "GH1.!!!!",
            "",
        ]
        for text in texts:
            response = self.check(self.gate_a, value=text)
            self.assertEqual(response.status_code, 201, text[:20])
            self.assertEqual(response.json()["reasons"], ["token_malformed"], text[:20])
        self.assertEqual(GateEvent.objects.count(), len(texts))

    def test_schema_errors_name_the_field(self):
        too_long = self.check(self.gate_a, value="A" * 20_000)
        self.assertEqual((too_long.status_code, too_long.json()["errors"][0]["field"]), (422, "value"))
        bad = self.check(self.gate_a, client_id="has space\x00", direction="sideways", subject="alien")
        self.assertEqual(bad.status_code, 422)
        self.assertEqual({e["field"] for e in bad.json()["errors"]}, {"client_id", "direction", "subject"})
        unknown = self.check(self.gate_a, value=self.token(), temprature="36.6")  # a typo is not ignored
        self.assertEqual((unknown.status_code, unknown.json()["errors"][0]["field"]), (422, "temprature"))
        late = self.check(self.gate_a, subject="visitor", offline={"decision": "let_in", "observed": "x"})
        self.assertEqual(late.status_code, 422)
        self.assertEqual(
            {e["field"] for e in late.json()["errors"]}, {"offline.observed_at", "offline.observed"}
        )
        self.assertEqual(GateEvent.objects.count(), 0)

    def test_control_characters_in_free_text_never_reach_the_database(self):
        response = self.check(
            self.gate_a, subject="visitor", device="cam\x00-1", host_building="3\x00", host_room="402"
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(GateEvent.objects.get().device, "cam-1")


class OfflineSyncTest(GateApiCase):
    def offline(self, decision: str, when: dt.datetime, **fields):
        return self.check(
            self.gate_a, offline={"decision": decision, "observed_at": when.isoformat()}, **fields
        )

    def test_a_provisional_check_is_judged_at_its_time_and_an_overturn_alerts(self):
        taken = timezone.now() - dt.timedelta(minutes=20)
        token = self.token(now=taken)
        agreed = self.offline("let_in", taken, value=token)
        self.assertEqual((agreed.json()["decision"], agreed.json()["provisional"]), ("let_in", True))
        self.assertFalse(agreed.json()["overturned"])
        case_open(actor=SETUP, resident=self.wang_fang, kind="home_observation", reason="返沪")
        later = taken + dt.timedelta(minutes=1)
        changed = self.offline(
            "let_in", later, value=self.token(now=later), direction="out", temperature=None
        )
        self.assertEqual((changed.json()["decision"], changed.json()["overturned"]), ("refuse", True))
        kinds = set(Alert.objects.values_list("kind", flat=True))
        self.assertEqual(kinds, {"gate_offline_changed", "gate_observation_exit"})

    def test_duplicated_and_out_of_order_submissions_are_stored_once(self):
        now = timezone.now()
        checks = [(f"off-{i}", now - dt.timedelta(minutes=10 - i)) for i in range(4)]
        for client_id, when in reversed(checks):  # out of order
            self.offline(
                "let_in", when, client_id=client_id, subject="visitor", host_building="3", host_room="402"
            )
        for client_id, when in checks:  # and all again
            response = self.offline(
                "let_in", when, client_id=client_id, subject="visitor", host_building="3", host_room="402"
            )
            self.assertEqual(response.status_code, 200)
        self.assertEqual(GateEvent.objects.filter(provisional=True).count(), 4)
        self.assertEqual(
            list(GateEvent.objects.order_by("observed_at").values_list("client_id", flat=True)),
            [c for c, _ in checks],
        )

    def test_one_screenshot_at_two_offline_gates_is_accepted_once(self):
        gate_two = Gate.objects.create(compound=self.compound_a1, name="西门")
        taken = timezone.now() - dt.timedelta(minutes=30)
        token = self.token(now=taken)
        first = self.check(
            self.worker_a, value=token, offline={"decision": "let_in", "observed_at": taken.isoformat()}
        )
        from gatehouse.passes.models import SeenNonce

        SeenNonce.objects.all().delete()  # the pass app forgot it long ago
        second = self.check(
            self.worker_a,
            value=token,
            gate_id=str(gate_two.id),
            direction="out",
            offline={"decision": "let_in", "observed_at": (taken + dt.timedelta(seconds=5)).isoformat()},
        )
        self.assertEqual(first.json()["decision"], "let_in")
        self.assertEqual(
            (second.json()["decision"], second.json()["reasons"]), ("refuse", ["token_replayed"])
        )
        self.assertTrue(second.json()["overturned"])
        self.assertEqual(GateEvent.objects.count(), 2)

    def test_an_observed_time_in_the_future_is_clamped_to_now(self):
        response = self.offline("let_in", timezone.now() + dt.timedelta(days=3), subject="visitor")
        event = GateEvent.objects.get(id=response.json()["id"])
        self.assertLessEqual(event.observed_at, event.at)


class GateListDutyBundleTest(GateApiCase):
    @covers("GET /api/gate/gates")
    def test_the_gate_list_is_the_callers_gates_with_who_is_on_duty(self):
        gate_duty_start(gate=self.gate_a1, user=self.gate_a)
        mine = self.client_for(self.gate_a).get("/api/gate/gates").json()
        self.assertEqual([g["name"] for g in mine], ["南门"])
        self.assertEqual([d["label"] for d in mine[0]["on_duty"]], ["孙浩"])
        names = {g["name"] for g in self.client_for(self.worker_a).get("/api/gate/gates").json()}
        self.assertEqual(names, {"南门", "北门", "大堂"})
        self.assertEqual(self.client_for(self.resident_user).get("/api/gate/gates").json(), [])

    @covers("POST /api/gate/gates/{gate_id}/duty", "DELETE /api/gate/gates/{gate_id}/duty")
    def test_duty_starts_and_ends_at_the_callers_gate_only(self):
        client = self.client_for(self.gate_a)
        self.assertEqual(client.post(f"/api/gate/gates/{self.gate_c1.id}/duty").status_code, 404)
        self.assertEqual(len(client.post(f"/api/gate/gates/{self.gate_a1.id}/duty").json()), 1)
        self.assertEqual(len(client.post(f"/api/gate/gates/{self.gate_a1.id}/duty").json()), 1)
        self.assertEqual(client.delete(f"/api/gate/gates/{self.gate_a1.id}/duty").json(), [])
        self.assertEqual(GateDuty.objects.filter(ended_at__isnull=False).count(), 1)
        self.assertEqual(
            self.client_for(self.worker_b).delete(f"/api/gate/gates/{self.gate_a1.id}/duty").status_code, 404
        )

    @covers("GET /api/gate/gates/{gate_id}/bundle")
    def test_the_offline_bundle_is_for_staff_of_that_gate_and_holds_no_personal_numbers(self):
        pass_for(self.wang_fang)
        bundle = self.client_for(self.gate_a).get(f"/api/gate/gates/{self.gate_a1.id}/bundle").json()
        self.assertEqual(bundle["passes"][0]["masked_name"], "王*")
        self.assertEqual((bundle["gate"]["status"], bundle["fever_line"]), ("open", "37.3"))
        self.assertEqual(bundle["plates"], ["沪A12345"])  # this compound's only; not compound B's
        text = json.dumps(bundle, ensure_ascii=False)
        for secret in ("王芳", ID_WANG_FANG, "13812345678"):
            self.assertNotIn(secret, text)
        for user, gate in (
            (self.gate_a, self.gate_c1),
            (self.worker_b, self.gate_a1),
            (self.resident_user, self.gate_a1),
        ):
            self.assertEqual(self.client_for(user).get(f"/api/gate/gates/{gate.id}/bundle").status_code, 404)


class TodayApiTest(GateApiCase):
    @covers("GET /api/gate/today")
    def test_today_counts_only_the_callers_gates(self):
        self.check(self.gate_a, value=self.token(), temperature="38.0")
        self.check(self.gate_a, subject="courier")
        self.check(self.worker_b, gate_id=str(self.gate_b1.id), subject="visitor")
        mine = self.client_for(self.worker_a).get("/api/gate/today").json()
        self.assertEqual((mine["checks"], mine["fevers"], mine["refusals"]), (2, 1, 1))
        self.assertEqual(self.client_for(self.worker_b).get("/api/gate/today").json()["checks"], 1)
        self.assertEqual(self.client_for(self.street_officer).get("/api/gate/today").json()["checks"], 3)
        self.assertEqual(self.client_for(self.gate_a).get("/api/gate/today").json()["checks"], 0)
        one = self.client_for(self.worker_a).get(f"/api/gate/today?compound_id={self.compound_b1.id}").json()
        self.assertEqual(one["checks"], 0)
