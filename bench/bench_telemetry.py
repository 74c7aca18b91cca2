"""Wristband telemetry: sustained ingestion (validation, rules, storage) against a bare paho
subscriber that only counts the same messages, and publish-to-alert latency.

Runs against PostgreSQL (its own database, gh_bench_telemetry, created and dropped here) and a
Mosquitto of its own on a free port with the shipped configuration. Prints:
  bench: telemetry_ingest_per_s VALUE msgs/s ratio=R vs raw_subscriber
  bench: alert_latency_p99_ms VALUE ms
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "gh_bench_telemetry"
DEVICES = int(os.environ.get("BENCH_TELEMETRY_DEVICES", "2000"))
MESSAGES = int(os.environ.get("BENCH_TELEMETRY_MESSAGES", "200000"))
LATENCY_ALERTS = 200
# msg/s of ordinary readings while the alert latency is measured: three times a 10,000-wristband
# district reporting every 30 s.
BACKGROUND_RATE = 1000
WARM_UP_S = 5
HOME = (31.2304, 121.4737)


def main() -> None:
    admin = os.environ.get("BENCH_POSTGRES", "postgres://root@127.0.0.1:5432/postgres")
    base = admin.rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "gatehouse.settings_test",
        "BENCH_POSTGRES": admin,
        "GATEHOUSE_LOG_LEVEL": "ERROR",
    }
    # A child process of its own: its own Django settings and database, whatever else `make bench` ran.
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_telemetry", "--child"], cwd=ROOT, env=env, check=False
    )
    if result.returncode:
        raise RuntimeError(f"bench_telemetry child failed with {result.returncode}")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["BENCH_POSTGRES"], autocommit=True) as conn:
        conn.execute(sql)


def _world(devices: int) -> list[tuple[str, float, float]]:
    """Places, residents, home-observation cases and bound wristbands, written in bulk."""
    from django.utils import timezone

    from gatehouse.demo.seed import Scale, seed_places, seed_residents
    from gatehouse.devices.models import Binding, Wristband
    from gatehouse.observation.models import ObservationCase
    from gatehouse.people.models import Resident

    rng = random.Random(7)
    scale = Scale(
        streets=1, neighbourhoods_per_street=4, compounds_per_neighbourhood=5, residents=devices + 200
    )
    _district, compounds, _ = seed_places(scale=scale, rng=rng)
    seed_residents(compounds=compounds, total=scale.residents, rng=rng)
    today = timezone.localdate()
    residents = list(Resident.objects.select_related("compound").order_by("id")[:devices])
    cases = ObservationCase.objects.bulk_create(
        [
            ObservationCase(
                resident=r,
                household_id=r.household_id,
                compound=r.compound,
                kind=ObservationCase.Kind.HOME_OBSERVATION,
                source=ObservationCase.Source.MANUAL,
                reason="bench",
                starts_on=today,
                ends_on=today + dt.timedelta(days=14),
            )
            for r in residents
        ]
    )
    bands = Wristband.objects.bulk_create(
        [
            Wristband(
                serial=f"B{i:06d}",
                model="HB-2",
                neighbourhood_id=r.compound.neighbourhood_id,
                status=Wristband.Status.BOUND,
            )
            for i, r in enumerate(residents)
        ]
    )
    now = timezone.now()
    homes = [(HOME[0] + rng.uniform(-0.02, 0.02), HOME[1] + rng.uniform(-0.02, 0.02)) for _ in bands]
    Binding.objects.bulk_create(
        [
            Binding(
                wristband=band,
                case=case,
                compound_id=case.compound_id,
                home_lat=round(lat, 6),
                home_lon=round(lon, 6),
                radius_m=50,
                bound_at=now,
                silent_after=now + dt.timedelta(days=1),
            )
            for band, case, (lat, lon) in zip(bands, cases, homes, strict=True)
        ]
    )
    return [(band.serial, lat, lon) for band, (lat, lon) in zip(bands, homes, strict=True)]


def _reading(seq: int, at: dt.datetime, lat: float, lon: float, rng: random.Random) -> bytes:
    return json.dumps(
        {
            "seq": seq,
            "ts": at.isoformat(timespec="seconds"),
            "lat": round(lat + rng.gauss(0, 0.00005), 6),
            "lon": round(lon + rng.gauss(0, 0.00005), 6),
            "accuracy_m": round(rng.uniform(5, 20), 1),
            "temp_c": round(rng.gauss(36.5, 0.2), 1),
            "heart_rate": int(rng.gauss(72, 6)),
            "worn": True,
            "battery_pct": 80,
        }
    ).encode()


def _session(broker, client_id: str, *, count_to: int = 0, buffered: bool = False):
    """A v5 persistent session subscribed to the wristband topics (QoS 1)."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from gatehouse.devices.protocol import TOPIC_FILTER

    state = {"count": 0, "first": 0.0, "last": 0.0}
    done = threading.Event()
    subscribed = threading.Event()
    from gatehouse.devices.mqtt import BufferedClient

    cls = BufferedClient if buffered else paho.Client
    client = cls(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)

    def on_connect(c, u, f, reason, p):
        c.subscribe(TOPIC_FILTER, qos=1)

    def on_message(c, u, message):
        now = time.perf_counter()
        if not state["count"]:
            state["first"] = now
        state["count"] += 1
        state["last"] = now
        if count_to and state["count"] >= count_to:
            done.set()

    client.on_connect = on_connect
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 65535
    client.connect(broker.host, broker.port, clean_start=False, properties=props)
    client.loop_start()
    subscribed.wait(10)
    return client, state, done


