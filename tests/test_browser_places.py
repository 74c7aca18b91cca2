"""In a real browser (Debian's Chromium): the place tree and a resident, in Chinese and in English."""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from playwright.sync_api import expect

from conftest import need_service
from gatehouse.testing import PASSWORD, make_world

# Playwright's sync API runs an event loop in this thread; the ORM calls below are ordinary sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.mark.browser
class PlaceTreeBrowserTest(StaticLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which(CHROMIUM):
            need_service("Debian's Chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
        super().setUpClass()
        from playwright.sync_api import sync_playwright

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
        self.page = self.browser.new_page(viewport={"width": 1100, "height": 800})

    def tearDown(self):
        self.page.close()

    def sign_in(self, username):
        page = self.page
        page.goto(f"{self.live_server_url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")

    def test_district_command_walks_the_tree_to_a_resident_in_chinese_then_english(self):
        page = self.page
        self.sign_in("command")
        page.wait_for_url(f"{self.live_server_url}/places/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert "地点" in page.locator("h1").inner_text()
        page.get_by_text("外滩街道").click()
        page.get_by_text("A居民区").click()
        page.get_by_role("link", name="A1小区").click()
        assert "商品房小区" in page.content()
        expect(page.get_by_role("cell", name="南门")).to_be_visible()
        page.get_by_role("link", name="1").first.click()  # the resident count links to the list
        page.get_by_role("link", name="王芳").click()
        body = page.locator("main").inner_text()
        assert "110105********002X" in body
        assert "身份证号" in body
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "resident-zh.png"), full_page=True)

        page.select_option("#language-form select", "en")
        page.wait_for_load_state()
        body = page.locator("main").inner_text()
        assert "Identity number" in body
        assert "110105********002X" in body
        page.goto(f"{self.live_server_url}/places/")
        assert page.locator("h1").inner_text().startswith("Places")
        page.get_by_text("外滩街道").click()
        expect(page.get_by_text("A居民区")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "places-en.png"), full_page=True)

    def test_a_worker_sees_only_their_neighbourhood_in_the_browser(self):
        self.sign_in("worker-b")
        self.page.wait_for_url(f"{self.live_server_url}/places/")
        text = self.page.locator("main").inner_text()
        assert "B1里" in text
        assert "A1小区" not in text
