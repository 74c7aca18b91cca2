"""The gate screen in Debian's Chromium: it keeps taking checks with no network, shows how many wait,
survives a reload while offline, and syncs each check exactly once when the network returns."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import Client

from gatehouse.accounts.models import User
from gatehouse.gate.models import GateEvent
from gatehouse.gate.selectors import gate_context_cache_clear
from gatehouse.passes.services import pass_for, pass_token_for
from gatehouse.people.models import Resident
from gatehouse.places.models import Gate
from gatehouse.testing import make_world

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("GATEHOUSE_SCREENSHOTS", Path(tempfile.gettempdir()) / "gatehouse-shots"))


def _restore_async_unsafe(previous: str | None) -> None:
    # Another module may have set it for its whole run: put back what was there.
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.mark.browser
class OfflineGateScreenTest(StaticLiveServerTestCase):
    wang_fang: Resident
    gate_a: User
    gate_a1: Gate

    def setUp(self) -> None:
        if not Path(CHROMIUM).exists():
            from conftest import need_service

            need_service("Chromium at /usr/bin/chromium")
        # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain
        # synchronous test set-up and checks.
        self._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        gate_context_cache_clear()
        make_world(self)
        pass_for(self.wang_fang)
        from playwright.sync_api import sync_playwright

        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        self.context = self.browser.new_context(locale="en-US", viewport={"width": 412, "height": 915})
        client = Client()
        client.force_login(self.gate_a)
        self.context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": self.live_server_url,
                },
                {"name": "django_language", "value": "en", "url": self.live_server_url},
            ]
        )
        self.page = self.context.new_page()

    def tearDown(self) -> None:
        self.context.close()
        self.browser.close()
        self.pw.stop()
        _restore_async_unsafe(self._async_unsafe)

    def submit(self, subject: str, value: str = "", temperature: str = "36.5", direction: str = "in") -> str:
        page = self.page
        page.check(f"input[name=subject][value={subject}]")
        if value:
            page.fill("#value", value)
        page.check(f"input[name=direction][value={direction}]")
        page.fill("#temperature", temperature)
        before = int(page.get_attribute("#gate-screen", "data-checks") or "0")
        page.click("#check-btn")
        page.wait_for_function(
            f"Number(document.getElementById('gate-screen').dataset.checks || 0) > {before}", timeout=30_000
        )
        return page.inner_text("#decision")

    def test_checks_taken_offline_reach_the_server_exactly_once(self):
        page = self.page
        page.goto(f"{self.live_server_url}/gate/{self.gate_a1.id}/")
        page.wait_for_selector("#gate-screen[data-ready='1']")
        page.wait_for_selector("#gate-screen[data-cached='1']", state="attached")
        # Online first: the server decides and stores.
        self.assertEqual(self.submit("token", pass_token_for(self.wang_fang)), "Let through")
        self.assertEqual(GateEvent.objects.filter(provisional=False).count(), 1)

        self.context.set_offline(True)
        token = pass_token_for(self.wang_fang)
        self.assertEqual(self.submit("token", token), "Let through")
        self.assertEqual(self.submit("token", token), "Refuse")  # the same code again, caught offline
        self.assertIn("already used", page.inner_text("#reasons"))
        self.assertEqual(self.submit("courier"), "Refuse")
        self.assertEqual(self.submit("visitor", temperature="38.6"), "Fever: escalate now")
        self.assertEqual(self.submit("token", "<b>not a pass</b>"), "Refuse")
        # A resident's car, typed as the driver says it: the bundle knows the compound's plates.
        self.assertEqual(self.submit("plate", "沪a 12345", temperature=""), "Let through")
        self.assertEqual(page.inner_text("#who"), "沪A12345")
        self.assertTrue(page.is_visible("#provisional"))
        self.assertEqual(page.inner_text("#queue"), "6 waiting to sync")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "gate-offline.png"), full_page=True)
        self.assertEqual(GateEvent.objects.count(), 1)  # nothing reached the server

        # A reload with no network: the service worker serves the page, IndexedDB kept the queue.
        page.reload()
        page.wait_for_selector("#gate-screen")
        page.wait_for_function("document.getElementById('gate-screen').dataset.waiting === '6'")
        queued = page.evaluate("window.gatehouseGate.queued()")
        self.assertEqual(len({q["client_id"] for q in queued}), 6)

        self.context.set_offline(False)
        page.evaluate("window.gatehouseGate.sync()")
        page.wait_for_function(
            "document.getElementById('gate-screen').dataset.waiting === '0'", timeout=30_000
        )
        self.assertEqual(GateEvent.objects.count(), 7)
        stored = set(GateEvent.objects.filter(provisional=True).values_list("client_id", flat=True))
        self.assertEqual(stored, {q["client_id"] for q in queued})
        decisions = dict(GateEvent.objects.filter(provisional=True).values_list("client_id", "decision"))
        self.assertEqual(
            sorted(decisions.values()), ["escalate", "let_in", "let_in", "refuse", "refuse", "refuse"]
        )
        # The server decided each check again and agreed with the screen: nothing was overturned.
        self.assertFalse(GateEvent.objects.filter(overturned=True).exists())

        # A response lost on the way back: the phone sends one again. Nothing new is stored.
        page.evaluate("(item) => window.gatehouseGate.enqueue(item)", queued[0])
        page.evaluate("window.gatehouseGate.sync()")
        page.wait_for_function(
            "document.getElementById('gate-screen').dataset.waiting === '0'", timeout=30_000
        )
        self.assertEqual(GateEvent.objects.count(), 7)
        page.screenshot(path=str(SHOTS / "gate-synced.png"), full_page=True)


def _qr_video(text: str, path: Path, width: int = 640, height: int = 480) -> None:
    """A Y4M clip showing one QR code, for Chromium's fake camera: the phone screen held to the lens."""
    import segno

    matrix = [list(row) for row in segno.make(text, error="m").matrix]
    modules = len(matrix) + 8  # the quiet zone
    scale = min(width, height) * 9 // 10 // modules
    size = modules * scale
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray([255]) * (width * height)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if not dark:
                continue
            for y in range(top + (r + 4) * scale, top + (r + 5) * scale):
                start = y * width + left + (c + 4) * scale
                luma[start : start + scale] = bytes(scale)
    chroma = bytes([128]) * (width * height // 4)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(3):
            f.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


@pytest.mark.browser
class CameraScanTest(StaticLiveServerTestCase):
    """The demo: a resident's phone pass held to the gate phone's camera, a fever, and the
    neighbourhood worker's alert page showing it."""

    wang_fang: Resident
    gate_a: User
    worker_a: User
    gate_a1: Gate

    def setUp(self) -> None:
        if not Path(CHROMIUM).exists():
            from conftest import need_service

            need_service("Chromium at /usr/bin/chromium")
        self._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        gate_context_cache_clear()
        make_world(self)

    def tearDown(self) -> None:
        _restore_async_unsafe(self._async_unsafe)

    def test_a_scanned_phone_pass_with_a_fever_reaches_the_worker(self):
        from playwright.sync_api import sync_playwright

        video = Path(tempfile.mkdtemp()) / "pass.y4m"
        _qr_video(pass_token_for(self.wang_fang), video)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
            )
            try:
                context = browser.new_context(locale="zh-CN", viewport={"width": 412, "height": 915})
                context.grant_permissions(["camera"], origin=self.live_server_url)
                client = Client()
                client.force_login(self.gate_a)
                context.add_cookies(
                    [
                        {
                            "name": "sessionid",
                            "value": client.cookies["sessionid"].value,
                            "url": self.live_server_url,
                        }
                    ]
                )
                page = context.new_page()
                page.goto(f"{self.live_server_url}/gate/{self.gate_a1.id}/")
                page.wait_for_selector("#gate-screen[data-ready='1']")
                page.fill("#temperature", "38.5")
                page.click("#camera-btn")
                # Decoding the fake camera's frames is slow when the suite's other worker holds the
                # CPU (it once took over 20 s in CI); the pass's code stays valid for 45 s.
                page.wait_for_function(
                    "document.getElementById('gate-screen').dataset.checks === '1'", timeout=40_000
                )
                self.assertEqual(page.inner_text("#decision"), "发热：立即上报")
                self.assertIn("王*", page.inner_text("#who"))
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "gate-camera-fever.png"), full_page=True)
                worker = Client()
                worker.force_login(self.worker_a)
                context.add_cookies(
                    [
                        {
                            "name": "sessionid",
                            "value": worker.cookies["sessionid"].value,
                            "url": self.live_server_url,
                        }
                    ]
                )
                alerts = context.new_page()
                alerts.goto(f"{self.live_server_url}/alerts/")
                self.assertIn("38.5", alerts.inner_text("#alert-board"))
                alerts.screenshot(path=str(SHOTS / "worker-alert.png"), full_page=True)
            finally:
                browser.close()
        event = GateEvent.objects.get()
        self.assertEqual(
            (event.subject_resident, event.decision, str(event.temperature_c)),
            (self.wang_fang, "escalate", "38.5"),
        )
