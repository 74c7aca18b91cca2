"""A volunteer checks in on a phone-sized screen: open the gate poster's link, give a temperature,
start the shift, see it on "My shifts", check out. Drives Debian's Chromium through Playwright."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import Client
from django.utils import timezone

from gatehouse.testing import SETUP, make_world
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import qr, services
from gatehouse.volunteers.models import Assignment, GateStaffing, Slot

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.browser
class PhoneCheckInTest(StaticLiveServerTestCase):
    # Filled by make_world(); see gatehouse.testing for who is who.
    command: Any
    nb_a: Any
    street_s1: Any
    gate_a1: Any

    def setUp(self) -> None:
        if not shutil.which(CHROMIUM):
            from conftest import need_service

            need_service("Chromium at /usr/bin/chromium is needed for browser tests")
        # Playwright's sync API runs an event loop in this thread; the ORM calls here stay synchronous.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        make_world(self)
        GateStaffing.objects.create(gate=self.gate_a1, staff_day=1, staff_night=1)
        scope = self.command.scope
        self.volunteer = services.volunteer_register(
            scope=scope,
            actor=SETUP,
            neighbourhood=self.nb_a,
            name="陈晓红",
            max_hours_week=40,
            trained_on=dt.date(2020, 2, 1),
        )
        self.user = services.volunteer_account_create(
            scope=scope,
            actor=SETUP,
            volunteer=self.volunteer,
            username="vol",
            password="x",
            check_password=False,
        )
        now = timezone.now()
        roster = services.roster_for(street=self.street_s1, week=P.week_of(now))
        services.roster_build(roster, now)
        period = P.period_at(roster.week_start, now)
        assert period is not None
        self.slot = Slot.objects.get(roster=roster, gate=self.gate_a1, period=period)
        Assignment.objects.create(slot=self.slot, volunteer=self.volunteer, source="manual", locked=True)

    def test_a_volunteer_checks_in_on_a_phone(self) -> None:
        from playwright.sync_api import sync_playwright

        client = Client()
        client.force_login(self.user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        url = self.live_server_url + f"/volunteers/g/{qr.gate_code(self.gate_a1.id)}/"
        SHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, locale="zh-CN"
            )
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.live_server_url}]
            )
            page = context.new_page()
            page.goto(url)
            assert "南门" in page.inner_text("h1")
            page.fill("input[name=temperature]", "45")
            page.click("#check-in")
            assert page.locator(".errorlist").count() >= 1  # not a body temperature
            page.fill("input[name=temperature]", "36.6")
            page.screenshot(path=str(SHOTS / "volunteer-check-in.png"), full_page=True)
            page.click("#check-in")
            page.wait_for_url("**/volunteers/me/")
            page.screenshot(path=str(SHOTS / "volunteer-on-duty.png"), full_page=True)
            assert page.locator("#check-out").is_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
            page.click("#check-out")
            page.wait_for_url("**/volunteers/me/")
            browser.close()
        assignment = Assignment.objects.get(slot=self.slot, volunteer=self.volunteer)
        assert assignment.checked_in_at is not None
        assert assignment.checked_out_at is not None
        assert str(assignment.temperature) == "36.6"
