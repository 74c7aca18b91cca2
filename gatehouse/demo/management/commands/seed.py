"""`manage.py seed --scale demo`: build the Huangpu demo (see gatehouse/demo/seed.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gatehouse.demo.accounts import demo_password
from gatehouse.demo.seed import SCALES, seed
from gatehouse.places.models import District


class Command(BaseCommand):
    help = (
        "Seed Huangpu's streets with generated neighbourhoods, compounds, gates, residents and demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=list(SCALES), default="demo")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when a district already exists"
        )
        parser.add_argument("--random-seed", type=int, default=20200313)
        parser.add_argument("--no-accounts", action="store_true", help="skip the demo logins")

    def handle(self, *args: Any, **options: Any) -> None:
        if District.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The demo is already seeded.")
                return
            self.stderr.write("A district already exists: seed into an empty database.")
            raise SystemExit(1)
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]residents"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=False,
        ) as bar:

            def factory(total: int) -> Callable[[int], None]:
                task = bar.add_task("residents", total=total)
                return lambda n: bar.advance(task, n)

            report = seed(
                scale_name=options["scale"],
                random_seed=options["random_seed"],
                progress_factory=factory,
                demo_password=None if options["no_accounts"] else demo_password(),
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {report.streets} streets, {report.neighbourhoods} neighbourhoods, "
            f"{report.compounds} compounds, {report.gates} gates, {report.households} households, "
            f"{report.residents} residents, {report.vehicles} vehicles in {elapsed:.1f} s "
            f"({report.residents / elapsed:,.0f} residents/s)."
        )
