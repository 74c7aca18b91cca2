"""The pass pages: the resident's own pass on their phone, and the worker's pass-and-cards page.

Personas: resident_user is 王芳 of A1; worker_a (neighbourhood A) must not reach 李伟 of B.
"""

from django.test import Client

from gatehouse.core.models import AuditEntry
from gatehouse.passes.models import Card
from gatehouse.passes.services import card_resolve, pass_revoke, pass_scan_resolve
from gatehouse.passes.tests.pdf import pdf_page_count, pdf_text
from gatehouse.people.models import HealthColourChange
from gatehouse.people.services import resident_health_colour_set
from gatehouse.testing import SETUP, BaseTestCase, covers


class MyPassPageTest(BaseTestCase):
    def get(self, user, path, lang="zh-hans"):
        client = self.client_for(user) if user else Client()
        if lang == "en":
            client.cookies["django_language"] = "en"  # pages are Chinese unless English was chosen
        return client.get(path)

    @covers("PAGE passes:mine", "PAGE passes:mine_qr")
    def test_a_resident_sees_their_own_pass_and_nobody_else_has_one(self):
        page = self.get(self.resident_user, "/passes/me/")
        self.assertContains(page, "<svg")
        self.assertContains(page, "绿码")
        self.assertContains(page, "王*")
        self.assertNotContains(page, "王芳</p>")
        live = self.get(self.resident_user, "/passes/me/live/")
        self.assertContains(live, "<svg")
        self.assertIn("no-cache", live["Cache-Control"])
        for user in (self.worker_a, self.gate_a, self.command):
            self.assertEqual(self.get(user, "/passes/me/").status_code, 404, user.username)
            self.assertEqual(self.get(user, "/passes/me/live/").status_code, 404, user.username)
        anonymous = self.get(None, "/passes/me/")
        self.assertEqual(anonymous.url, "/signin/?next=/passes/me/")
        self.assertEqual(self.get(None, "/passes/me/live/").status_code, 401)

    def test_the_qr_on_the_page_is_a_token_a_gate_accepts(self):
        import re

        # The token is in the QR only; the page also offers it to nobody else. Read it via the API twin.
        client = self.client_for(self.resident_user)
        client.get("/passes/me/")
        token = client.get("/api/passes/me/token").json()["token"]
        self.assertEqual(pass_scan_resolve(token=token).resident, self.wang_fang)
        live = client.get("/passes/me/live/").content.decode()
        self.assertTrue(re.search(r'data-refresh-in="\d+\.\d"', live))
        self.assertTrue(re.search(r'data-valid-for="\d+\.\d"', live))

    def test_the_colour_is_big_with_the_reason_and_its_history(self):
        resident_health_colour_set(
            actor=SETUP,
            resident=self.wang_fang,
            colour="red",
            reason=HealthColourChange.Reason.CASE_OPENED,
            note="自武汉返沪",
        )
        page = self.get(self.resident_user, "/passes/me/", lang="en").content.decode()
        self.assertIn('class="colour-big red"', page)
        self.assertIn("must not leave", page)
        self.assertIn("自武汉返沪", page)
        self.assertIn("Home observation started", page)
        zh = self.get(self.resident_user, "/passes/me/").content.decode()
        self.assertIn("不得外出", zh)

    def test_a_revoked_pass_shows_no_code_but_says_why_and_what_to_do(self):
        client = self.client_for(self.resident_user)
        client.get("/passes/me/")
        pass_revoke(
            scope=self.worker_a.scope, actor=SETUP, resident=self.wang_fang, reason="lost", note="手机丢失"
        )
        client.cookies["django_language"] = "en"
        page = client.get("/passes/me/")
        self.assertNotContains(page, "<svg")
        self.assertContains(page, "revoked")
        self.assertContains(page, "手机丢失")
        self.assertContains(page, "/signin/?next=/passes/me/")
        live = client.get("/passes/me/live/")
        self.assertContains(live, 'data-stop="1"')
        self.assertNotContains(live, "<svg")

    def test_the_nav_offers_the_pass_to_residents(self):
        self.assertContains(self.get(self.resident_user, "/me/"), 'href="/passes/me/"')


