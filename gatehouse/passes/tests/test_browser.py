"""A resident on their phone, in Debian's Chromium: sign in with the texted code, see the colour and the
QR code, watch the code rotate, and see it marked out of date when the network drops.

The refresh interval is shortened by a setting (PASS_REFRESH_SECONDS=1), so nothing waits 30 s.
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import override_settings

from conftest import need_service
from gatehouse.accounts import sms
from gatehouse.people.models import HealthColourChange
from gatehouse.people.services import resident_health_colour_set
from gatehouse.testing import SETUP, make_world

# Playwright's sync API runs an event loop in this thread; the ORM calls below are ordinary sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@override_settings(SMS_GATEWAY="memory", PASS_REFRESH_SECONDS=1)
class PhonePassBrowserTest(StaticLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        if not Path(CHROMIUM).exists():
            need_service(f"Chromium not found at {CHROMIUM}")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            need_service("playwright is not installed")
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self):
        make_world(self)
        sms.outbox.clear()
        resident_health_colour_set(
            actor=SETUP,
            resident=self.li_wei,
            colour="yellow",
            reason=HealthColourChange.Reason.MONITORING_STARTED,
            note="自湖北返沪",
        )
        self.context = self.browser.new_context(
            viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=1, is_mobile=True
        )
        self.page = self.context.new_page()
        self.console = []
        self.page.on("console", lambda m: self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.console.append(str(e)))
        self.page.set_default_timeout(15_000)

    def tearDown(self):
        self.context.close()

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"pass-{name}.png"), full_page=True)

    def qr_path(self):
        return self.page.locator("#pass .qr svg path.qr-line").get_attribute("d")

    def test_a_resident_signs_in_by_phone_and_the_pass_rotates_and_says_when_offline(self):
        page = self.page
        page.goto(self.live_server_url + "/passes/me/")
        self.assertIn("/signin/", page.url)
        page.fill("input[name=phone]", "13900001111")
        self.shot("signin")
        page.click("button[type=submit]")
        page.wait_for_url("**/signin/code/")
        code = re.search(r"\d{6}", sms.outbox[-1].text).group(0)
        page.fill("input[name=code]", code)
        page.click("button[type=submit]")
        page.wait_for_url("**/passes/me/")

        colour = page.locator("#pass .colour-big")
        self.assertIn("yellow", colour.get_attribute("class"))
        self.assertIn("黄码", colour.inner_text())
        self.assertIn("健康监测", colour.inner_text())
        self.assertIn("自湖北返沪", page.locator("#pass .why").inner_text())
        self.assertIn("李*", page.locator("#pass .holder").inner_text())
        first = self.qr_path()
        self.assertTrue(first)
        self.shot("pass")

        # The code rotates without reloading the page.
        page.evaluate("window.__sameDocument = true")
        page.wait_for_function(
            "(before) => { const p = document.querySelector('#pass .qr svg path.qr-line');"
            " return p && p.getAttribute('d') !== before; }",
            arg=first,
        )
        self.assertTrue(page.evaluate("window.__sameDocument === true"))
        self.assertIn("fresh", page.locator("#pass-status").get_attribute("class"))

        # The network drops: the page says so and veils the code instead of passing it off as fresh.
        self.context.set_offline(True)
        page.wait_for_function("document.getElementById('pass-status').classList.contains('offline')")
        self.assertIn("网络已断开", page.locator("#pass-status").inner_text())
        self.assertIn("stale", page.locator("#pass").get_attribute("class"))
        self.shot("pass-offline")
        # Back online: a fresh code again.
        self.context.set_offline(False)
        page.wait_for_function("document.getElementById('pass-status').classList.contains('fresh')")
        self.assertNotIn("stale", page.locator("#pass").get_attribute("class"))