def _publish_all(broker, messages: list[tuple[str, bytes]]) -> None:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from gatehouse.devices.protocol import topic_for

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    # In chunks: paho's packet ids wrap at 65,535 outstanding messages.
    for start in range(0, len(messages), 20_000):
        infos = [
            client.publish(topic_for(serial), body, qos=1)
            for serial, body in messages[start : start + 20_000]
        ]
        for info in infos:
            info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def child() -> None:
    _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    _admin(f"CREATE DATABASE {DB_NAME}")
    broker_proc = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from gatehouse.devices.ingester import Ingester
        from gatehouse.devices.pipeline import Pipeline
        from gatehouse.devices.services import telemetry_partitions_ensure
        from gatehouse.devices.tests.broker import OwnBroker

        call_command("migrate", verbosity=0)
        telemetry_partitions_ensure(now=timezone.now())
        homes = _world(DEVICES)
        broker_proc = OwnBroker()
        broker_proc.start()
        broker = broker_proc.broker

        # Both sessions exist before anything is published, so each is queued every message.
        for client_id in ("bench-raw", "bench-raw-buffered", "bench-ingest"):
            client, _, _ = _session(broker, client_id)
            client.disconnect()
            client.loop_stop()
        rng = random.Random(1)
        per_device = MESSAGES // len(homes)
        start = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=per_device + 60)
        messages = [
            (serial, _reading(k + 1, start + dt.timedelta(seconds=k), lat, lon, rng))
            for k in range(per_device)
            for serial, lat, lon in homes
        ]
        total = len(messages)
        _publish_all(broker, messages)
        del messages

        raw, state, done = _session(broker, "bench-raw", count_to=total)
        done.wait(300)
        raw.disconnect()
        raw.loop_stop()
        raw_rate = state["count"] / (state["last"] - state["first"])
        raw, state, done = _session(broker, "bench-raw-buffered", count_to=total, buffered=True)
        done.wait(300)
        raw.disconnect()
        raw.loop_stop()
        buffered_rate = state["count"] / (state["last"] - state["first"])

        ingester = Ingester(broker=broker, client_id="bench-ingest", pipeline=Pipeline(), log_every=3600)
        ingester.start()
        profiler = None
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        first = None
        handled = 0
        deadline = time.monotonic() + 600
        while handled < total and time.monotonic() < deadline:
            n = ingester.step(wait=1.0)
            if n and first is None:
                first = time.perf_counter()
            handled += n
        elapsed = time.perf_counter() - (first or time.perf_counter())
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats(
                os.environ.get("BENCH_PROFILE_SORT", "cumulative")
            ).print_stats(35)
        ingester.client.disconnect()
        ingester.client.loop_stop()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM devices_telemetry")
            stored = cursor.fetchone()[0]
        if stored != total:
            raise RuntimeError(f"stored {stored} of {total}")
        rate = total / elapsed
        print(
            f"bench: telemetry_ingest_per_s {rate:.0f} msgs/s ratio={rate / raw_rate:.2f} vs raw_subscriber"
        )
        print(
            f"  ({total} messages from {len(homes)} wristbands; raw subscriber {raw_rate:.0f} msgs/s,"
            f" raw subscriber on our buffered client {buffered_rate:.0f} msgs/s"
            f" (ratio {rate / buffered_rate:.2f});"
            f" one ingester holds {rate * 30:,.0f} wristbands at one report per 30 s)",
            file=sys.stderr,
        )
        connection.close()
        p99 = _alert_latency(broker_proc, homes, per_device + 1)
        print(f"bench: alert_latency_p99_ms {p99:.0f} ms")
    finally:
        if broker_proc is not None:
            broker_proc.cleanup()
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")


