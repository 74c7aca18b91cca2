"""Who reaches what of the volunteers app, over the API and the pages.

Personas from gatehouse.testing, plus volunteers of this app's world: vol-0 (志愿者0, neighbourhood A
on street S1) signs in on a phone and must see only their own shifts; vol-c (他街, street S2) the same.
The street officer of S1 (周强) must not see or change S2's roster; a neighbourhood worker sees only
their neighbourhood's volunteers and coverage.
"""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from gatehouse.accounts.models import User
from gatehouse.testing import SETUP, covers
from gatehouse.volunteers import qr, services
from gatehouse.volunteers.models import Assignment, Roster, Slot
from gatehouse.volunteers.tests.helpers import BEFORE_WEEK, WEEK, VolunteerWorld


class AuthWorld(VolunteerWorld):
    vol_c_user: User
    roster_s1: Roster
    roster_s2: Roster
    assignment_s1: Assignment
    assignment_s2: Assignment

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.vol_c_user = services.volunteer_account_create(
            scope=cls.command.scope,
            actor=SETUP,
            volunteer=cls.other_street,
            username="vol-c",
            password="correct-horse-battery",
            check_password=False,
        )
        for street in (cls.street_s1, cls.street_s2):
            roster = services.roster_for(street=street, week=WEEK)
            services.roster_solve_run(roster=roster, now=BEFORE_WEEK, time_limit_s=5)
        cls.roster_s1 = services.roster_for(street=cls.street_s1, week=WEEK)
        cls.roster_s2 = services.roster_for(street=cls.street_s2, week=WEEK)
        cls.assignment_s1 = Assignment.objects.filter(slot__roster=cls.roster_s1).earliest("slot__period")
        cls.assignment_s2 = Assignment.objects.filter(slot__roster=cls.roster_s2).earliest("slot__period")

    def call(self, user: Any, method: str, path: str, body: Any = None) -> Any:
        client = self.client_for(user) if user else Client()
        kwargs: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(path, **kwargs)

    def page(self, user: Any, path: str, method: str = "get", data: Any = None) -> Any:
        client = self.client_for(user) if user else Client()
        return getattr(client, method)(path, data or {}, HTTP_ACCEPT_LANGUAGE="en")


