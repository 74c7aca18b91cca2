"""`manage.py worker`: the one long-running loop for deadlines and retention.

Runs each job when it is due; stops cleanly on SIGTERM/SIGINT between jobs. Several workers may
run at once (each job claims its rows with compare-and-set updates).
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from gatehouse.worker.jobs import JOBS

logger = logging.getLogger("gatehouse.worker")


class Command(BaseCommand):
    help = "Run the deadline and retention jobs until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--tick", type=float, default=1.0, help="seconds between checks for due jobs")
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="WORD",
            help="run only jobs whose name contains WORD (repeatable)",
        )
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="WORD",
            help="skip jobs whose name contains WORD (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        jobs = [
            job
            for job in JOBS
            if (not options["only"] or any(w in job.name for w in options["only"]))
            and not any(w in job.name for w in options["skip"])
        ]
        if not jobs:
            self.stderr.write("no job matches --only/--skip")
            raise SystemExit(2)
        next_run = {job.name: 0.0 for job in jobs}
        while not stopping:
            for job in jobs:
                if stopping or time.monotonic() < next_run[job.name]:
                    continue
                close_old_connections()
                try:
                    acted = job.run(timezone.now())
                except Exception:  # one failing job must not stop the others
                    logger.exception("job %s failed", job.name)
                    acted = 0
                if acted:
                    logger.info("job %s acted on %d", job.name, acted)
                next_run[job.name] = time.monotonic() + job.every.total_seconds()
            if options["once"]:
                return
            time.sleep(options["tick"])
