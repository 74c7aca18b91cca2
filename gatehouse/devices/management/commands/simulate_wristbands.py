"""`manage.py simulate_wristbands --devices N --rate R`: realistic telemetry from the bound wristbands.

Publishes to MQTT (MQTT_URL or --url), or, with no broker configured, to the HTTP endpoint (the
simulated wristbands are then given fresh device tokens). `--report-days D` instead runs the
stream offline through the rules and prints how many alerts per person per day it produces.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import time
import urllib.request
from typing import Any

import paho.mqtt.client as paho
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from gatehouse.core.audit import Actor
from gatehouse.core.roles import Role, Scope
from gatehouse.devices import credentials
from gatehouse.devices.models import Binding, Telemetry, Wristband
from gatehouse.devices.mqtt import broker_url
from gatehouse.devices.protocol import topic_for
from gatehouse.devices.services import wristband_credentials_issue
from gatehouse.devices.simulator import SimBand, Simulator, alerts_per_case_day

logger = logging.getLogger("gatehouse.devices.simulator")
SIMULATOR = Actor(user_id=None, label="wristband simulator", role="system")


def _last_seq(band: Wristband) -> int:
    stored = Telemetry.objects.filter(device=band).aggregate(top=Max("seq"))["top"]
    return max(stored or 0, band.last_seq or 0)


class Command(BaseCommand):
    help = "Publish realistic wristband telemetry for the bound wristbands (MQTT, or HTTP without a broker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--devices", type=int, default=20, help="how many bound wristbands to simulate")
        parser.add_argument(
            "--rate", type=float, default=0.0, help="messages per second in all (default N/30)"
        )
        parser.add_argument("--url", default="", help="broker URL (default: settings.MQTT_URL)")
        parser.add_argument("--http-url", default="http://127.0.0.1:8000/api/devices/telemetry")
        parser.add_argument("--eventful", type=float, default=1.0, help="multiply exits, fevers, removals…")
        parser.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds")
        parser.add_argument(
            "--first-exit-after",
            type=float,
            default=None,
            help="demo: the first wristband leaves home after S s",
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--report-days", type=int, default=0, help="offline: alerts per case-day, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["report_days"]:
            per_day, counts = alerts_per_case_day(
                devices=options["devices"], days=options["report_days"], eventful=options["eventful"]
            )
            self.stdout.write(f"alerts per case-day: {per_day:.3f} {dict(counts)}")
            return
        bindings = list(
            Binding.objects.filter(status=Binding.Status.ACTIVE)
            .select_related("wristband")
            .order_by("bound_at")[: options["devices"]]
        )
        if not bindings:
            raise CommandError("No bound wristbands to simulate (the demo seed binds some).")
        # A real wristband keeps its counter across restarts; so does the simulated one.
        bands = [
            SimBand(b.wristband.serial, float(b.home_lat), float(b.home_lon), seq=_last_seq(b.wristband))
            for b in bindings
        ]
        rate = options["rate"] or len(bands) / 30
        rng = random.Random(options["seed"] or None)  # noqa: S311 - a simulation, not a secret
        sim = Simulator(
            bands,
            interval_s=len(bands) / rate,
            rng=rng,
            eventful=options["eventful"],
            first_exit_after=options["first_exit_after"],
        )
        url = options["url"] or settings.MQTT_URL
        send = self._mqtt(url) if url else self._http(options["http_url"], bindings)
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        start, begun, sent, last_log = timezone.now(), time.monotonic(), 0, time.monotonic()
        self.stdout.write(
            f"simulating {len(bands)} wristbands at {rate:.1f} msg/s to {url or options['http_url']}"
        )
        while not stopping:
            clock = time.monotonic() - begun
            if options["duration"] and clock >= options["duration"]:
                break
            for band, payload in sim.due(clock, start):
                send(band.serial, payload)
                sent += 1
            if time.monotonic() - last_log >= 60:
                logger.info("simulator: %d messages sent", sent)
                last_log = time.monotonic()
            time.sleep(0.05)
        self.stdout.write(f"simulator stopped after {sent} messages")

    def _mqtt(self, url: str) -> Any:
        broker = broker_url(url)
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"gatehouse-simulator-{os.getpid()}",
            protocol=paho.MQTTv311,
        )
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(1, 10)
        client.connect_async(broker.host, broker.port, keepalive=30)
        client.loop_start()

        def send(serial: str, payload: dict[str, Any]) -> None:
            # While the broker is away paho keeps QoS 1 messages and sends them on reconnect.
            client.publish(topic_for(serial), json.dumps(payload), qos=1)

        return send

    def _http(self, endpoint: str, bindings: list[Binding]) -> Any:
        scope = Scope.for_role(Role.DISTRICT_COMMAND)
        tokens = {}
        for binding in bindings:
            _band, secret = wristband_credentials_issue(
                scope=scope, actor=SIMULATOR, wristband=binding.wristband
            )
            tokens[binding.wristband.serial] = credentials.device_token(binding.wristband.serial, secret)

        def send(serial: str, payload: dict[str, Any]) -> None:
            request = urllib.request.Request(  # noqa: S310 - the configured endpoint, http(s) only
                endpoint,
                data=json.dumps({"readings": [payload]}).encode(),
                headers={"Authorization": f"Bearer {tokens[serial]}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    response.read()
            except OSError as exc:
                logger.warning("simulator: HTTP post failed: %s", exc)

        return send