def _alert_latency(broker_proc, homes: list[tuple[str, float, float]], next_seq: int) -> float:
    """The real `manage.py ingest` under a steady stream; time from publishing the second fix
    outside home to the alert row being visible to another connection."""
    import paho.mqtt.client as paho
    import psycopg
    from paho.mqtt.enums import CallbackAPIVersion

    from gatehouse.devices.protocol import topic_for

    env = {**os.environ, "GATEHOUSE_LOG_LEVEL": "WARNING"}
    ingest = subprocess.Popen(
        [sys.executable, "manage.py", "ingest", "--url", broker_proc.url, "--client-id", "bench-live"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # Django start and subscription
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-live-pub-{uuid.uuid4().hex[:8]}")
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.connect(broker_proc.broker.host, broker_proc.broker.port)
        client.loop_start()
        published: dict[str, float] = {}
        seen: dict[str, float] = {}
        stop = threading.Event()
        dsn = os.environ["DATABASE_URL"]

        def watch() -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                while not stop.is_set():
                    rows = conn.execute(
                        "SELECT evidence->0->>'serial' FROM alerts_alert WHERE kind = 'geofence_exit'"
                    ).fetchall()
                    now = time.time()
                    for (serial,) in rows:
                        seen.setdefault(serial, now)
                    time.sleep(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        rng = random.Random(2)
        leavers = rng.sample(homes, LATENCY_ALERTS)
        leaving = {serial for serial, _, _ in leavers}
        stayers = [h for h in homes if h[0] not in leaving]
        seqs = dict.fromkeys([h[0] for h in homes], next_seq)
        period = 1 / BACKGROUND_RATE
        t_next = time.perf_counter()
        exits = iter(leavers)
        sent = 0
        from django.utils import timezone

        begin = time.perf_counter()
        while time.perf_counter() - begin < WARM_UP_S + 25:
            now = timezone.now().replace(microsecond=0)
            serial, lat, lon = stayers[sent % len(stayers)]
            seqs[serial] += 1
            client.publish(topic_for(serial), _reading(seqs[serial], now, lat, lon, rng), qos=1)
            sent += 1
            if sent % 100 == 0 and time.perf_counter() - begin > WARM_UP_S:
                leaver = next(exits, None)
                if leaver is not None:
                    serial, lat, lon = leaver
                    for step in range(2):
                        seqs[serial] += 1
                        body = json.loads(
                            _reading(seqs[serial], now + dt.timedelta(seconds=step), lat + 0.01, lon, rng)
                        )
                        if step == 1:
                            published[serial] = time.time()
                        client.publish(topic_for(serial), json.dumps(body), qos=1)
            t_next += period
            delay = t_next - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        deadline = time.time() + 30
        while time.time() < deadline and not all(s in seen for s in published):
            time.sleep(0.1)
        stop.set()
        watcher.join()
        client.disconnect()
        client.loop_stop()
        latencies = sorted((seen[s] - published[s]) * 1000 for s in published if s in seen)
        missing = len(published) - len(latencies)
        if missing:
            raise RuntimeError(f"{missing} of {len(published)} exits raised no alert")
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(
            f"  (alert latency over {len(latencies)} exits: median {statistics.median(latencies):.0f} ms,"
            f" p99 {p99:.0f} ms, max {latencies[-1]:.0f} ms,"
            f" under {BACKGROUND_RATE} msg/s of other readings)",
            file=sys.stderr,
        )
        return p99
    finally:
        ingest.terminate()
        ingest.wait(timeout=30)


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.path.insert(0, str(ROOT))
        child()
    else:
        main()
