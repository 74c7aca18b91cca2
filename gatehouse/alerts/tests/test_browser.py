"""The live alert board in a real browser (Debian's Chromium through Playwright): a new alert shows
up without a reload, and resolving it with a note takes it off the board."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase

from conftest import need_service
from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise
from gatehouse.testing import PASSWORD, make_world

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
class AlertBoardBrowserTest(StaticLiveServerTestCase):
    _async_unsafe: str | None
    playwright: Any
    browser: Any
    context: Any
    page: Any
    nb_a: Any
    compound_a1: Any
    wang_fang: Any

    @classmethod
    def setUpClass(cls) -> None:
        if not shutil.which(CHROMIUM):
            need_service("Chromium at /usr/bin/chromium (apt-get install chromium)")
        # Playwright's sync API keeps an event loop on this thread; the ORM calls here are plain
        # synchronous test set-up, not code running inside that loop.
        cls._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        if cls._async_unsafe is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    def setUp(self) -> None:
        make_world(self)
        self.context = self.browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
        self.page = self.context.new_page()

    def tearDown(self) -> None:
        self.context.close()

    def sign_in(self, username: str) -> None:
        self.page.goto(f"{self.live_server_url}/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def test_a_new_alert_appears_live_and_is_resolved_with_a_note(self):
        self.sign_in("worker-a")
        self.page.goto(f"{self.live_server_url}/alerts/")
        self.page.wait_for_selector("#alert-board")
        self.page.evaluate("window.__sameDocument = true")
        alert, _ = alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.HIGH,
            neighbourhood=self.nb_a,
            compound=self.compound_a1,
            subject=self.wang_fang,
            title="卡点测温 38.6℃",
            dedupe_key="browser-1",
            evidence={"temp_c": "38.6"},
        )
        card = self.page.locator(f"#alert-{alert.id}")
        card.wait_for(timeout=20_000)
        self.assertTrue(self.page.evaluate("window.__sameDocument === true"), "the page was reloaded")
        if os.environ.get("GATEHOUSE_SCREENSHOT_DIR"):
            self.page.screenshot(path=os.path.join(os.environ["GATEHOUSE_SCREENSHOT_DIR"], "alert-board.png"))

        card.locator("input[name=note]").fill("复测36.9℃，已回家并告知社区医生")
        card.locator("form.resolve button").click()
        card.wait_for(state="detached", timeout=20_000)
        alert.refresh_from_db()
        self.assertEqual(
            (alert.status, alert.resolution_note), ("resolved", "复测36.9℃，已回家并告知社区医生")
        )
        self.assertEqual(alert.resolved_by, "李娜")
        self.assertTrue(self.page.evaluate("window.__sameDocument === true"))
