"""`manage.py ingest`: the long-running MQTT subscriber for wristband telemetry.

A thin adapter: the work is in `gatehouse.devices.ingester` and `gatehouse.devices.pipeline`.
Stops cleanly on SIGTERM or SIGINT (the batch in hand is stored and acknowledged).
"""

from __future__ import annotations

import signal
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gatehouse.devices.ingester import SESSION_EXPIRY_S, Ingester
from gatehouse.devices.mqtt import broker_url
from gatehouse.devices.pipeline import Pipeline
from gatehouse.devices.services import telemetry_partitions_ensure


class Command(BaseCommand):
    help = "Subscribe to wristband telemetry over MQTT and store it, running the alert rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="", help="broker URL (default: settings.MQTT_URL)")
        parser.add_argument(
            "--client-id",
            default="",
            help="MQTT client id; keep it stable so the broker keeps this ingester's session",
        )
        parser.add_argument(
            "--shared", action="store_true", help="share the load with other ingesters ($share/gatehouse/…)"
        )
        parser.add_argument("--district", default="", help="accept only wristbands of this district code")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--flush-ms", type=int, default=100, help="longest wait to fill a batch")
        parser.add_argument("--log-every", type=float, default=10.0, help="seconds between rate log lines")
        parser.add_argument(
            "--session-expiry",
            type=int,
            default=SESSION_EXPIRY_S,
            help="seconds the broker keeps this ingester's session (and queues for it) while it is away",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or settings.MQTT_URL
        if not url:
            raise CommandError("No broker: set MQTT_URL (e.g. mqtt://127.0.0.1:1883) or pass --url")
        client_id = options["client_id"] or (
            f"gatehouse-ingester-{socket.gethostname()}" if options["shared"] else "gatehouse-ingester"
        )
        telemetry_partitions_ensure(now=timezone.now())
        ingester = Ingester(
            broker=broker_url(url),
            client_id=client_id,
            pipeline=Pipeline(district_code=options["district"] or None),
            shared=options["shared"],
            batch_size=options["batch_size"],
            flush_seconds=options["flush_ms"] / 1000,
            log_every=options["log_every"],
            session_expiry=options["session_expiry"],
        )
        stop = threading.Event()

        def on_signal(*_: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        ingester.run(stop)
