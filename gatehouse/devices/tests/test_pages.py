"""Wristband pages. worker_a (李娜) sees and manages only neighbourhood A's wristbands; worker_b's
are out of reach (404); gate staff and residents have no wristband pages (403)."""

from __future__ import annotations

from gatehouse.devices.models import Binding, Wristband
from gatehouse.devices.tests.helpers import bound_wristband
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_open
from gatehouse.testing import SETUP, BaseTestCase, covers


class WristbandPagesTest(BaseTestCase):
    def setUp(self):
        self.band_a, self.binding_a, self.case_a = bound_wristband(self)
        self.band_b, _, _ = bound_wristband(self, self.li_wei)

    @covers("PAGE devices:list")
    def test_the_list_shows_only_the_workers_neighbourhood_and_registers_there(self):
        page = self.client_for(self.worker_a).get("/wristbands/")
        self.assertContains(page, self.band_a.serial)
        self.assertNotContains(page, self.band_b.serial)
        self.assertContains(page, "王*")
        made = self.client_for(self.worker_a).post("/wristbands/", {"serial": "HB-7777", "model": "HB-2"})
        self.assertEqual(made.status_code, 302)
        self.assertEqual(Wristband.objects.get(serial="HB-7777").neighbourhood, self.nb_a)
        self.assertEqual(self.client_for(self.gate_a).get("/wristbands/").status_code, 403)
        self.assertEqual(self.client_for(self.resident_user).get("/wristbands/").status_code, 403)
        # A street officer sees the street's wristbands but registers none (no neighbourhood of theirs).
        street = self.client_for(self.street_officer)
        self.assertContains(street.get("/wristbands/"), self.band_b.serial)
        self.assertEqual(street.post("/wristbands/", {"serial": "HB-8888", "model": "X"}).status_code, 403)

    @covers("PAGE devices:detail")
    def test_the_detail_page_is_scoped(self):
        self.assertContains(
            self.client_for(self.worker_a).get(f"/wristbands/{self.band_a.id}/"), self.band_a.serial
        )
        self.assertEqual(
            self.client_for(self.worker_a).get(f"/wristbands/{self.band_b.id}/").status_code, 404
        )
        self.assertEqual(self.client_for(self.gate_a).get(f"/wristbands/{self.band_a.id}/").status_code, 404)

    @covers("PAGE devices:action")
    def test_actions_reach_only_the_workers_wristbands(self):
        worker_a = self.client_for(self.worker_a)
        self.assertEqual(worker_a.post(f"/wristbands/{self.band_b.id}/unbind/").status_code, 404)
        self.assertEqual(
            self.client_for(self.street_officer).post(f"/wristbands/{self.band_a.id}/unbind/").status_code,
            403,
        )
        self.assertEqual(worker_a.post(f"/wristbands/{self.band_a.id}/explode/").status_code, 404)
        shown = worker_a.post(f"/wristbands/{self.band_a.id}/credentials/")
        self.assertContains(shown, f"{self.band_a.serial}.")
        self.assertEqual(worker_a.post(f"/wristbands/{self.band_a.id}/unbind/").status_code, 302)
        self.binding_a.refresh_from_db()
        self.assertEqual(self.binding_a.status, Binding.Status.ENDED)
        case = case_open(
            actor=SETUP, resident=self.employee, kind=ObservationCase.Kind.HOME_OBSERVATION, reason="返沪"
        )
        bad = worker_a.post(
            f"/wristbands/{self.band_a.id}/bind/",
            {"case": str(case.id), "home_lat": "95", "home_lon": "121.47", "radius_m": "50"},
        )
        self.assertEqual(bad.status_code, 400)
        ok = worker_a.post(
            f"/wristbands/{self.band_a.id}/bind/",
            {"case": str(case.id), "home_lat": "31.23", "home_lon": "121.47", "radius_m": "50"},
        )
        self.assertEqual(ok.status_code, 302)
        self.assertTrue(Binding.objects.filter(case=case, status=Binding.Status.ACTIVE).exists())
