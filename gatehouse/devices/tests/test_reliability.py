"""Reliability against a real Mosquitto of our own (shipped configuration) and PostgreSQL.

The ingester runs as `manage.py ingest` in a subprocess: it is killed with SIGKILL mid-stream and
restarted, and the broker is stopped and restarted under it. Every published message must end up
stored exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

from gatehouse.devices.models import Telemetry
from gatehouse.devices.protocol import topic_for
from gatehouse.devices.tests.broker import OwnBroker, publisher, wait_for
from gatehouse.devices.tests.helpers import bound_wristband, payload
from gatehouse.testing import make_world

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.usefixtures("postgres")
class ReliabilityTest(TransactionTestCase):
    def setUp(self):
        make_world(self)
        self.bands = [
            bound_wristband(self, resident)[0]
            for resident in (self.wang_fang, self.li_wei, self.chen_jing, self.employee)
        ]
        self.broker = OwnBroker()
        self.broker.start()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.log = self.broker.dir / "ingest.log"

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.broker.cleanup()

    def ingester(self, client_id: str) -> subprocess.Popen[bytes]:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_SETTINGS_MODULE": "gatehouse.settings_test",
        }
        start = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "ingest",
                    "--url",
                    self.broker.url,
                    "--client-id",
                    client_id,
                    "--flush-ms",
                    "20",
                    "--log-every",
                    "1",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        wait_for(
            lambda: b"connected to" in self.log.read_bytes()[start:],
            timeout=30,
            message=f"ingester connected; log: {self.log.read_text()[-2000:]}",
        )
        return process

    def stream(self, count: int, *, pause_every: int = 100) -> tuple[threading.Thread, list[int]]:
        """Publish `count` readings over the four wristbands in the background; returns the thread
        and a list that holds how many the broker acknowledged."""
        client = publisher(self.broker.broker, persistent=True)
        base = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=count + 60)
        done: list[int] = [0]

        def run() -> None:
            infos = []
            for i in range(count):
                band = self.bands[i % len(self.bands)]
                body = payload(i // len(self.bands) + 1, at=base + dt.timedelta(seconds=i))
                infos.append(client.publish(topic_for(band.serial), json.dumps(body), qos=1))
                if i % pause_every == pause_every - 1:
                    time.sleep(0.05)
            # A publish while the broker is away returns "not connected" but stays queued in paho,
            # which sends it after reconnecting: wait for the broker's PUBACK of every one.
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not all(info._published for info in infos):
                time.sleep(0.05)
            done[0] = sum(1 for info in infos if info._published)
            client.disconnect()
            client.loop_stop()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, done

    def stored(self) -> int:
        return Telemetry.objects.filter(device__in=self.bands).count()

    def test_sigkill_mid_stream_loses_nothing_and_stores_nothing_twice(self):
        client_id = f"test-ingest-{uuid.uuid4().hex[:10]}"
        first = self.ingester(client_id)
        thread, published = self.stream(3000)
        wait_for(lambda: self.stored() >= 300, timeout=30, message="first readings stored")
        first.send_signal(signal.SIGKILL)
        first.wait()
        self.assertLess(self.stored(), 3000, "the kill came after the stream; nothing was tested")
        time.sleep(0.5)
        second = self.ingester(client_id)
        thread.join(timeout=60)
        self.assertEqual(published[0], 3000)
        wait_for(lambda: self.stored() >= 3000, timeout=60, message=f"all stored, have {self.stored()}")
        time.sleep(1)  # anything redelivered late must not add a row
        self.assertEqual(self.stored(), 3000)
        self.assertEqual(
            Telemetry.objects.filter(device__in=self.bands).values("device_id", "seq").distinct().count(),
            3000,
        )
        second.send_signal(signal.SIGTERM)
        self.assertEqual(second.wait(timeout=30), 0)
        self.assertIn(b"ingester stopped", self.log.read_bytes())

    def test_the_ingester_reconnects_after_a_broker_restart_and_loses_nothing(self):
        self.ingester(f"test-ingest-{uuid.uuid4().hex[:10]}")
        thread, published = self.stream(2000, pause_every=50)
        wait_for(lambda: self.stored() >= 200, timeout=30, message="first readings stored")
        self.broker.stop()
        time.sleep(1)
        self.broker.start()
        thread.join(timeout=90)
        self.assertEqual(published[0], 2000)
        wait_for(lambda: self.stored() >= 2000, timeout=60, message=f"all stored, have {self.stored()}")
        time.sleep(1)
        self.assertEqual(self.stored(), 2000)
        self.assertGreaterEqual(self.log.read_bytes().count(b"connected to"), 2)
