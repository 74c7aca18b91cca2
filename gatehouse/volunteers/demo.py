"""Demo data: volunteers for the demo street (the first street, whose officer is the "street" login),
their availability, two organisations from the article, a patrol route, and this week's roster with
the "volunteer" login on duty now, so checking in on a phone works straight after `make demo`.

Next week is left unsolved: the street officer generates it, locks a few assignments, seals a gate
and re-solves.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random

from django.core.exceptions import ValidationError
from django.utils import timezone

from gatehouse.accounts.models import User
from gatehouse.core.audit import Actor
from gatehouse.core.roles import Role, Scope
from gatehouse.demo.seed import NameMaker
from gatehouse.lib.phones import phone_normalise
from gatehouse.people.models import HealthColour, Resident
from gatehouse.places.models import Compound, CompoundClass, Gate, Street
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import services
from gatehouse.volunteers.models import Assignment, Availability, Skill, Slot, Volunteer

logger = logging.getLogger("gatehouse.volunteers")
SEED = Actor(user_id=None, label="demo seed", role="system")
ORGANISATIONS = ["华爱社区服务管理中心", "零距离家园理事会"]


def _windows(rng: random.Random) -> list[tuple[int, dt.time, dt.time]]:
    """Weekly windows that follow how people live: retired by day, office workers evenings and
    weekends, a few who take nights."""
    kind = rng.random()
    if kind < 0.45:
        days = sorted(rng.sample(range(7), rng.randint(4, 6)))
        return [(d, dt.time(6), dt.time(18)) for d in days]
    if kind < 0.75:
        return [(d, dt.time(18), dt.time(2)) for d in range(5)] + [
            (d, dt.time(6), dt.time(22)) for d in (5, 6)
        ]
    days = sorted(rng.sample(range(7), rng.randint(3, 5)))
    return [(d, dt.time(22), dt.time(6)) for d in days]


def _valid_phone(raw: str) -> str:
    try:
        return phone_normalise(raw) if raw else ""
    except ValidationError:
        return ""


def seed_volunteers(*, scale_name: str, rng: random.Random) -> None:
    street = Street.objects.order_by("code").first()
    if street is None:
        return
    scope = Scope.for_role(Role.STREET_OFFICER, street_id=street.id)
    organisations = [
        services.organisation_create(scope=scope, actor=SEED, street=street, name=n) for n in ORGANISATIONS
    ]
    demand = services.street_demand(street)
    hours_needed = sum(demand.needed.values()) * P.PERIOD_HOURS
    names = NameMaker(rng)
    neighbourhoods = list(street.neighbourhoods.order_by("name"))
    residents = list(
        Resident.objects.filter(
            compound__neighbourhood__street=street,
            status=Resident.Status.ACTIVE,
            health_colour=HealthColour.GREEN,
            birth_date__lte=timezone.localdate() - dt.timedelta(days=365 * 20),
            birth_date__gte=timezone.localdate() - dt.timedelta(days=365 * 72),
        ).select_related("compound")[:2000]
    )
    rng.shuffle(residents)
    count = max(30, math.ceil(hours_needed / 22 * 1.25))
    kinds = [Volunteer.Kind.PARTY_MEMBER, Volunteer.Kind.RESIDENT, Volunteer.Kind.OFFICE_WORKER]
    volunteers = []
    for i in range(count):
        resident = residents.pop() if residents and rng.random() < 0.6 else None
        neighbourhood = (
            resident.compound.neighbourhood if resident else neighbourhoods[i % len(neighbourhoods)]
        )
        kind = rng.choice(kinds) if rng.random() < 0.85 else Volunteer.Kind.ORGANISATION_MEMBER
        volunteer = services.volunteer_register(
            scope=scope,
            actor=SEED,
            neighbourhood=neighbourhood,
            name=resident.name if resident else names(rng.random() < 0.5),
            phone=_valid_phone(resident.phone if resident else ""),
            kind=kind,
            organisation=rng.choice(organisations) if kind == Volunteer.Kind.ORGANISATION_MEMBER else None,
            skills=rng.sample(Skill.values, rng.randint(0, 2)),
            max_hours_week=rng.choice([16, 20, 24, 24, 28, 32, 40]),
            trained_on=None if i % 40 == 39 else timezone.localdate() - dt.timedelta(days=rng.randint(3, 40)),
            resident=resident,
        )
        Availability.objects.bulk_create(
            [
                Availability(volunteer=volunteer, weekday=d, starts_at=s, ends_at=e)
                for d, s, e in _windows(rng)
            ]
        )
        volunteers.append(volunteer)
    old_lane = (
        Compound.objects.filter(neighbourhood__street=street, compound_class=CompoundClass.OLD_LANE)
        .order_by("name")
        .first()
    )
    if old_lane is not None:
        services.patrol_route_create(
            scope=scope,
            actor=SEED,
            compound=old_lane,
            name="弄堂巡逻",
            every_hours=8,
            checkpoints=["弄口岗亭", "中弄", "后弄封堵点"],
        )
    demo_volunteer = volunteers[0]
    user = User.objects.filter(username="volunteer", role=Role.VOLUNTEER).first()
    if user is not None:
        demo_volunteer.user = user
        demo_volunteer.name = user.display_name or demo_volunteer.name
        demo_volunteer.resident = None
        demo_volunteer.max_hours_week = 40
        demo_volunteer.trained_on = timezone.localdate() - dt.timedelta(days=10)
        demo_volunteer.save()
    Availability.objects.filter(volunteer=demo_volunteer).delete()
    Availability.objects.bulk_create(
        [
            Availability(volunteer=demo_volunteer, weekday=d, starts_at=dt.time(6), ends_at=dt.time(6))
            for d in range(7)
        ]
    )
    _solve_this_week(street, demo_volunteer)


def _solve_this_week(street: Street, demo_volunteer: Volunteer) -> None:
    """Roster the week in progress, with the demo volunteer on duty at a gate now."""
    now = timezone.now()
    roster = services.roster_for(street=street, week=P.week_of(now))
    services.roster_build(roster, now)
    period = P.period_at(roster.week_start, now)
    gate_login = User.objects.filter(username="gate").select_related("gate").first()
    preferred = gate_login.gate if gate_login and gate_login.gate else None
    if period is not None:
        slots = Slot.objects.filter(
            roster=roster, period=period, gate__isnull=False, status=Slot.Status.ACTIVE
        )
        slot = slots.filter(gate=preferred).first() if preferred else None
        slot = slot or slots.exclude(gate__status=Gate.Status.SEALED).order_by("compound__name").first()
        if slot is not None:
            for k in (period, period + 1):
                same = Slot.objects.filter(roster=roster, gate=slot.gate, period=k).first()
                if same is not None:
                    Assignment.objects.create(
                        slot=same, volunteer=demo_volunteer, source=Assignment.Source.MANUAL, locked=True
                    )
    result = services.roster_solve_run(roster=roster, now=now, time_limit_s=15, actor=SEED)
    logger.info("demo roster: %s placed, %s uncovered", len(result.assignments), result.uncovered_count)
