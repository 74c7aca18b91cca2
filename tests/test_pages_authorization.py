"""Who reaches which page. Every named page must be covered: `test_every_page_is_covered` fails when a
page is added without its scoping test (mark it with `covers("PAGE namespace:name")`)."""

from __future__ import annotations

from urllib.parse import quote

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from gatehouse.core.models import AuditEntry
from gatehouse.testing import COVERED, ID_LI_WEI, BaseTestCase, covers

UNSCOPED = {"login", "logout", "set_language"}  # public by nature


def _page_names(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in {"admin", "api"} or str(entry.pattern).startswith("api/"):
                continue
            space = f"{entry.namespace}:" if entry.namespace else prefix
            names |= _page_names(entry.url_patterns, space)
        elif entry.name:
            names.add(prefix + entry.name)
    return names


class PagesTest(BaseTestCase):
    def get(self, user, path, **extra):
        client = self.client_for(user) if user else Client()
        client.cookies["django_language"] = "en"
        return client.get(path, **extra)

    def test_pages_are_chinese_unless_english_was_chosen(self):
        client = self.client_for(self.worker_a)
        self.assertContains(client.get("/places/", HTTP_ACCEPT_LANGUAGE="en-US"), "地点")
        client.post("/i18n/setlang/", {"language": "en", "next": "/places/"})
        self.assertContains(client.get("/places/"), "Places")

    @covers("PAGE web:home")
    def test_home_sends_each_role_to_its_work(self):
        self.assertEqual(self.get(self.worker_a, "/").url, "/places/")
        self.assertEqual(self.get(self.resident_user, "/").url, "/me/")
        self.assertEqual(self.get(None, "/").status_code, 302)
        self.assertEqual(self.get(self.courier, "/").status_code, 200)

    @covers("PAGE web:places", "PAGE web:street", "PAGE web:neighbourhood")
    def test_the_place_tree_shows_only_the_callers_patch(self):
        page = self.get(self.street_officer, "/places/").content.decode()
        self.assertIn("外滩街道", page)
        self.assertNotIn("打浦桥街道", page)
        node = self.get(self.street_officer, f"/places/streets/{self.street_s1.id}/", HTTP_HX_REQUEST="true")
        self.assertContains(node, "A居民区")
        self.assertEqual(
            self.get(self.street_officer, f"/places/streets/{self.street_s2.id}/").status_code, 404
        )
        mine = self.get(self.worker_a, "/places/").content.decode()
        self.assertIn("A1小区", mine)
        self.assertNotIn("B1里", mine)
        self.assertEqual(self.get(self.worker_a, f"/places/neighbourhoods/{self.nb_b.id}/").status_code, 404)
        for user in (self.gate_a, self.resident_user, self.courier):
            self.assertEqual(self.get(user, "/places/").status_code, 403, user.username)

    @covers("PAGE web:compound", "PAGE web:gate_edit")
    def test_compound_and_gate_pages_stay_in_reach(self):
        self.assertContains(self.get(self.worker_a, f"/places/compounds/{self.compound_a1.id}/"), "南门")
        self.assertEqual(
            self.get(self.worker_a, f"/places/compounds/{self.compound_b1.id}/").status_code, 404
        )
        self.assertEqual(self.get(self.worker_a, f"/places/gates/{self.gate_a1.id}/edit/").status_code, 403)
        self.assertEqual(
            self.get(self.street_officer, f"/places/gates/{self.gate_c1.id}/edit/").status_code, 404
        )
        self.assertEqual(
            self.get(self.street_officer, f"/places/gates/{self.gate_a1.id}/edit/").status_code, 200
        )

    @covers(
        "PAGE web:resident_search", "PAGE web:resident", "PAGE web:resident_edit", "PAGE web:resident_new"
    )
    def test_resident_pages_stay_inside_the_neighbourhood(self):
        found = self.get(self.worker_a, f"/residents/?q={quote('李伟')}").content.decode()
        self.assertIn("0 found", found.split('id="results"')[1])
        self.assertNotIn(f"/residents/{self.li_wei.id}/", found)
        self.assertNotIn(
            f"/residents/{self.li_wei.id}/",
            self.get(self.worker_a, f"/residents/?q={ID_LI_WEI}").content.decode(),
        )
        self.assertContains(
            self.get(self.worker_b, f"/residents/?q={ID_LI_WEI}"), f"/residents/{self.li_wei.id}/"
        )
        self.assertEqual(self.get(self.worker_a, f"/residents/{self.li_wei.id}/").status_code, 404)
        self.assertEqual(self.get(self.worker_a, f"/residents/{self.li_wei.id}/edit/").status_code, 404)
        self.assertEqual(
            self.get(self.worker_a, f"/places/compounds/{self.compound_b1.id}/residents/new/").status_code,
            404,
        )
        self.assertEqual(self.get(self.gate_a, "/residents/").status_code, 403)
        before = AuditEntry.objects.filter(action="view").count()
        page = self.get(self.worker_b, f"/residents/{self.li_wei.id}/")
        self.assertContains(page, "310101********0030")
        self.assertNotContains(page, ID_LI_WEI)
        self.assertEqual(AuditEntry.objects.filter(action="view").count(), before + 1)

    @covers("PAGE web:resident_export")
    def test_exports_from_a_page_are_scoped(self):
        text = self.get(self.worker_a, "/residents/export/?fmt=csv").content.decode("utf-8")
        self.assertIn("王芳", text)
        self.assertNotIn("李伟", text)
        self.assertEqual(
            self.get(self.worker_a, f"/residents/export/?compound={self.compound_b1.id}").status_code, 404
        )
        self.assertEqual(self.get(self.gate_a, "/residents/export/").status_code, 403)

    @covers("PAGE web:regimes", "PAGE web:regime_edit", "PAGE web:policy", "PAGE web:audit")
    def test_district_pages_are_district_commands_only(self):
        for path in ("/regimes/", "/regimes/old_lane/", "/policy/", "/audit/"):
            self.assertEqual(self.get(self.command, path).status_code, 200, path)
            for user in (self.street_officer, self.worker_a, self.resident_user):
                self.assertEqual(self.get(user, path).status_code, 403, (path, user.username))

    @covers("PAGE web:me")
    def test_a_resident_sees_their_own_record_and_who_looked(self):
        self.get(self.worker_a, f"/residents/{self.wang_fang.id}/")
        page = self.get(self.resident_user, "/me/")
        self.assertContains(page, "王芳")
        self.assertContains(page, "李娜")
        self.assertEqual(self.get(self.worker_a, "/me/").status_code, 403)

    def test_every_page_is_covered(self):
        pages = _page_names(get_resolver().url_patterns) - UNSCOPED
        named = {c.removeprefix("PAGE ") for c in COVERED if c.startswith("PAGE ")}
        self.assertEqual(pages - named, set(), "pages without an authorization test")
