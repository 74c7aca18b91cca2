"""Rosters, repairs, check-ins, patrols and the deadline jobs, through the services and the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from gatehouse.alerts.models import Alert
from gatehouse.testing import SETUP
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import services, solver
from gatehouse.volunteers.models import Assignment, Roster, Slot, Volunteer
from gatehouse.volunteers.selectors import coverage
from gatehouse.volunteers.tests.helpers import BEFORE_WEEK, WEEK, VolunteerWorld, at


class RosterTest(VolunteerWorld):
    def test_it_covers_every_slot_within_the_rules(self):
        result, roster = self.solve()
        self.assertEqual(result.uncovered_count, 0)
        slots = Slot.objects.filter(roster=roster, status=Slot.Status.ACTIVE)
        self.assertEqual(slots.count(), 28)  # 南门, four day periods a day
        self.assertEqual(set(slots.values_list("gate_id", flat=True)), {self.gate_a1.id})
        built = services.roster_build(roster, BEFORE_WEEK)
        pairs = [
            (str(a.volunteer_id), str(a.slot_id))
            for a in Assignment.objects.filter(slot__roster=roster, status=Assignment.Status.PLANNED)
        ]
        self.assertEqual(solver.verify(built.instance, pairs), [])
        self.assertNotIn(str(self.other_street.id), {p for p, _ in pairs})
        roster.refresh_from_db()
        self.assertEqual(roster.solve_report["uncovered"], 0)

    def test_locked_assignments_stay_when_solved_again(self):
        _result, roster = self.solve()
        chosen = list(Assignment.objects.filter(slot__roster=roster).order_by("slot__period")[:3])
        for assignment in chosen:
            services.assignment_lock(
                scope=self.street_officer.scope, actor=SETUP, assignment=assignment, locked=True
            )
        self.solve()
        for assignment in chosen:
            self.assertTrue(
                Assignment.objects.filter(
                    slot=assignment.slot,
                    volunteer=assignment.volunteer,
                    status=Assignment.Status.PLANNED,
                    locked=True,
                ).exists()
            )

    def test_a_gate_sealed_after_the_roster_frees_its_people(self):
        _result, roster = self.solve()
        planned = Assignment.objects.filter(slot__roster=roster, status=Assignment.Status.PLANNED).count()
        self.gate_seal(self.gate_a1)
        outcome = services.roster_repair(roster=roster, now=at(2, 12))
        self.assertGreater(outcome["released"], 0)
        future = Slot.objects.filter(roster=roster, starts_at__gt=at(2, 12))
        self.assertFalse(future.filter(status=Slot.Status.ACTIVE).exists())
        self.assertEqual(set(future.values_list("cancel_reason", flat=True)), {"gate_sealed"})
        released = Assignment.objects.filter(slot__roster=roster, status=Assignment.Status.RELEASED)
        self.assertEqual(set(released.values_list("release_reason", flat=True)), {"gate_sealed"})
        # Shifts already past stay as they were worked.
        kept = Assignment.objects.filter(slot__roster=roster, status=Assignment.Status.PLANNED).count()
        self.assertEqual(kept + released.count(), planned)
        roster.refresh_from_db()
        self.assertTrue(roster.needs_repair)

    def test_a_volunteer_removed_mid_week_has_their_shifts_offered_again_and_resolved(self):
        _result, roster = self.solve()
        mid_week = at(3, 12)
        leaving = (
            Assignment.objects.filter(slot__roster=roster, slot__starts_at__gt=mid_week).first().volunteer
        )
        released = services.volunteer_remove(
            scope=self.street_officer.scope, actor=SETUP, volunteer=leaving, now=mid_week
        )
        self.assertTrue(released)
        roster.refresh_from_db()
        self.assertEqual(roster.solve_status, Roster.SolveStatus.REQUESTED)
        services.roster_solve_run(roster=roster, now=mid_week, time_limit_s=10)
        future = Slot.objects.filter(roster=roster, starts_at__gt=mid_week, status=Slot.Status.ACTIVE)
        for slot in future:
            names = set(
                slot.assignments.filter(status=Assignment.Status.PLANNED).values_list(
                    "volunteer_id", flat=True
                )
            )
            self.assertEqual(len(names), slot.needed, slot)
            self.assertNotIn(leaving.id, names)

    def test_uncovered_slots_say_why(self):
        for volunteer in [*self.team, self.far]:
            volunteer.max_hours_week = 4
            volunteer.save()
        result, roster = self.solve()
        self.assertEqual(result.uncovered_count, 28 - 7)
        reasons = {
            s.uncovered_reason.get("why") for s in Slot.objects.filter(roster=roster) if s.uncovered_reason
        }
        self.assertEqual(reasons, {"everybody_at_limit"})

    def test_a_volunteer_not_green_or_with_a_fever_is_not_rostered(self):
        from gatehouse.people.services import resident_health_colour_set

        sick = self.make_volunteer(self.nb_a, "王芳志愿", hours=40, days=range(7), resident=self.wang_fang)
        resident_health_colour_set(
            actor=SETUP, resident=self.wang_fang, colour="red", reason="officer_decision", note="密接"
        )
        feverish = self.team[1]
        services.volunteer_fever_declare(
            volunteer=feverish, temperature=Decimal("38.1"), now=BEFORE_WEEK, actor=SETUP
        )
        _result, roster = self.solve()
        on_roster = set(Assignment.objects.filter(slot__roster=roster).values_list("volunteer_id", flat=True))
        self.assertNotIn(sick.id, on_roster)
        self.assertNotIn(feverish.id, on_roster)
        roster.refresh_from_db()
        self.assertEqual(roster.solve_report["ineligible"], {"health_colour": 1, "fever": 1})

    def test_the_worker_claims_a_requested_solve_once(self):
        services.roster_solve_request(
            scope=self.street_officer.scope, actor=SETUP, street=self.street_s1, week=WEEK, now=BEFORE_WEEK
        )
        with self.assertRaises(ValidationError):
            services.roster_solve_request(
                scope=self.street_officer.scope,
                actor=SETUP,
                street=self.street_s1,
                week=WEEK,
                now=BEFORE_WEEK,
            )
        self.assertEqual(services.rosters_solve_requested(BEFORE_WEEK, time_limit_s=5), 1)
        self.assertEqual(services.rosters_solve_requested(BEFORE_WEEK, time_limit_s=5), 0)
        roster = Roster.objects.get(street=self.street_s1, week_start=WEEK)
        self.assertEqual(roster.solve_status, Roster.SolveStatus.DONE)

    def test_a_past_week_cannot_be_requested(self):
        with self.assertRaises(ValidationError) as caught:
            services.roster_solve_request(
                scope=self.street_officer.scope, actor=SETUP, street=self.street_s1, week=WEEK, now=at(7, 7)
            )
        self.assertIn("week", caught.exception.message_dict)

    def test_by_hand_assignments_are_checked_against_the_rules(self):
        _result, roster = self.solve()
        slot = Slot.objects.filter(roster=roster, period=6).first()  # Tuesday 06:00
        busy = slot.assignments.first().volunteer
        services.assignment_release(
            scope=self.street_officer.scope, actor=SETUP, assignment=slot.assignments.first(), now=BEFORE_WEEK
        )
        # Someone working the 14:00 slot that day cannot also take 06:00 then 14:00 with 4 h rest.
        later = Slot.objects.get(roster=roster, period=8).assignments.get(status="planned").volunteer
        if later != busy:
            with self.assertRaises(ValidationError) as caught:
                services.assignment_assign(
                    scope=self.street_officer.scope, actor=SETUP, slot=slot, volunteer=later, now=BEFORE_WEEK
                )
            self.assertIn("volunteer", caught.exception.message_dict)
        with self.assertRaises(ValidationError):
            services.assignment_assign(
                scope=self.street_officer.scope,
                actor=SETUP,
                slot=slot,
                volunteer=self.other_street,
                now=BEFORE_WEEK,
            )


class AvailabilityTest(VolunteerWorld):
    def test_overlapping_windows_are_refused_naming_the_other(self):
        volunteer = self.team[0]
        with self.assertRaises(ValidationError) as caught:
            services.availability_add(
                scope=self.worker_a.scope,
                actor=SETUP,
                volunteer=volunteer,
                weekday=0,
                starts_at=dt.time(20),
                ends_at=dt.time(2),
            )
        self.assertIn("06:00", caught.exception.message_dict["starts_at"][0])

    def test_a_night_window_wraps_past_sunday(self):
        volunteer = self.make_volunteer(self.nb_a, "夜猫", hours=16, days=[])
        services.availability_add(
            scope=self.worker_a.scope,
            actor=SETUP,
            volunteer=volunteer,
            weekday=6,
            starts_at=dt.time(22),
            ends_at=dt.time(6),
        )
        with self.assertRaises(ValidationError):
            services.availability_add(
                scope=self.worker_a.scope,
                actor=SETUP,
                volunteer=volunteer,
                weekday=0,
                starts_at=dt.time(1),
                ends_at=dt.time(3),
            )

    def test_impossible_limits_are_refused(self):
        for hours in (0, 2, 61, 200):
            with self.assertRaises(ValidationError) as caught:
                services.volunteer_update(
                    scope=self.worker_a.scope, actor=SETUP, volunteer=self.team[0], max_hours_week=hours
                )
            self.assertIn("max_hours_week", caught.exception.message_dict)

    def test_an_organisation_member_needs_an_organisation(self):
        with self.assertRaises(ValidationError) as caught:
            services.volunteer_register(
                scope=self.worker_a.scope,
                actor=SETUP,
                neighbourhood=self.nb_a,
                name="某人",
                kind="organisation_member",
            )
        self.assertIn("organisation", caught.exception.message_dict)

    def test_a_date_off_releases_that_days_shifts(self):
        _result, roster = self.solve(self.street_s1)
        volunteer = Assignment.objects.filter(slot__roster=roster, slot__period__gte=12).first().volunteer
        day = dt.date(2020, 3, 4)
        _off, released = services.date_off_add(actor=SETUP, volunteer=volunteer, date=day, now=BEFORE_WEEK)
        self.assertTrue(all(a.slot.starts_at.astimezone(P.TZ).date() == day for a in released))
        self.assertFalse(
            Assignment.objects.filter(
                volunteer=volunteer, status="planned", slot__starts_at__date=day
            ).exists()
        )


class CheckInTest(VolunteerWorld):
    def setUp(self):
        super().setUp()
        self.result, self.roster = self.solve()
        self.me = self.team[0]
        self.mine = (
            Assignment.objects.filter(volunteer=self.me, status="planned")
            .select_related("slot")
            .order_by("slot__starts_at")
        )

    def test_it_checks_in_at_the_right_gate_and_out(self):
        first = self.mine.first()
        outcome = services.shift_check_in(
            volunteer=self.me,
            gate=self.gate_a1,
            temperature="36.6",
            now=first.slot.starts_at - dt.timedelta(minutes=5),
        )
        self.assertTrue(outcome.ok, outcome.message)
        first.refresh_from_db()
        self.assertEqual(first.temperature, Decimal("36.6"))
        first.slot.refresh_from_db()
        self.assertIsNone(first.slot.check_due_at)
        out = services.shift_check_out(volunteer=self.me, now=first.slot.starts_at + dt.timedelta(hours=3))
        self.assertEqual(out[0].id, first.id)

    def test_checking_in_puts_the_volunteer_on_duty_at_the_gate_screen_until_check_out(self):
        from gatehouse.gate.selectors import user_on_duty

        first = self.mine.first()
        start = first.slot.starts_at
        with self.captureOnCommitCallbacks(execute=True):
            services.shift_check_in(volunteer=self.me, gate=self.gate_a1, temperature="36.6", now=start)
        self.assertTrue(user_on_duty(gate_id=self.gate_a1.id, user_id=self.vol_user.pk, now=start))
        with self.captureOnCommitCallbacks(execute=True):
            services.shift_check_out(volunteer=self.me, now=start + dt.timedelta(hours=2))
        later = start + dt.timedelta(hours=3)
        self.assertFalse(user_on_duty(gate_id=self.gate_a1.id, user_id=self.vol_user.pk, now=later))

    def test_outside_the_shift_says_when_the_next_one_is(self):
        first = self.mine.first()
        with self.assertRaises(ValidationError) as caught:
            services.shift_check_in(
                volunteer=self.me,
                gate=self.gate_a1,
                temperature="36.6",
                now=first.slot.starts_at - dt.timedelta(hours=2),
            )
        self.assertIn("check in from", caught.exception.message_dict["gate"][0])

    def test_the_wrong_gate_is_named(self):
        first = self.mine.first()
        with self.assertRaises(ValidationError) as caught:
            services.shift_check_in(
                volunteer=self.me, gate=self.gate_b1, temperature="36.6", now=first.slot.starts_at
            )
        self.assertIn("Wrong gate", caught.exception.message_dict["gate"][0])

    def test_a_fever_stops_the_shift_and_raises_an_alert(self):
        first = self.mine.first()
        with self.captureOnCommitCallbacks(execute=True):
            outcome = services.shift_check_in(
                volunteer=self.me, gate=self.gate_a1, temperature="37.9", now=first.slot.starts_at
            )
        self.assertFalse(outcome.ok)
        self.me.refresh_from_db()
        self.assertIsNotNone(self.me.fever_at)
        self.assertFalse(
            Assignment.objects.filter(
                volunteer=self.me,
                status="planned",
                checked_in_at__isnull=True,
                slot__starts_at__gt=first.slot.starts_at,
            ).exists()
        )
        self.assertTrue(Alert.objects.filter(kind=Alert.Kind.GATE_FEVER, neighbourhood=self.nb_a).exists())

    def test_a_silly_temperature_is_refused(self):
        for value in ("abc", "45", "30.2", "NaN"):
            with self.assertRaises(ValidationError) as caught:
                services.shift_check_in(
                    volunteer=self.me, gate=self.gate_a1, temperature=value, now=BEFORE_WEEK
                )
            self.assertIn("temperature", caught.exception.message_dict)


class DeadlineJobsTest(VolunteerWorld):
    def test_a_slot_nobody_checked_into_raises_gate_uncovered_after_ten_minutes(self):
        _result, roster = self.solve()
        slot = Slot.objects.get(roster=roster, period=0)
        with time_machine.travel(slot.starts_at + dt.timedelta(minutes=9), tick=False):
            self.assertEqual(services.slots_uncovered_alert(dt.datetime.now(tz=P.TZ)), 0)
        with time_machine.travel(slot.starts_at + dt.timedelta(minutes=11), tick=False):
            self.assertEqual(services.slots_uncovered_alert(timezone.now()), 1)
            self.assertEqual(services.slots_uncovered_alert(timezone.now()), 0)  # claimed once
        alert = Alert.objects.get(kind=Alert.Kind.GATE_UNCOVERED)
        self.assertEqual(alert.compound, self.compound_a1)
        self.assertIn("南门", alert.title)

    def test_a_checked_in_slot_raises_nothing(self):
        _result, roster = self.solve()
        slot = Slot.objects.get(roster=roster, period=0)
        volunteer = slot.assignments.get(status="planned").volunteer
        services.shift_check_in(
            volunteer=volunteer, gate=self.gate_a1, temperature="36.5", now=slot.starts_at
        )
        self.assertEqual(services.slots_uncovered_alert(slot.starts_at + dt.timedelta(minutes=30)), 0)
        self.assertFalse(Alert.objects.filter(kind=Alert.Kind.GATE_UNCOVERED).exists())

    def test_a_patrol_with_missed_check_points_is_flagged_and_alerted(self):
        route = services.patrol_route_create(
            scope=self.street_officer.scope,
            actor=SETUP,
            compound=self.compound_b1,
            name="弄堂巡逻",
            every_hours=24,
            checkpoints=["弄口", "中段", "后弄"],
        )
        _result, roster = self.solve()
        slot = Slot.objects.get(roster=roster, route=route, period=0)
        walker = slot.assignments.get(status="planned").volunteer
        first, second, _third = route.checkpoints.all()
        scan = services.patrol_scan(
            volunteer=walker, checkpoint=first, now=slot.starts_at + dt.timedelta(minutes=5)
        )
        self.assertTrue(scan.ok)
        self.assertEqual(services.patrol_rounds_check(slot.starts_at + dt.timedelta(minutes=61)), 1)
        late = services.patrol_scan(
            volunteer=walker, checkpoint=second, now=slot.starts_at + dt.timedelta(minutes=90)
        )
        self.assertIn("late", late.message)
        slot.refresh_from_db()
        self.assertEqual((slot.round_result["missed"], slot.round_result["late"]), (2, 0))
        self.assertTrue(Alert.objects.filter(kind=Alert.Kind.PATROL_MISSED).exists())
        # a tag of the route is refused to someone not on patrol
        other = next(v for v in self.team if v != walker)
        with self.assertRaises(ValidationError):
            services.patrol_scan(
                volunteer=other, checkpoint=first, now=slot.starts_at + dt.timedelta(minutes=5)
            )

    def test_removed_volunteers_stay_off(self):
        volunteer = self.team[5]
        services.volunteer_remove(
            scope=self.worker_a.scope, actor=SETUP, volunteer=volunteer, now=BEFORE_WEEK
        )
        self.assertEqual(Volunteer.objects.get(id=volunteer.id).status, Volunteer.Status.REMOVED)
        _result, roster = self.solve()
        self.assertFalse(Assignment.objects.filter(slot__roster=roster, volunteer=volunteer).exists())


class QueryCountTest(VolunteerWorld):
    def test_coverage_reads_a_fixed_number_of_queries(self):
        self.solve()

        scope = self.street_officer.scope
        with self.assertNumQueries(2):
            cover = coverage(scope=scope, week=WEEK, street=self.street_s1, now=timezone.now())
        self.assertEqual(cover.needed, 28)
        for i in range(5):
            self.make_volunteer(self.nb_a, f"加{i}", hours=24, days=range(7))
        self.solve()
        with self.assertNumQueries(2):
            coverage(scope=scope, week=WEEK, street=self.street_s1, now=timezone.now())

    def test_the_volunteer_list_api_does_not_grow_with_the_list(self):
        client = self.client_for(self.worker_a)
        client.get("/api/volunteers")
        with self.assertNumQueries(4):  # session, user, count, page
            client.get("/api/volunteers")
        for i in range(5):
            self.make_volunteer(self.nb_a, f"加{i}", hours=24, days=range(7))
        with self.assertNumQueries(4):
            client.get("/api/volunteers")


class CommandAndJobsTest(VolunteerWorld):
    def test_roster_solve_command_solves_a_street_week(self):
        from io import StringIO

        from django.core.management import call_command
        from django.core.management.base import CommandError

        out = StringIO()
        call_command("roster_solve", street=self.street_s1.code, week="2099-01-07", time_limit=5, stdout=out)
        self.assertIn("28 placed, 0 uncovered", out.getvalue())
        with self.assertRaises(CommandError):
            call_command("roster_solve", street="nowhere", stdout=out)
        with self.assertRaises(CommandError):
            call_command("roster_solve", street=self.street_s1.code, week="2020-03-02", stdout=out)

    def test_the_repair_job_notices_a_sealed_gate(self):
        _result, roster = self.solve()
        self.gate_seal(self.gate_a1)
        self.assertGreater(services.rosters_reconcile(at(1, 12)), 0)
        self.assertFalse(
            Slot.objects.filter(roster=roster, starts_at__gt=at(1, 12), status="active").exists()
        )
        self.assertEqual(services.rosters_reconcile(at(1, 12)), 0)  # nothing left to repair

    def test_a_volunteer_declares_a_fever_on_their_phone(self):
        self.solve()
        client = self.client_for(self.vol_user)
        response = client.post("/volunteers/me/fever/", {"temperature": "38.2"})
        self.assertEqual(response.status_code, 302)
        self.team[0].refresh_from_db()
        self.assertEqual(self.team[0].fever_temperature, Decimal("38.2"))
        self.assertEqual(services.ineligible_reason(self.team[0]), "fever")


class ReopenTest(VolunteerWorld):
    def test_a_gate_opened_again_gets_its_slots_and_deadlines_back(self):
        _result, roster = self.solve()
        self.gate_seal(self.gate_a1)
        services.roster_repair(roster=roster, now=BEFORE_WEEK)
        self.gate_a1.status = "open"
        self.gate_a1.save()
        result = services.roster_solve_run(roster=roster, now=BEFORE_WEEK, time_limit_s=5)
        self.assertEqual(result.uncovered_count, 0)
        slots = Slot.objects.filter(roster=roster, status="active")
        self.assertEqual(slots.count(), 28)
        self.assertFalse(slots.filter(check_due_at__isnull=True).exists())

    def test_a_locked_volunteer_who_fell_ill_is_replaced_on_the_next_solve(self):
        _result, roster = self.solve()
        first = Assignment.objects.filter(slot__roster=roster).earliest("slot__period")
        services.assignment_lock(scope=self.street_officer.scope, actor=SETUP, assignment=first, locked=True)
        sick = first.volunteer
        sick.fever_at = BEFORE_WEEK
        sick.save()
        services.roster_solve_run(roster=roster, now=BEFORE_WEEK, time_limit_s=5)
        self.assertFalse(
            Assignment.objects.filter(slot__roster=roster, volunteer=sick, status="planned").exists()
        )
        self.assertEqual(first.slot.assignments.filter(status="planned").count(), 1)


class BadInputTest(VolunteerWorld):
    def test_absurd_weeks_are_refused_not_crashed_on(self):
        client = self.client_for(self.street_officer)
        for week in ("9999-12-31", "0001-01-01"):
            api = client.get(f"/api/volunteers/rosters/{self.street_s1.id}/{week}", HTTP_ACCEPT_LANGUAGE="en")
            self.assertEqual(api.status_code, 422, week)
            self.assertEqual(api.json()["errors"][0]["field"], "week")
            solve = client.post(f"/api/volunteers/rosters/{self.street_s1.id}/{week}/solve")
            self.assertEqual(solve.status_code, 422, week)
            page = client.get(f"/volunteers/streets/{self.street_s1.id}/roster/?week={week}")
            self.assertEqual(page.status_code, 200, week)

    def test_a_check_in_with_a_forged_or_foreign_code_is_refused(self):
        client = self.client_for(self.vol_user)
        for code in ("", "x" * 200, "not-a-code", "00000000000000000000000000000000:abc"):
            response = client.post(
                "/api/volunteers/me/check-in",
                data={"code": code, "temperature": "36.5"},
                content_type="application/json",
                HTTP_ACCEPT_LANGUAGE="en",
            )
            self.assertEqual(response.status_code, 422, code)
        nan = client.post(
            "/api/volunteers/me/check-in",
            data={"code": "a", "temperature": "NaN"},
            content_type="application/json",
        )
        self.assertEqual(nan.status_code, 422)
