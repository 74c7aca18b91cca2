"""Serve the demo: the web server (granian, see gatehouse.lib.server) and the background processes,
stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from gatehouse.lib.server import web_server_command


def demo_processes(port: int) -> list[list[str]]:
    """Every long-running process the demo needs. Other apps add theirs here."""
    python = sys.executable
    return [
        # No access log: the simulator posts every few seconds and would bury what the demo prints
        # for people (the logins, the sign-in codes, the alerts).
        web_server_command(
            "gatehouse.wsgi:application",
            host="0.0.0.0",  # noqa: S104 - the demo is meant to be opened from a phone on the same network
            port=port,
            # A process per core (2 to 4): a demo needs no spare, and granian warns about more.
            workers=max(2, min(4, os.cpu_count() or 2)),
        ),
        # The deadline loops: alert escalation and notices, overdue follow-ups, uncovered gates, retention.
        [python, str(settings.BASE_DIR / "manage.py"), "worker", "--tick", "1", "--skip", "solve"],
        # Roster solves take up to a minute of CP-SAT; their own worker keeps the deadlines on time.
        [python, str(settings.BASE_DIR / "manage.py"), "worker", "--only", "solve"],
        *_wristband_processes(python, port),
    ]


def _wristband_processes(python: str, port: int) -> list[list[str]]:
    """The MQTT ingester when a broker is configured, and a small, eventful wristband simulator
    (to the broker, or to the HTTP endpoint without one) so alerts appear live in the demo."""
    from django.conf import settings

    processes = []
    if settings.MQTT_URL:
        processes.append([python, "manage.py", "ingest", "--log-every", "60"])
    processes.append(
        [
            python,
            "manage.py",
            "simulate_wristbands",
            "--devices",
            "6",
            "--rate",
            "0.6",
            "--eventful",
            "1000",
            "--first-exit-after",
            "60",
            "--http-url",
            f"http://127.0.0.1:{port}/api/devices/telemetry",
        ]
    )
    return processes


class Command(BaseCommand):
    help = "Run the demo web server and its background processes until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        port = options["port"]
        self.stdout.write(f"Gatehouse demo on http://127.0.0.1:{port}/ (Ctrl-C stops everything)")
        children = [subprocess.Popen(cmd) for cmd in demo_processes(port)]  # noqa: S603
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
