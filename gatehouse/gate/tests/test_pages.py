"""Who reaches the gate and returnee pages, and what each shows."""

import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from gatehouse.gate.models import GateDuty, GateEvent
from gatehouse.gate.selectors import gate_context_cache_clear
from gatehouse.passes.services import pass_token_for
from gatehouse.returnees.models import KeyArea, ReturneeRegistration
from gatehouse.testing import BaseTestCase, covers


class GatePagesTest(BaseTestCase):
    def setUp(self):
        gate_context_cache_clear()

    def get(self, user, path, **extra):
        client = self.client_for(user) if user else Client()
        client.cookies["django_language"] = "en"
        return client.get(path, **extra)

    @covers("PAGE gate:home", "PAGE gate:screen")
    def test_gate_staff_open_their_gate_screen_and_go_on_duty(self):
        self.assertRedirects(
            self.get(self.gate_a, "/gate/"), f"/gate/{self.gate_a1.id}/", fetch_redirect_response=False
        )
        page = self.get(self.gate_a, f"/gate/{self.gate_a1.id}/")
        self.assertContains(page, "A1小区 · 南门")
        self.assertContains(page, "孙浩")  # on duty, shown on the screen
        self.assertEqual(GateDuty.objects.filter(user=self.gate_a, ended_at__isnull=True).count(), 1)
        self.assertEqual(self.get(self.gate_a, f"/gate/{self.gate_c1.id}/").status_code, 404)
        self.assertEqual(self.get(self.worker_b, f"/gate/{self.gate_a1.id}/").status_code, 404)
        self.assertContains(self.get(self.worker_a, "/gate/"), "南门")
        for user in (self.resident_user, self.courier):
            self.assertEqual(self.get(user, "/gate/").status_code, 403)
            self.assertEqual(self.get(user, f"/gate/{self.gate_a1.id}/").status_code, 404)
        self.assertEqual(self.get(None, "/gate/").status_code, 302)

    @covers("PAGE gate:service_worker")
    def test_the_service_worker_is_code_only(self):
        response = self.get(None, "/gate/sw.js")
        self.assertEqual(response["Content-Type"], "application/javascript; charset=utf-8")
        # Its cache is named after the release's static files, so new code reaches every gate phone.
        from gatehouse.gate.views import static_version

        self.assertRegex(static_version(), r"^[0-9a-f]{16}$")
        self.assertContains(response, f'const CACHE = "gatehouse-gate-{static_version()}";')
        self.assertContains(response, "caches.delete")

    @covers("PAGE gate:today")
    def test_today_is_for_the_neighbourhood_and_its_gates_only(self):
        client = self.client_for(self.gate_a)
        client.post(
            "/api/gate/checks",
            data=json.dumps(
                {
                    "gate_id": str(self.gate_a1.id),
                    "client_id": "t1",
                    "subject": "visitor",
                    "direction": "in",
                    "temperature": "38.5",
                }
            ),
            content_type="application/json",
        )
        page = self.get(self.worker_a, "/gate/today/")
        self.assertContains(page, "南门")
        self.assertContains(page, "38.5")
        self.assertNotContains(self.get(self.worker_b, "/gate/today/"), "38.5")
        self.assertEqual(
            self.get(self.worker_a, f"/gate/today/?compound={self.compound_b1.id}").status_code, 404
        )
        self.assertEqual(self.get(self.worker_a, f"/gate/today/?gate={self.gate_b1.id}").status_code, 404)
        partial = self.get(self.worker_a, f"/gate/today/?gate={self.gate_a1.id}", HTTP_HX_REQUEST="true")
        self.assertNotContains(partial, "<html")
        self.assertEqual(self.get(self.gate_a, "/gate/today/").status_code, 403)

    @covers("PAGE gate:returnee_register")
    def test_gate_staff_register_a_returnee_through_the_check(self):
        response = (
            self.client_for(self.gate_a)
            .post(
                "/api/gate/checks",
                data=json.dumps(
                    {
                        "gate_id": str(self.gate_a1.id),
                        "client_id": "g1",
                        "subject": "token",
                        "value": pass_token_for(self.wang_fang),
                        "direction": "in",
                        "temperature": "36.4",
                        "declares_arrival": True,
                    }
                ),
                content_type="application/json",
            )
            .json()
        )
        path = response["register_url"]
        page = self.get(self.gate_a, path)
        self.assertContains(page, "王*")
        self.assertNotContains(page, "王芳")
        self.assertEqual(self.get(self.worker_b, path).status_code, 404)
        today = timezone.localdate()
        form = {
            "origin_province": "江苏",
            "origin_city": "南京",
            "departed_on": today.isoformat(),
            "arrived_on": today.isoformat(),
            "transport": "car",
            "symptoms": ["none"],
            "temperature": "36.4",
        }
        english = self.client_for(self.gate_a)
        english.cookies["django_language"] = "en"
        done = english.post(path, form)
        self.assertContains(done, "Health monitoring")
        self.assertEqual(ReturneeRegistration.objects.get().via, "gate")
        GateEvent.objects.update(at=timezone.now() - dt.timedelta(hours=13))
        self.assertEqual(self.get(self.gate_a, path).status_code, 404)