class VolunteerApiTest(AuthWorld):
    @covers("GET /api/volunteers", "GET /api/volunteers/{volunteer_id}")
    def test_each_role_lists_only_its_own_volunteers(self):
        def names(user):
            return {v["name"] for v in self.call(user, "GET", "/api/volunteers").json()["items"]}

        self.assertIn("远方", names(self.street_officer))
        self.assertNotIn("他街", names(self.street_officer))
        self.assertEqual(names(self.worker_a), {v.name for v in self.team})
        for user in (self.gate_a, self.resident_user, self.vol_user, self.courier):
            self.assertEqual(names(user), set(), user.username)
        self.assertEqual(
            self.call(self.street_officer, "GET", f"/api/volunteers/{self.other_street.id}").status_code, 404
        )
        self.assertEqual(self.call(self.worker_a, "GET", f"/api/volunteers/{self.far.id}").status_code, 404)
        self.assertEqual(
            self.call(self.command, "GET", f"/api/volunteers/{self.other_street.id}").status_code, 200
        )

    @covers("POST /api/volunteers", "PATCH /api/volunteers/{volunteer_id}")
    def test_registering_and_changing_stay_in_reach(self):
        body = {"neighbourhood_id": str(self.nb_c.id), "name": "新人", "max_hours_week": 12}
        self.assertEqual(self.call(self.street_officer, "POST", "/api/volunteers", body).status_code, 404)
        self.assertEqual(self.call(self.vol_user, "POST", "/api/volunteers", body).status_code, 404)
        body["neighbourhood_id"] = str(self.nb_a.id)
        created = self.call(self.worker_a, "POST", "/api/volunteers", body)
        self.assertEqual(created.status_code, 201, created.content)
        bad = self.call(self.worker_a, "POST", "/api/volunteers", {**body, "max_hours_week": 100})
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["errors"][0]["field"], "max_hours_week")
        path = f"/api/volunteers/{self.far.id}"
        self.assertEqual(self.call(self.worker_a, "PATCH", path, {"max_hours_week": 8}).status_code, 404)
        ok = self.call(self.worker_b, "PATCH", path, {"max_hours_week": 8})
        self.assertEqual((ok.status_code, ok.json()["max_hours_week"]), (200, 8))

    @covers(
        "POST /api/volunteers/{volunteer_id}/remove",
        "POST /api/volunteers/{volunteer_id}/availability",
        "POST /api/volunteers/{volunteer_id}/dates-off",
    )
    def test_availability_days_off_and_removal_only_for_their_officers(self):
        mine, theirs = self.team[3], self.other_street
        window = {"weekday": 0, "starts_at": "23:00", "ends_at": "05:00"}
        self.assertEqual(
            self.call(
                self.street_officer, "POST", f"/api/volunteers/{theirs.id}/availability", window
            ).status_code,
            404,
        )
        overlap = self.call(
            self.worker_a, "POST", f"/api/volunteers/{mine.id}/availability", {**window, "starts_at": "20:00"}
        )
        self.assertEqual(overlap.status_code, 422)
        self.assertIn("overlaps", overlap.json()["errors"][0]["message"])
        self.assertEqual(
            self.call(self.worker_a, "POST", f"/api/volunteers/{mine.id}/availability", window).status_code,
            201,
        )
        day = {"date": "2099-03-04"}
        self.assertEqual(
            self.call(self.worker_b, "POST", f"/api/volunteers/{mine.id}/dates-off", day).status_code, 404
        )
        self.assertEqual(
            self.call(self.worker_a, "POST", f"/api/volunteers/{mine.id}/dates-off", day).status_code, 201
        )
        self.assertEqual(
            self.call(self.vol_user, "POST", f"/api/volunteers/{mine.id}/remove").status_code, 404
        )
        self.assertEqual(
            self.call(self.street_officer, "POST", f"/api/volunteers/{theirs.id}/remove").status_code, 404
        )
        removed = self.call(self.street_officer, "POST", f"/api/volunteers/{mine.id}/remove")
        self.assertEqual((removed.status_code, removed.json()["status"]), (200, "removed"))


