"""The simulator and the demo seed: realistic readings that the pipeline accepts, over the real broker."""

from __future__ import annotations

import datetime as dt
import io
import random
import signal
import uuid
from collections import Counter

from django.core.management import call_command
from django.utils import timezone

from gatehouse.devices.ingester import Ingester
from gatehouse.devices.models import Binding, Telemetry, Wristband
from gatehouse.devices.pipeline import Pipeline
from gatehouse.devices.protocol import reading_from_dict
from gatehouse.devices.seed import seed_wristbands
from gatehouse.devices.simulator import SimBand, Simulator
from gatehouse.devices.tests.broker import shared_broker, wait_for
from gatehouse.devices.tests.helpers import bound_wristband
from gatehouse.testing import BaseTestCase


def test_every_simulated_reading_passes_validation():
    bands = [SimBand(f"SIM{i}", 31.23, 121.47) for i in range(20)]
    sim = Simulator(bands, rng=random.Random(3), eventful=500)
    start = dt.datetime(2020, 2, 20, tzinfo=dt.UTC)
    seen = Counter()
    for second in range(0, 6 * 3600, 5):
        for _band, payload in sim.due(second, start):
            reading = reading_from_dict(payload, now=start + dt.timedelta(seconds=second))
            assert not isinstance(reading, str), (payload, reading)
            seen["worn" if reading.worn else "removed"] += 1
    assert seen["worn"] > 1000
    assert seen["removed"] > 0


def test_the_demo_exit_comes_when_promised():
    bands = [SimBand("SIM1", 31.23, 121.47), SimBand("SIM2", 31.23, 121.47)]
    sim = Simulator(bands, interval_s=10, rng=random.Random(5), first_exit_after=60)
    start = dt.datetime(2020, 2, 20, 4, tzinfo=dt.UTC)  # noon in Shanghai
    states = [bands[0].state for second in range(0, 120) if sim.due(second, start) is not None]
    assert states[50] == "home"
    assert bands[0].state == "out"


class SimulatorCommandTest(BaseTestCase):
    def test_the_offline_report_counts_alerts_per_case_day(self):
        out = io.StringIO()
        call_command("simulate_wristbands", report_days=1, devices=10, stdout=out)
        self.assertIn("alerts per case-day:", out.getvalue())

    def test_it_publishes_the_bound_wristbands_readings_to_the_broker(self):
        broker = shared_broker()
        band, _, _ = bound_wristband(self)
        stored = Counter()
        ingester = Ingester(
            broker=broker,
            client_id=f"test-ingest-{uuid.uuid4().hex[:10]}",
            pipeline=Pipeline(),
            session_expiry=60,
            flush_seconds=0.02,
            observe=lambda incoming, outcome: stored.update([(incoming.serial, outcome.status)]),
        )
        ingester.start()
        try:
            wait_for(ingester.subscribed.is_set, timeout=10, message="subscribed")
            url = f"mqtt://{broker.host}:{broker.port}"
            # The simulator runs here (it reads the bindings); paho's thread queues what arrives.
            handlers = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
            try:
                call_command(
                    "simulate_wristbands", devices=1, rate=5, duration=2, url=url, stdout=io.StringIO()
                )
            finally:
                signal.signal(signal.SIGTERM, handlers[0])
                signal.signal(signal.SIGINT, handlers[1])
            wait_for(
                lambda: stored[(band.serial, "stored")] >= 5,
                timeout=20,
                step=lambda: ingester.step(wait=0.05),
                message=f"simulated readings stored: {stored}",
            )
        finally:
            ingester.client.disconnect()
            ingester.client.loop_stop()
        self.assertGreaterEqual(Telemetry.objects.filter(device=band).count(), 5)


class DemoSeedTest(BaseTestCase):
    def test_the_seed_binds_wristbands_in_worker_as_neighbourhood(self):
        seed_wristbands(scale_name="tiny", rng=random.Random(1))
        bound = Binding.objects.filter(status=Binding.Status.ACTIVE)
        self.assertEqual({b.compound.neighbourhood_id for b in bound}, {self.nb_a.id})
        self.assertEqual(bound.count(), 2)  # 王芳 and 吴刚 are the people of neighbourhood A
        self.assertEqual(Wristband.objects.filter(status=Wristband.Status.IN_STOCK).count(), 4)
        self.assertTrue(all(b.silent_after > timezone.now() for b in bound))