class ReturneePagesTest(BaseTestCase):
    def english(self, user):
        client = self.client_for(user)
        client.cookies["django_language"] = "en"
        return client

    def get(self, user, path):
        return self.english(user).get(path)

    def form(self, **overrides):
        today = timezone.localdate()
        data = {
            "origin_province": "湖北",
            "origin_city": "武汉",
            "departed_on": today.isoformat(),
            "arrived_on": today.isoformat(),
            "transport": "plane",
            "transport_number": "MU5000",
        }
        data.update(overrides)
        return data

    @covers("PAGE returnees:me")
    def test_a_resident_registers_their_own_return_from_the_phone(self):
        self.assertEqual(self.get(self.worker_a, "/returnees/me/").status_code, 403)
        page = self.english(self.resident_user).post("/returnees/me/", self.form())
        self.assertContains(page, "Health monitoring")
        bad = self.english(self.resident_user).post("/returnees/me/", self.form(origin_province="上海"))
        self.assertContains(bad, "outside Shanghai")

    @covers("PAGE returnees:list", "PAGE returnees:register")
    def test_the_neighbourhood_lists_and_registers_its_own_returnees(self):
        self.assertEqual(self.get(self.worker_a, f"/returnees/register/{self.li_wei.id}/").status_code, 404)
        response = self.client_for(self.worker_b).post(
            f"/returnees/register/{self.li_wei.id}/", self.form(contact_confirmed="on")
        )
        self.assertEqual(response.status_code, 302)
        self.assertContains(self.get(self.worker_b, "/returnees/"), "李伟")
        found = self.get(self.worker_b, "/returnees/?q=李伟")
        self.assertContains(found, f"/returnees/register/{self.li_wei.id}/")
        self.assertNotContains(
            self.get(self.worker_a, "/returnees/?q=李伟"), f"/returnees/register/{self.li_wei.id}/"
        )
        self.assertNotContains(self.get(self.worker_a, "/returnees/"), "李伟")
        for user in (self.gate_a, self.resident_user):
            self.assertEqual(self.get(user, "/returnees/").status_code, 403)

    @covers("PAGE returnees:key_areas", "PAGE returnees:key_area_delete")
    def test_only_district_command_edits_key_areas_on_the_page(self):
        for user in (self.worker_a, self.street_officer):
            self.assertEqual(self.get(user, "/returnees/key-areas/").status_code, 403)
        self.client_for(self.command).post(
            "/returnees/key-areas/", {"province": "湖北", "starts_on": "2020-01-01"}
        )
        area = KeyArea.objects.get()
        self.assertContains(self.get(self.command, "/returnees/key-areas/"), "湖北")
        self.assertEqual(
            self.client_for(self.worker_a).post(f"/returnees/key-areas/{area.id}/delete/").status_code, 403
        )
        self.client_for(self.command).post(f"/returnees/key-areas/{area.id}/delete/")
        self.assertFalse(KeyArea.objects.exists())