class RosterApiTest(AuthWorld):
    @covers(
        "GET /api/volunteers/rosters/{street_id}/{week}",
        "POST /api/volunteers/rosters/{street_id}/{week}/solve",
    )
    def test_a_street_officer_cannot_see_or_solve_another_streets_roster(self):
        mine = f"/api/volunteers/rosters/{self.street_s1.id}/{WEEK.isoformat()}"
        theirs = f"/api/volunteers/rosters/{self.street_s2.id}/{WEEK.isoformat()}"
        self.assertEqual(self.call(self.street_officer, "GET", theirs).status_code, 404)
        self.assertEqual(self.call(self.street_officer, "POST", f"{theirs}/solve").status_code, 404)
        self.assertEqual(self.call(self.worker_a, "GET", mine).status_code, 404)  # the street's, not theirs
        self.assertEqual(self.call(self.vol_user, "GET", mine).status_code, 404)
        ok = self.call(self.street_officer, "GET", mine)
        self.assertEqual((ok.status_code, ok.json()["solve_status"]), (200, "done"))
        self.assertEqual(
            self.call(
                self.org, "POST", "/api/volunteers/rosters/" + f"{self.street_s1.id}/2099-01-05/solve"
            ).status_code,
            403,
        )
        future = f"/api/volunteers/rosters/{self.street_s1.id}/2099-01-05"
        self.assertEqual(self.call(self.street_officer, "POST", f"{future}/solve").status_code, 202)
        again = self.call(self.street_officer, "POST", f"{future}/solve")
        self.assertEqual(again.status_code, 422)

    @covers(
        "POST /api/volunteers/assignments/{assignment_id}/lock",
        "POST /api/volunteers/assignments/{assignment_id}/release",
    )
    def test_only_the_streets_planners_lock_and_release(self):
        theirs = f"/api/volunteers/assignments/{self.assignment_s2.id}"
        mine = f"/api/volunteers/assignments/{self.assignment_s1.id}"
        self.assertEqual(
            self.call(self.street_officer, "POST", f"{theirs}/lock", {"locked": True}).status_code, 404
        )
        self.assertEqual(self.call(self.street_officer, "POST", f"{theirs}/release").status_code, 404)
        self.assertEqual(self.call(self.worker_a, "POST", f"{mine}/lock", {"locked": True}).status_code, 403)
        self.assertEqual(self.call(self.vol_user, "POST", f"{mine}/release").status_code, 404)
        locked = self.call(self.street_officer, "POST", f"{mine}/lock", {"locked": True})
        self.assertEqual((locked.status_code, locked.json()["locked"]), (200, True))
        released = self.call(self.street_officer, "POST", f"{mine}/release")
        self.assertEqual((released.status_code, released.json()["status"]), (200, "released"))

    @covers("PUT /api/volunteers/gates/{gate_id}/staffing")
    def test_only_the_streets_planners_set_gate_demand(self):
        body = {"staff_day": 3, "staff_night": 1}
        self.assertEqual(
            self.call(
                self.street_officer, "PUT", f"/api/volunteers/gates/{self.gate_c1.id}/staffing", body
            ).status_code,
            404,
        )
        self.assertEqual(
            self.call(
                self.worker_a, "PUT", f"/api/volunteers/gates/{self.gate_a1.id}/staffing", body
            ).status_code,
            404,
        )
        ok = self.call(self.street_officer, "PUT", f"/api/volunteers/gates/{self.gate_a1.id}/staffing", body)
        self.assertEqual((ok.status_code, ok.json()["staff_day"]), (200, 3))
        back = self.call(self.street_officer, "PUT", f"/api/volunteers/gates/{self.gate_a1.id}/staffing", {})
        self.assertEqual(
            back.json(),
            {"gate_id": str(self.gate_a1.id), "staff_day": 2, "staff_night": 1, "from_regime": True},
        )
        bad = self.call(
            self.street_officer, "PUT", f"/api/volunteers/gates/{self.gate_a1.id}/staffing", {"staff_day": 99}
        )
        self.assertEqual(bad.status_code, 422)


class PhoneApiTest(AuthWorld):
    @covers("GET /api/volunteers/me/shifts")
    def test_a_volunteer_sees_only_their_own_shifts(self):
        mine = self.call(self.vol_user, "GET", "/api/volunteers/me/shifts")
        self.assertEqual(mine.status_code, 200)
        own = set(
            Assignment.objects.filter(volunteer=self.team[0], status="planned").values_list("id", flat=True)
        )
        self.assertTrue({s["assignment_id"] for s in mine.json()} <= {str(i) for i in own})
        other = {
            s["assignment_id"] for s in self.call(self.vol_c_user, "GET", "/api/volunteers/me/shifts").json()
        }
        self.assertFalse(other & {str(i) for i in own})
        for user in (self.street_officer, self.worker_a, self.resident_user):
            self.assertEqual(
                self.call(user, "GET", "/api/volunteers/me/shifts").status_code, 404, user.username
            )
        self.assertEqual(self.call(None, "GET", "/api/volunteers/me/shifts").status_code, 401)

    @covers(
        "POST /api/volunteers/me/check-in",
        "POST /api/volunteers/me/check-out",
        "POST /api/volunteers/me/scan",
    )
    def test_check_in_needs_a_real_poster_and_ones_own_shift(self):
        body = {"code": qr.gate_code(self.gate_a1.id), "temperature": "36.5"}
        self.assertEqual(
            self.call(self.worker_a, "POST", "/api/volunteers/me/check-in", body).status_code, 404
        )
        forged = self.call(self.vol_user, "POST", "/api/volunteers/me/check-in", {**body, "code": "abc:def"})
        self.assertEqual((forged.status_code, forged.json()["errors"][0]["field"]), (422, "code"))
        # No shift at this moment (the test week is in the past for the real clock): a clear message.
        late = self.call(self.vol_user, "POST", "/api/volunteers/me/check-in", body)
        self.assertEqual(late.status_code, 422)
        self.assertEqual(self.call(self.vol_user, "POST", "/api/volunteers/me/check-out").status_code, 422)
        scan = self.call(self.vol_user, "POST", "/api/volunteers/me/scan", {"code": "nope"})
        self.assertEqual(scan.status_code, 422)
        self.assertEqual(
            self.call(self.street_officer, "POST", "/api/volunteers/me/scan", {"code": "nope"}).status_code,
            404,
        )


