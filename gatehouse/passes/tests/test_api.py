"""Passes over the API, with who reaches what.

Personas (gatehouse.testing): resident_user is 王芳 of A1; worker_a (neighbourhood A) must never print
or revoke B's 李伟; gate_a stands at A1's south gate and may fetch A1's offline bundle only.
"""

import base64
import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from gatehouse.lib import passtoken
from gatehouse.passes.models import Card, Pass
from gatehouse.passes.services import card_resolve, pass_revoke, pass_scan_resolve
from gatehouse.passes.tests.pdf import pdf_page_count, pdf_text
from gatehouse.people.services import resident_register
from gatehouse.testing import SETUP, BaseTestCase, covers


class PassesApiTestCase(BaseTestCase):
    def call(self, user, method, path, body=None, lang="en"):
        client = self.client_for(user) if user else Client()
        kwargs = {"HTTP_ACCEPT_LANGUAGE": lang}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(path, **kwargs)


class MyTokenTest(PassesApiTestCase):
    @covers("GET /api/passes/me/token")
    def test_a_resident_gets_a_fresh_token_for_their_own_pass_only(self):
        response = self.call(self.resident_user, "GET", "/api/passes/me/token")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual((body["colour"], body["masked_name"]), ("green", "王*"))
        self.assertEqual(pass_scan_resolve(token=body["token"]).resident, self.wang_fang)
        again = self.call(self.resident_user, "GET", "/api/passes/me/token").json()
        self.assertNotEqual(again["token"], body["token"])  # a new nonce every time
        for user in (self.worker_a, self.gate_a, self.command, self.courier):
            self.assertEqual(self.call(user, "GET", "/api/passes/me/token").status_code, 404, user.username)
        self.assertEqual(self.call(None, "GET", "/api/passes/me/token").status_code, 401)

    def test_a_revoked_pass_gets_no_more_tokens(self):
        client = self.client_for(self.resident_user)
        self.assertEqual(client.get("/api/passes/me/token").status_code, 200)
        pass_revoke(actor=SETUP, resident=self.wang_fang, reason="lost")
        gone = client.get("/api/passes/me/token", HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.assertEqual(gone.status_code, 410)
        self.assertIn("重新", gone.json()["detail"])

    def test_a_token_expires_on_schedule(self):
        body = self.call(self.resident_user, "GET", "/api/passes/me/token").json()
        valid_until = dt.datetime.fromisoformat(body["valid_until"])
        after = valid_until + dt.timedelta(seconds=1)
        self.assertEqual(pass_scan_resolve(token=body["token"], now=after).reason, "token_expired")
        self.assertTrue(pass_scan_resolve(token=body["token"], now=valid_until).ok)


class PublicKeyTest(PassesApiTestCase):
    @covers("GET /api/passes/public-key")
    def test_gates_verify_tokens_with_the_published_key(self):
        key = self.call(self.gate_a, "GET", "/api/passes/public-key").json()
        self.assertEqual(
            (key["algorithm"], key["step_seconds"], key["max_skew_seconds"]), ("Ed25519", 30, 45)
        )
        token = self.call(self.resident_user, "GET", "/api/passes/me/token").json()["token"]
        verified = passtoken.token_verify(
            base64.b64decode(key["public_key"]), token, unix_seconds=timezone.now().timestamp()
        )
        self.assertIsInstance(verified, passtoken.PassToken)
        self.assertEqual(self.call(None, "GET", "/api/passes/public-key").status_code, 401)


class OfflineBundleApiTest(PassesApiTestCase):
    @covers("GET /api/passes/offline-bundle")
    def test_only_those_who_check_at_a_gate_of_the_compound_get_its_bundle(self):
        def status(user, compound):
            return self.call(user, "GET", f"/api/passes/offline-bundle?compound_id={compound.id}").status_code

        allowed = [
            (self.gate_a, self.compound_a1),
            (self.worker_a, self.compound_a1),
            (self.worker_a, self.building_a),
            (self.worker_b, self.compound_b1),
            (self.building_manager, self.building_a),
            (self.street_officer, self.compound_b1),
            (self.command, self.compound_c1),
        ]
        refused = [
            (self.gate_a, self.compound_b1),
            (self.gate_a, self.building_a),
            (self.worker_a, self.compound_b1),
            (self.worker_b, self.compound_a1),
            (self.building_manager, self.compound_a1),
            (self.street_officer, self.compound_c1),
            (self.resident_user, self.compound_a1),
            (self.courier, self.compound_a1),
            (self.meals, self.compound_a1),
            (self.org, self.compound_a1),
        ]
        for user, compound in allowed:
            self.assertEqual(status(user, compound), 200, (user.username, compound.name))
        for user, compound in refused:
            self.assertEqual(status(user, compound), 404, (user.username, compound.name))
        self.assertEqual(status(None, self.compound_a1), 401)
        self.assertEqual(
            self.call(self.gate_a, "GET", "/api/passes/offline-bundle?compound_id=nope").status_code, 422
        )
        self.assertEqual(self.call(self.gate_a, "GET", "/api/passes/offline-bundle").status_code, 422)

    def test_the_bundle_carries_what_a_gate_needs_and_nothing_personal(self):
        self.call(self.resident_user, "GET", "/api/passes/me/token")
        body = self.call(self.gate_a, "GET", f"/api/passes/offline-bundle?compound_id={self.compound_a1.id}")
        data = body.json()
        self.assertEqual([p["masked_name"] for p in data["passes"]], ["王*"])
        self.assertEqual(base64.b64decode(data["public_key"]).__len__(), 32)
        self.assertNotIn("13812345678", body.content.decode())
        self.assertNotIn("王芳", body.content.decode())


class ResidentPassesApiTest(PassesApiTestCase):
    @covers("GET /api/passes/residents/{resident_id}")
    def test_a_worker_reads_the_passes_and_cards_of_their_own_residents(self):
        ok = self.call(self.worker_b, "GET", f"/api/passes/residents/{self.li_wei.id}")
        self.assertEqual((ok.status_code, ok.json()["masked_name"]), (200, "李*"))
        for user in (self.worker_a, self.gate_a, self.resident_user, self.courier):
            self.assertEqual(
                self.call(user, "GET", f"/api/passes/residents/{self.li_wei.id}").status_code,
                404,
                user.username,
            )
        self.assertEqual(self.call(self.worker_b, "GET", "/api/passes/residents/nope").status_code, 422)

    @covers("POST /api/passes/residents/{resident_id}/revoke")
    def test_revocation_is_scoped_takes_effect_at_once_and_is_audited(self):
        from gatehouse.core.models import AuditEntry
        from gatehouse.passes.services import pass_token_for

        path = f"/api/passes/residents/{self.li_wei.id}/revoke"
        token = pass_token_for(self.li_wei)
        self.assertEqual(self.call(self.worker_a, "POST", path, {"reason": "lost"}).status_code, 404)
        self.assertEqual(self.call(self.gate_a, "POST", path, {"reason": "lost"}).status_code, 404)
        own = f"/api/passes/residents/{self.wang_fang.id}/revoke"
        self.assertEqual(self.call(self.resident_user, "POST", own, {"reason": "lost"}).status_code, 403)
        ok = self.call(self.worker_b, "POST", path, {"reason": "lost", "note": "钱包丢了"})
        self.assertEqual(ok.status_code, 200)
        self.assertEqual(ok.json()["passes"][0]["status"], "revoked")
        self.assertEqual(ok.json()["passes"][0]["revoked_note"], "钱包丢了")
        later = timezone.now() + dt.timedelta(seconds=1)
        self.assertEqual(pass_scan_resolve(token=token, now=later).reason, "pass_revoked")
        entry = AuditEntry.objects.filter(object_type="pass").first()
        self.assertEqual((entry.actor_label, entry.subject_resident_id), ("赵磊", self.li_wei.id))

    def test_bad_revocations_name_the_field_in_chinese(self):
        path = f"/api/passes/residents/{self.li_wei.id}/revoke"
        for body, field in [
            ({"reason": "stolen"}, "reason"),
            ({"reason": "reissued"}, "reason"),
            ({"reason": "other"}, "note"),
            ({}, "reason"),
            ({"reason": "lost", "note": "x" * 201}, "note"),
            ({"reason": "lost", "extra": 1}, "extra"),
            ({"reason": "lost", "note": "钱包\u0000丢了"}, "note"),
            ({"reason": "lost", "note": "\ud800"}, "note"),
        ]:
            response = self.call(self.worker_b, "POST", path, body, lang="zh-hans")
            self.assertEqual(response.status_code, 422, body)
            self.assertEqual([e["field"] for e in response.json()["errors"]], [field], body)
        self.assertFalse(Pass.objects.filter(status="revoked").exists())

    @covers("POST /api/passes/residents/{resident_id}/cards")
    def test_a_worker_prints_the_household_cards_and_never_another_neighbourhoods(self):
        grandma = resident_register(
            scope=self.command.scope,
            actor=SETUP,
            compound=self.compound_b1,
            building="12弄",
            room="5号",
            name="李老太",
            sex="F",
            birth_date=dt.date(1935, 5, 1),
        )
        path = f"/api/passes/residents/{self.li_wei.id}/cards"
        for user in (self.worker_a, self.gate_a, self.courier):
            self.assertEqual(self.call(user, "POST", path, {}).status_code, 404, user.username)
        own = f"/api/passes/residents/{self.wang_fang.id}/cards"
        self.assertEqual(self.call(self.resident_user, "POST", own, {}).status_code, 403)
        self.assertEqual(Card.objects.count(), 0)

        response = self.call(self.worker_b, "POST", path, {})
        self.assertEqual((response.status_code, response["Content-Type"]), (200, "application/pdf"))
        self.assertNotIn("李", response["Content-Disposition"])
        pdf = response.content
        cards = list(Card.objects.filter(status="active").order_by("pass_record__resident__birth_date"))
        self.assertEqual(pdf_page_count(pdf), 2)
        text = pdf_text(pdf)
        for card in cards:
            self.assertIn(card.serial.encode(), text)
        # A reprint of grandma's card revokes the old one.
        again = self.call(self.worker_b, "POST", path, {"member_ids": [str(grandma.id)]})
        self.assertEqual(pdf_page_count(again.content), 1)
        self.assertEqual(card_resolve(serial=cards[0].serial).reason, "card_revoked")
        self.assertTrue(card_resolve(serial=cards[1].serial).ok)
        wrong = self.call(self.worker_b, "POST", path, {"member_ids": [str(self.wang_fang.id)]})
        self.assertEqual((wrong.status_code, wrong.json()["errors"][0]["field"]), (422, "member_ids"))