class WorkerPassPagesTest(BaseTestCase):
    @covers("PAGE passes:resident", "PAGE passes:cards_print", "PAGE passes:revoke")
    def test_a_worker_manages_the_passes_of_their_own_residents_only(self):
        own = self.client_for(self.worker_a)
        self.assertContains(
            own.get(f"/residents/{self.wang_fang.id}/"), f"/passes/residents/{self.wang_fang.id}/"
        )
        page = own.get(f"/passes/residents/{self.wang_fang.id}/")
        self.assertContains(page, "王芳")
        self.assertTrue(
            AuditEntry.objects.filter(action="view", subject_resident_id=self.wang_fang.id).exists()
        )
        for path in (f"/passes/residents/{self.li_wei.id}/",):
            self.assertEqual(own.get(path).status_code, 404)
        b_cards = own.post(f"/passes/residents/{self.li_wei.id}/cards/", {"members": [str(self.li_wei.id)]})
        self.assertEqual(b_cards.status_code, 404)
        b_revoke = own.post(f"/passes/residents/{self.li_wei.id}/revoke/", {"reason": "lost"})
        self.assertEqual(b_revoke.status_code, 404)
        self.assertEqual(Card.objects.count(), 0)
        gate = self.client_for(self.gate_a)
        self.assertEqual(gate.get(f"/passes/residents/{self.wang_fang.id}/").status_code, 403)
        self.assertEqual(
            gate.post(f"/passes/residents/{self.wang_fang.id}/revoke/", {"reason": "lost"}).status_code, 404
        )
        resident = self.client_for(self.resident_user)
        self.assertEqual(resident.get(f"/passes/residents/{self.wang_fang.id}/").status_code, 403)
        self.assertEqual(
            resident.post(
                f"/passes/residents/{self.wang_fang.id}/cards/", {"members": [str(self.wang_fang.id)]}
            )["Content-Type"].startswith("application/pdf"),
            False,
        )
        self.assertEqual(Card.objects.count(), 0)
        self.assertEqual(Client().get(f"/passes/residents/{self.wang_fang.id}/").status_code, 302)

    def test_printing_from_the_page_gives_a_pdf_and_revokes_older_cards(self):
        client = self.client_for(self.worker_a)
        first = client.post(
            f"/passes/residents/{self.wang_fang.id}/cards/", {"members": [str(self.wang_fang.id)]}
        )
        self.assertEqual(first["Content-Type"], "application/pdf")
        self.assertEqual(pdf_page_count(first.content), 1)
        old = Card.objects.get()
        self.assertIn(old.serial.encode(), pdf_text(first.content))
        client.post(f"/passes/residents/{self.wang_fang.id}/cards/", {"members": [str(self.wang_fang.id)]})
        self.assertEqual(card_resolve(serial=old.serial).reason, "card_revoked")
        page = client.get(f"/passes/residents/{self.wang_fang.id}/")
        self.assertContains(page, old.serial)
        nothing = client.post(f"/passes/residents/{self.wang_fang.id}/cards/", {})
        self.assertEqual(nothing.status_code, 302)
        foreign = client.post(
            f"/passes/residents/{self.wang_fang.id}/cards/", {"members": [str(self.li_wei.id)]}
        )
        self.assertEqual(foreign.status_code, 302)
        self.assertEqual(Card.objects.count(), 2)

    def test_revoking_from_the_page_refuses_the_next_scan(self):
        from gatehouse.passes.services import pass_token_for

        token = pass_token_for(self.wang_fang)
        client = self.client_for(self.worker_a)
        bad = client.post(f"/passes/residents/{self.wang_fang.id}/revoke/", {"reason": "other"}, follow=True)
        self.assertContains(bad, "请说明作废通行证的原因")
        self.assertEqual(pass_scan_resolve(token=token).ok, True)
        token = pass_token_for(self.wang_fang)
        done = client.post(f"/passes/residents/{self.wang_fang.id}/revoke/", {"reason": "lost"}, follow=True)
        self.assertContains(done, "已作废")
        self.assertEqual(pass_scan_resolve(token=token).reason, "pass_revoked")
