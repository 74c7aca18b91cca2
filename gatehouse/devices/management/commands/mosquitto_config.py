"""`manage.py mosquitto_config`: write Mosquitto's password file and ACL from the registry."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from gatehouse.devices import broker
from gatehouse.devices.mqtt import broker_url
from gatehouse.devices.selectors import broker_credentials


def _write(path: Path, text: str, mode: int) -> None:
    # Atomic: the broker never reads a half-written file on SIGHUP.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, mode)  # the broker drops to its own user: chgrp the file to it
    os.replace(tmp, path)


class Command(BaseCommand):
    help = "Generate Mosquitto's password file and ACL: each wristband publishes only under its serial."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--passwd", required=True, help="password file to write")
        parser.add_argument("--acl", required=True, help="ACL file to write")
        parser.add_argument("--ingester-user", default="", help="default: the user in MQTT_URL")
        parser.add_argument("--ingester-password", default="", help="default: the password in MQTT_URL")
        parser.add_argument(
            "--simulator-user", default="", help="demo only: a user that may write any wristband"
        )
        parser.add_argument("--simulator-password", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user, password = options["ingester_user"], options["ingester_password"]
        if not user and settings.MQTT_URL:
            url = broker_url(settings.MQTT_URL)
            user, password = url.username or "", url.password or ""
        services = []
        if user and password:
            services.append((user, password))
        if options["simulator_user"] and options["simulator_password"]:
            services.append((options["simulator_user"], options["simulator_password"]))
        bands = broker_credentials()
        _write(Path(options["passwd"]), broker.password_file(bands, services), 0o640)
        _write(
            Path(options["acl"]),
            broker.acl_file(ingester_user=user or None, simulator_user=options["simulator_user"] or None),
            0o644,
        )
        self.stdout.write(f"wrote {len(bands)} wristband logins and {len(services)} service logins")
