"""`manage.py roster_solve --street CODE --week YYYY-MM-DD`: solve a street's week now, in this process."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gatehouse.core.audit import Actor
from gatehouse.places.models import Street
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import services, solver


class Command(BaseCommand):
    help = "Solve (or re-solve) one street's roster week; locked assignments and started shifts stay."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--street", required=True, help="the street's division code or Chinese name")
        parser.add_argument("--week", help="any date in the week (default: next week)")
        parser.add_argument("--time-limit", type=float, default=services.SOLVE_TIME_LIMIT_S)

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["street"]
        street = Street.objects.filter(code=key).first() or Street.objects.filter(name_zh=key).first()
        if street is None:
            raise CommandError(f"no street with code or name {key!r}")
        now = timezone.now()
        if options["week"]:
            try:
                week = P.week_monday(dt.date.fromisoformat(options["week"]))
            except ValueError as exc:
                raise CommandError("--week must be a date, YYYY-MM-DD") from exc
        else:
            week = P.week_of(now) + dt.timedelta(days=7)
        if P.period_start(week, P.PERIODS) <= now:
            raise CommandError(f"the week of {week} is over")
        roster = services.roster_for(street=street, week=week)

        def progress(p: solver.Progress) -> None:
            self.stdout.write(f"  {p.elapsed_s:5.1f} s  {p.solutions} solutions  uncovered {p.uncovered}")

        result = services.roster_solve_run(
            roster=roster,
            now=now,
            time_limit_s=options["time_limit"],
            actor=Actor(user_id=None, label="manage.py roster_solve", role="system"),
            on_progress=progress,
        )
        placed = len(result.assignments)
        self.stdout.write(
            f"{street.name_zh} week of {week}: {placed} placed, {result.uncovered_count} uncovered, "
            f"{result.status} in {result.wall_s:.1f} s"
        )
        for slot_id, reason in list(result.uncovered.items())[:20]:
            self.stdout.write(f"  uncovered {slot_id}: {reason.why.value} ({reason.missing} missing)")
