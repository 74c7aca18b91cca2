"""Demo data for home observation and alerts (a SEED_STEPS entry).

Neighbourhood A (the demo "worker-a") gets five home-observation cases with their follow-up history,
one of them ready for release today; the demo resident gets a health-monitoring case with daily
self-reports; neighbourhood B gets one case (worker-a must not see it). Deadlines are then placed
around the moment of seeding so the worklist is alive whenever the demo starts: one follow-up
overdue (the worker raises its alert at once), two due within hours. Two gate-fever alerts, one
fresh and one nobody took twenty minutes ago, which the worker escalates to the street on start.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from gatehouse.accounts.models import User
from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise
from gatehouse.core.audit import Actor
from gatehouse.observation import schedule
from gatehouse.observation.models import FollowUp, ObservationCase
from gatehouse.observation.services import case_open, follow_up_record, self_report_submit
from gatehouse.people.models import Resident

REASONS = ["自湖北武汉返沪", "自浙江温州返沪", "与确诊病例密切接触", "自广东深圳返沪", "自河南信阳返沪"]


def _temperature(rng: random.Random) -> Decimal:
    return Decimal(str(round(rng.uniform(36.1, 36.9), 1)))


def _history(case: ObservationCase, user: User, actor: Actor, rng: random.Random, until: dt.datetime) -> None:
    """Twice-daily follow-ups from the first day up to `until`, as the worker would have recorded."""
    tz = timezone.get_current_timezone()
    day = case.starts_on
    while True:
        for hour in (9, 15):
            at = dt.datetime.combine(day, dt.time(hour, rng.randrange(0, 50)), tzinfo=tz)
            if at >= until:
                return
            needs = rng.choice(
                [[], [], [], [FollowUp.Need.FOOD], [FollowUp.Need.RUBBISH], [FollowUp.Need.MEDICINE]]
            )
            follow_up_record(
                scope=user.scope,
                actor=actor,
                case=case,
                method=rng.choice([FollowUp.Method.PHONE, FollowUp.Method.PHONE, FollowUp.Method.DOORSTEP]),
                temperature_c=_temperature(rng),
                needs=needs,
                at=at,
            )
        day += dt.timedelta(days=1)


def seed_observation(*, scale_name: str, rng: random.Random) -> None:
    worker = User.objects.filter(username="worker-a").select_related("neighbourhood").first()
    if worker is None or worker.neighbourhood is None:
        return  # seeded without demo logins: nobody to show it to
    actor = Actor(user_id=worker.pk, label=worker.label, role=worker.role)
    now = timezone.now()
    today = timezone.localdate(now)
    residents = list(
        Resident.objects.filter(compound__neighbourhood=worker.neighbourhood, status=Resident.Status.ACTIVE)
        .filter(account__isnull=True)
        .order_by("household__building", "household__room", "name")[:60]
    )
    picked = rng.sample(residents, min(5, len(residents)))
    cases = []
    for resident, days_ago, reason in zip(picked, [13 + 1, 9, 5, 2, 1], REASONS, strict=False):
        case = case_open(
            actor=actor,
            resident=resident,
            kind=ObservationCase.Kind.HOME_OBSERVATION,
            reason=reason,
            source=ObservationCase.Source.RETURNEE_REGISTRATION,
            starts_on=today - dt.timedelta(days=days_ago),
            at=now,
        )
        _history(case, worker, actor, rng, until=now - dt.timedelta(hours=6))
        cases.append(case)
    # The first and last were just followed up; the second is overdue, the next two due soon.
    for case in cases[:1] + cases[4:]:
        follow_up_record(
            scope=worker.scope,
            actor=actor,
            case=case,
            method=FollowUp.Method.DOORSTEP,
            temperature_c=_temperature(rng),
            at=now - dt.timedelta(minutes=5),
        )
    for case, due in zip(
        cases[1:4],
        [now - dt.timedelta(minutes=40), now + dt.timedelta(hours=1), now + dt.timedelta(hours=3)],
        strict=False,
    ):
        ObservationCase.objects.filter(id=case.id).update(next_follow_up_due=due, follow_up_alert_at=due)

    resident_user = User.objects.filter(username="resident").select_related("resident").first()
    if resident_user is not None and resident_user.resident is not None:
        resident = resident_user.resident
        case = case_open(
            actor=actor,
            resident=resident,
            kind=ObservationCase.Kind.HEALTH_MONITORING,
            reason="自外省返沪，健康监测",
            starts_on=today - dt.timedelta(days=3),
            at=now,
        )
        own = Actor(user_id=resident_user.pk, label=resident_user.label, role=resident_user.role)
        tz = timezone.get_current_timezone()
        for days_ago in (3, 2, 1):
            self_report_submit(
                scope=resident_user.scope,
                actor=own,
                case=case,
                temperature_c=_temperature(rng),
                at=dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(8, 30), tzinfo=tz),
            )
        # Seeded late in the evening, today's report would already be missing; give the demo
        # resident the lead a newly opened case gets instead.
        due = schedule.first_due(case.kind, now, tz)
        ObservationCase.objects.filter(id=case.id, next_follow_up_due__lte=now).update(
            next_follow_up_due=due, follow_up_alert_at=due
        )

    other = User.objects.filter(username="worker-b").select_related("neighbourhood").first()
    if other is not None and other.neighbourhood is not None and other.neighbourhood != worker.neighbourhood:
        theirs = (
            Resident.objects.filter(
                compound__neighbourhood=other.neighbourhood, status=Resident.Status.ACTIVE
            )
            .order_by("household__building", "household__room", "name")
            .first()
        )
        if theirs is not None:
            case_open(
                actor=Actor(user_id=other.pk, label=other.label, role=other.role),
                resident=theirs,
                kind=ObservationCase.Kind.HOME_OBSERVATION,
                reason="自湖北孝感返沪",
                starts_on=today - dt.timedelta(days=4),
                at=now,
            )

    if len(residents) > 6:
        for minutes_ago, subject, temp in ((2, residents[-1], "37.9"), (20, residents[-2], "38.3")):
            alert_raise(
                kind=Alert.Kind.GATE_FEVER,
                severity=Alert.Severity.HIGH,
                neighbourhood=worker.neighbourhood,
                compound=subject.compound,
                subject=subject,
                title=f"卡点测温 {temp}℃",
                dedupe_key=f"demo:gate_fever:{subject.id}",
                evidence={"temp_c": temp, "gate": "南门"},
                at=now - dt.timedelta(minutes=minutes_ago),
            )
