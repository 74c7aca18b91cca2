"""Shared set-up for the volunteer tests: a small street week that solves in a second."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import translation

from gatehouse.accounts.models import User
from gatehouse.places.models import Gate, Neighbourhood
from gatehouse.testing import SETUP, BaseTestCase
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import services
from gatehouse.volunteers.models import GateStaffing, Volunteer

WEEK = dt.date(2020, 3, 2)  # a Monday
BEFORE_WEEK = dt.datetime(2020, 2, 28, 9, 0, tzinfo=P.TZ)  # the Friday before: planning time


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Local time on day `day` (0 = Monday) of the test week."""
    return dt.datetime.combine(WEEK + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=P.TZ)


class VolunteerWorld(BaseTestCase):
    """Street S1 with one staffed gate by day (A1 南门, one person 06:00–22:00) and nothing else,
    so a handful of volunteers can cover the week; S2 has its own gate and volunteer."""

    team: list[Volunteer]
    far: Volunteer
    other_street: Volunteer
    vol_user: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        scope = cls.command.scope
        for gate in (cls.gate_building, cls.gate_b1):
            GateStaffing.objects.create(gate=gate, staff_day=0, staff_night=0)
        GateStaffing.objects.create(gate=cls.gate_a1, staff_day=1, staff_night=0)
        GateStaffing.objects.create(gate=cls.gate_c1, staff_day=1, staff_night=0)
        cls.team = [cls.make_volunteer(cls.nb_a, f"志愿者{i}", hours=24, days=range(7)) for i in range(6)]
        cls.far = cls.make_volunteer(cls.nb_b, "远方", hours=16, days=range(7))
        cls.other_street = cls.make_volunteer(cls.nb_c, "他街", hours=40, days=range(7))
        cls.vol_user = services.volunteer_account_create(
            scope=scope,
            actor=SETUP,
            volunteer=cls.team[0],
            username="vol-0",
            password="correct-horse-battery",
            check_password=False,
        )
        cls.team[0].refresh_from_db()

    @classmethod
    def make_volunteer(
        cls,
        nb: Neighbourhood,
        name: str,
        *,
        hours: int,
        days: Any,
        start: int = 6,
        end: int = 22,
        **extra: Any,
    ) -> Volunteer:
        scope = cls.command.scope
        volunteer = services.volunteer_register(
            scope=scope,
            actor=SETUP,
            neighbourhood=nb,
            name=name,
            max_hours_week=hours,
            trained_on=dt.date(2020, 2, 1),
            **extra,
        )
        for day in days:
            services.availability_add(
                scope=scope,
                actor=SETUP,
                volunteer=volunteer,
                weekday=day,
                starts_at=dt.time(start),
                ends_at=dt.time(end % 24),
            )
        return volunteer

    def setUp(self) -> None:
        super().setUp()
        # Messages are asserted in English; the Chinese catalogue is checked by test_translations.
        translation.activate("en")
        self.addCleanup(translation.deactivate)

    def solve(self, street: Any = None, now: dt.datetime = BEFORE_WEEK, limit: float = 10.0) -> Any:
        roster = services.roster_for(street=street or self.street_s1, week=WEEK)
        return services.roster_solve_run(roster=roster, now=now, time_limit_s=limit), roster

    def gate_seal(self, gate: Gate) -> None:
        gate.status = Gate.Status.SEALED
        gate.save()