class PagesTest(AuthWorld):
    @covers("PAGE volunteers:index", "PAGE volunteers:new", "PAGE volunteers:detail", "PAGE volunteers:edit")
    def test_volunteer_pages_stay_in_reach(self):
        listing = self.page(self.worker_a, "/volunteers/").content.decode()
        self.assertIn("志愿者1", listing)
        self.assertNotIn("远方", listing)
        self.assertEqual(self.page(self.vol_user, "/volunteers/").status_code, 302)
        self.assertEqual(self.page(self.gate_a, "/volunteers/").status_code, 403)
        self.assertEqual(self.page(self.worker_a, "/volunteers/new/").status_code, 200)
        self.assertEqual(self.page(self.resident_user, "/volunteers/new/").status_code, 403)
        self.assertEqual(self.page(self.worker_a, f"/volunteers/people/{self.far.id}/").status_code, 404)
        self.assertEqual(
            self.page(self.street_officer, f"/volunteers/people/{self.other_street.id}/").status_code, 404
        )
        self.assertContains(self.page(self.worker_b, f"/volunteers/people/{self.far.id}/"), "远方")
        self.assertEqual(self.page(self.worker_a, f"/volunteers/people/{self.far.id}/edit/").status_code, 404)
        self.assertEqual(self.page(self.worker_b, f"/volunteers/people/{self.far.id}/edit/").status_code, 200)

    @covers("PAGE volunteers:volunteer_action")
    def test_volunteer_actions_stay_in_reach(self):
        path = f"/volunteers/people/{self.far.id}/remove/"
        self.assertEqual(self.page(self.worker_a, path, "post").status_code, 404)
        self.assertEqual(self.page(self.vol_user, path, "post").status_code, 403)
        self.assertEqual(self.page(self.worker_b, path, "post").status_code, 302)
        self.far.refresh_from_db()
        self.assertEqual(self.far.status, "removed")

    @covers(
        "PAGE volunteers:street_roster",
        "PAGE volunteers:roster_status",
        "PAGE volunteers:roster_solve",
        "PAGE volunteers:roster_repair",
    )
    def test_a_street_officer_cannot_see_or_change_another_streets_roster(self):
        week = f"?week={WEEK.isoformat()}"
        page = self.page(self.street_officer, f"/volunteers/streets/{self.street_s1.id}/roster/{week}")
        self.assertContains(page, "南门")
        self.assertContains(page, "coverage-chart")
        for path in ("roster/", "roster/status/"):
            self.assertEqual(
                self.page(
                    self.street_officer, f"/volunteers/streets/{self.street_s2.id}/{path}{week}"
                ).status_code,
                404,
            )
        for path in ("roster/solve/", "roster/repair/"):
            self.assertEqual(
                self.page(
                    self.street_officer,
                    f"/volunteers/streets/{self.street_s2.id}/{path}",
                    "post",
                    {"week": "2099-01-05"},
                ).status_code,
                404,
            )
            self.assertEqual(
                self.page(
                    self.worker_a,
                    f"/volunteers/streets/{self.street_s1.id}/{path}",
                    "post",
                    {"week": "2099-01-05"},
                ).status_code,
                403,
            )
        self.assertEqual(
            self.page(
                self.street_officer, f"/volunteers/streets/{self.street_s1.id}/roster/status/{week}"
            ).status_code,
            200,
        )
        solved = self.page(
            self.street_officer,
            f"/volunteers/streets/{self.street_s1.id}/roster/solve/",
            "post",
            {"week": "2099-01-05"},
        )
        self.assertEqual(solved.status_code, 302)
        repaired = self.page(
            self.street_officer,
            f"/volunteers/streets/{self.street_s1.id}/roster/repair/",
            "post",
            {"week": WEEK.isoformat()},
        )
        self.assertEqual(repaired.status_code, 302)

    @covers("PAGE volunteers:neighbourhood_coverage")
    def test_a_worker_sees_their_neighbourhoods_coverage_only(self):
        week = f"?week={WEEK.isoformat()}"
        self.assertContains(
            self.page(self.worker_a, f"/volunteers/neighbourhoods/{self.nb_a.id}/coverage/{week}"), "南门"
        )
        self.assertEqual(
            self.page(
                self.worker_a, f"/volunteers/neighbourhoods/{self.nb_b.id}/coverage/{week}"
            ).status_code,
            404,
        )
        self.assertEqual(
            self.page(
                self.street_officer, f"/volunteers/neighbourhoods/{self.nb_c.id}/coverage/{week}"
            ).status_code,
            404,
        )

    @covers("PAGE volunteers:slot", "PAGE volunteers:slot_assign", "PAGE volunteers:assignment_action")
    def test_slots_and_assignments_stay_in_reach(self):
        slot_s2 = self.assignment_s2.slot
        slot_s1 = self.assignment_s1.slot
        self.assertEqual(self.page(self.street_officer, f"/volunteers/slots/{slot_s2.id}/").status_code, 404)
        self.assertEqual(self.page(self.street_officer, f"/volunteers/slots/{slot_s1.id}/").status_code, 200)
        self.assertEqual(
            self.page(
                self.street_officer,
                f"/volunteers/slots/{slot_s2.id}/assign/",
                "post",
                {"volunteer": self.team[1].id},
            ).status_code,
            404,
        )
        self.assertEqual(
            self.page(self.worker_a, f"/volunteers/slots/{slot_s1.id}/assign/", "post", {}).status_code, 403
        )
        self.assertEqual(
            self.page(
                self.street_officer, f"/volunteers/assignments/{self.assignment_s2.id}/lock/", "post"
            ).status_code,
            404,
        )
        ok = self.page(self.street_officer, f"/volunteers/assignments/{self.assignment_s1.id}/lock/", "post")
        self.assertEqual(ok.status_code, 302)
        self.assertTrue(Assignment.objects.get(id=self.assignment_s1.id).locked)

    @covers(
        "PAGE volunteers:gates",
        "PAGE volunteers:gate_staffing",
        "PAGE volunteers:gate_poster",
        "PAGE volunteers:gate_posters_pdf",
    )
    def test_gate_demand_and_posters_stay_in_reach(self):
        self.assertContains(
            self.page(self.street_officer, f"/volunteers/streets/{self.street_s1.id}/gates/"), "南门"
        )
        self.assertEqual(
            self.page(self.street_officer, f"/volunteers/streets/{self.street_s2.id}/gates/").status_code, 404
        )
        self.assertEqual(
            self.page(
                self.street_officer,
                f"/volunteers/gates/{self.gate_c1.id}/staffing/",
                "post",
                {"staff_day": 1, "staff_night": 0},
            ).status_code,
            404,
        )
        self.assertEqual(
            self.page(
                self.street_officer,
                f"/volunteers/gates/{self.gate_a1.id}/staffing/",
                "post",
                {"staff_day": 1, "staff_night": 1},
            ).status_code,
            302,
        )
        poster = self.page(self.street_officer, f"/volunteers/gates/{self.gate_a1.id}/poster/")
        self.assertContains(poster, "<svg")
        self.assertEqual(
            self.page(self.street_officer, f"/volunteers/gates/{self.gate_c1.id}/poster/").status_code, 404
        )
        self.assertEqual(
            self.page(self.worker_a, f"/volunteers/gates/{self.gate_a1.id}/poster/").status_code, 403
        )
        pdf = self.page(self.street_officer, f"/volunteers/streets/{self.street_s1.id}/posters.pdf")
        self.assertEqual((pdf.status_code, pdf["Content-Type"]), (200, "application/pdf"))
        self.assertTrue(pdf.content.startswith(b"%PDF"))
        self.assertEqual(
            self.page(
                self.street_officer, f"/volunteers/streets/{self.street_s2.id}/posters.pdf"
            ).status_code,
            404,
        )

    @covers("PAGE volunteers:routes", "PAGE volunteers:route", "PAGE volunteers:route_tags_pdf")
    def test_patrol_routes_stay_in_reach(self):
        route_c = services.patrol_route_create(
            scope=self.command.scope,
            actor=SETUP,
            compound=self.compound_b1,
            name="巡逻一",
            checkpoints=["甲", "乙"],
        )
        self.assertContains(self.page(self.worker_b, "/volunteers/routes/"), "巡逻一")
        self.assertNotContains(self.page(self.worker_a, "/volunteers/routes/"), "巡逻一")
        self.assertEqual(self.page(self.worker_a, f"/volunteers/routes/{route_c.id}/").status_code, 404)
        self.assertEqual(
            self.page(self.worker_b, f"/volunteers/routes/{route_c.id}/", "post", {"name": "丙"}).status_code,
            403,
        )
        self.assertEqual(
            self.page(
                self.street_officer, f"/volunteers/routes/{route_c.id}/", "post", {"name": "丙"}
            ).status_code,
            302,
        )
        pdf = self.page(self.worker_b, f"/volunteers/routes/{route_c.id}/tags.pdf")
        self.assertTrue(pdf.content.startswith(b"%PDF"))
        self.assertEqual(
            self.page(self.worker_a, f"/volunteers/routes/{route_c.id}/tags.pdf").status_code, 404
        )

    @covers(
        "PAGE volunteers:my_shifts",
        "PAGE volunteers:my_action",
        "PAGE volunteers:scan_gate",
        "PAGE volunteers:scan_tag",
    )
    def test_phone_pages_are_the_volunteers_own(self):
        self.assertEqual(self.page(self.vol_user, "/volunteers/me/").status_code, 200)
        for user in (self.street_officer, self.worker_a, self.resident_user):
            self.assertEqual(self.page(user, "/volunteers/me/").status_code, 403, user.username)
            self.assertEqual(
                self.page(user, "/volunteers/me/check_out/", "post").status_code, 403, user.username
            )
        code = qr.gate_code(self.gate_a1.id)
        self.assertEqual(self.page(self.vol_user, f"/volunteers/g/{code}/").status_code, 200)
        self.assertEqual(self.page(self.vol_user, "/volunteers/g/forged:code/").status_code, 404)
        self.assertEqual(self.page(self.street_officer, f"/volunteers/g/{code}/").status_code, 403)
        route = services.patrol_route_create(
            scope=self.command.scope,
            actor=SETUP,
            compound=self.compound_b1,
            name="巡逻二",
            checkpoints=["甲"],
        )
        tag = qr.checkpoint_code(route.checkpoints.get().id)
        self.assertEqual(self.page(self.vol_user, f"/volunteers/t/{tag}/").status_code, 200)
        self.assertEqual(self.page(self.vol_user, "/volunteers/t/nope/").status_code, 404)
        # Taking a slot of another street is refused even by id.
        slot_s2 = Slot.objects.filter(roster=self.roster_s2).first()
        self.page(self.vol_user, "/volunteers/me/take/", "post", {"slot": slot_s2.id})
        self.assertFalse(Assignment.objects.filter(slot=slot_s2, volunteer=self.team[0]).exists())
