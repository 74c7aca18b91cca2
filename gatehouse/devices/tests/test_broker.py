"""The ingester against the real broker: storage, persistent sessions, and bad input of every kind.

The ingester runs in the test's own thread (paho's network thread only queues messages), so the
test database transaction holds. Serials are unique per test; other traffic on the shared broker
is ignored by looking only at this test's serials.
"""

from __future__ import annotations

import json
import resource
import socket
import struct
import uuid
from collections import Counter, defaultdict

from django.utils import timezone

from gatehouse.alerts.models import Alert
from gatehouse.devices.ingester import Ingester
from gatehouse.devices.models import Telemetry, Wristband
from gatehouse.devices.pipeline import Incoming, Outcome, Pipeline
from gatehouse.devices.protocol import topic_for
from gatehouse.devices.tests.broker import publisher, shared_broker, wait_for
from gatehouse.devices.tests.helpers import bound_wristband, north_of_home, payload, unique_serial
from gatehouse.places.models import District, Neighbourhood, Street
from gatehouse.testing import BaseTestCase


class BrokerTestCase(BaseTestCase):
    def setUp(self):
        self.broker = shared_broker()
        self.band, self.binding, self.case = bound_wristband(self)
        self.outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        self.pub = publisher(self.broker)
        self.ingesters: list[Ingester] = []

    def tearDown(self):
        for ingester in self.ingesters:
            ingester.client.disconnect()
            ingester.client.loop_stop()
        self.pub.disconnect()
        self.pub.loop_stop()

    def observe(self, incoming: Incoming, outcome: Outcome) -> None:
        self.outcomes[incoming.serial or "?"][outcome.reason or outcome.status] += 1

    def ingester(
        self, client_id: str | None = None, shared: bool = False, session_expiry: int = 60, **kwargs
    ) -> Ingester:
        ingester = Ingester(
            broker=self.broker,
            client_id=client_id or f"test-ingest-{uuid.uuid4().hex[:12]}",
            pipeline=Pipeline(**kwargs),
            shared=shared,
            session_expiry=session_expiry,
            flush_seconds=0.02,
            observe=self.observe,
        )
        ingester.start()
        wait_for(ingester.subscribed.is_set, timeout=10, message="ingester subscribed")
        self.ingesters.append(ingester)
        return ingester

    def publish(self, serial: str, body, qos: int = 1) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.pub.publish(topic_for(serial), raw, qos=qos).wait_for_publish(timeout=10)

    def handled(self, serial: str) -> int:
        return sum(self.outcomes[serial].values())

    def pump(self, ingester: Ingester, serial: str, count: int, timeout: float = 20) -> None:
        wait_for(
            lambda: self.handled(serial) >= count,
            timeout=timeout,
            step=lambda: ingester.step(wait=0.05),
            message=f"{count} messages of {serial} handled, got {dict(self.outcomes[serial])}",
        )


class IngestTest(BrokerTestCase):
    def test_it_stores_what_wristbands_publish_and_raises_the_exit_alert(self):
        ingester = self.ingester()
        now = timezone.now()
        far = north_of_home(500)
        for seq, lat in ((1, None), (2, far), (3, far)):
            fields = {"lat": lat} if lat else {}
            self.publish(
                self.band.serial, payload(seq, at=now.replace(microsecond=0), **fields) | {"seq": seq}
            )
        self.pump(ingester, self.band.serial, 3)
        self.assertEqual(self.outcomes[self.band.serial]["stored"], 3)
        self.assertEqual(Telemetry.objects.filter(device=self.band).count(), 3)
        self.assertTrue(
            Alert.objects.filter(kind=Alert.Kind.GEOFENCE_EXIT, subject_resident=self.wang_fang).exists()
        )

    def test_a_restarted_ingester_receives_what_was_published_while_it_was_down(self):
        client_id = f"test-ingest-{uuid.uuid4().hex[:12]}"
        first = self.ingester(client_id)
        first.client.disconnect()
        first.client.loop_stop()
        self.ingesters.remove(first)
        now = timezone.now().replace(microsecond=0)
        for seq in range(1, 51):
            self.publish(self.band.serial, payload(seq, at=now - timezone.timedelta(seconds=60 - seq)))
        second = self.ingester(client_id)
        self.pump(second, self.band.serial, 50)
        self.assertEqual(Telemetry.objects.filter(device=self.band).count(), 50)

    def test_ingesters_with_a_shared_subscription_split_the_messages(self):
        # No lingering sessions: an offline member of the group could be handed the next run's messages.
        first = self.ingester(shared=True, session_expiry=0)
        second = self.ingester(shared=True, session_expiry=0)
        now = timezone.now().replace(microsecond=0)
        for seq in range(1, 41):
            self.publish(self.band.serial, payload(seq, at=now - timezone.timedelta(seconds=60 - seq)))
        wait_for(
            lambda: self.handled(self.band.serial) >= 40,
            timeout=20,
            step=lambda: (first.step(wait=0.02), second.step(wait=0.02)),
            message=f"shared handled {dict(self.outcomes[self.band.serial])}",
        )
        self.assertEqual(Telemetry.objects.filter(device=self.band).count(), 40)
        self.assertGreater(first.stats["stored"], 0)
        self.assertGreater(second.stats["stored"], 0)


class BadInputTest(BrokerTestCase):
    def test_every_kind_of_bad_input_is_counted_with_its_reason_and_ingestion_goes_on(self):
        other_street = Street.objects.create(
            district=District.objects.create(code="310104", name_zh="徐汇区"),
            code="310104001",
            name_zh="天平路街道",
        )
        foreign = Wristband.objects.create(
            serial=unique_serial("X"),
            model="HB-2",
            neighbourhood=Neighbourhood.objects.create(street=other_street, name="X居民区"),
        )
        ingester = self.ingester(district_code="310101")
        now = timezone.now().replace(microsecond=0)
        serial = self.band.serial
        unknown = unique_serial("U")
        bad = [
            (serial, b"{this is not json", "malformed_json"),
            (serial, json.dumps(payload("12", at=now)).encode(), "bad_seq"),
            (serial, json.dumps(payload(5, at=now, lat="31.2")).encode(), "bad_coordinates"),
            (serial, json.dumps(payload(6, at=now, worn=1)).encode(), "bad_worn"),
            (serial, json.dumps(payload(7, at=now + timezone.timedelta(days=3))).encode(), "ts_future"),
            (serial, json.dumps(payload(8, at=now - timezone.timedelta(days=90))).encode(), "ts_past"),
            (serial, json.dumps(payload(9, at=now, lat=float("nan"))).encode(), "malformed_json"),
            (serial, json.dumps(payload(9, at=now, lat=1e400)).encode(), "malformed_json"),
            (serial, json.dumps(payload(10, at=now, lat=95.0)).encode(), "bad_coordinates"),
            (serial, json.dumps(payload(11, at=now, temp_c=98.6)).encode(), "bad_temperature"),
            (serial, b"{" + b" " * (1024 * 1024) + b"}", "too_large"),
            (unknown, json.dumps(payload(1, at=now)).encode(), "unknown_serial"),
            (foreign.serial, json.dumps(payload(1, at=now)).encode(), "other_district"),
        ]
        for who, raw, _reason in bad:
            self.publish(who, raw)
        expected: dict[str, Counter[str]] = defaultdict(Counter)
        for who, _raw, reason in bad:
            expected[who][reason] += 1
        # A counter going backwards: seq 100 now, then seq 50 with a newer timestamp.
        self.publish(serial, payload(100, at=now - timezone.timedelta(seconds=10)))
        self.publish(serial, payload(50, at=now))
        expected[serial]["stored"] += 1
        expected[serial]["seq_backwards"] += 1
        for who in expected:
            self.pump(ingester, who, sum(expected[who].values()))
        # Only this test's serials: other tests publish on the same broker at the same time.
        self.assertEqual({k: self.outcomes[k] for k in expected}, dict(expected))
        self.assertEqual(ingester.stats["malformed_json"], 3)

        # A flood from one device: the first burst is stored, the rest cut off, others unaffected.
        flood_band, _, _ = bound_wristband(self, self.li_wei)
        for seq in range(1, 401):
            self.pub.publish(topic_for(flood_band.serial), json.dumps(payload(seq, at=now)), qos=0)
        self.publish(serial, payload(101, at=now + timezone.timedelta(seconds=1)))
        self.pump(ingester, serial, sum(expected[serial].values()) + 1)
        wait_for(
            lambda: self.handled(flood_band.serial) >= 400,
            timeout=20,
            step=lambda: ingester.step(wait=0.05),
            message="flood handled",
        )
        self.assertEqual(self.outcomes[flood_band.serial]["stored"], 120)
        self.assertEqual(self.outcomes[flood_band.serial]["rate_limited"], 280)
        self.assertEqual(self.outcomes[serial]["stored"], 2)

    def test_a_thousand_devices_reconnecting_at_once(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1500:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        ingester = self.ingester()
        now = timezone.now().replace(microsecond=0)
        serials = [self.band.serial] + [unique_serial("R") for _ in range(999)]
        sockets = []
        try:
            for serial in serials:
                sock = socket.create_connection((self.broker.host, self.broker.port), timeout=10)
                sockets.append(sock)
                sock.sendall(_connect_packet(f"test-dev-{serial}"))
            for sock, serial in zip(sockets, serials, strict=True):
                body = json.dumps(payload(1, at=now)).encode()
                sock.sendall(_publish_packet(topic_for(serial), body, packet_id=1))
            for sock in sockets:
                _read_until_puback(sock)
        finally:
            for sock in sockets:
                sock.close()
        wait_for(
            lambda: all(self.handled(s) for s in serials),
            timeout=30,
            step=lambda: ingester.step(wait=0.05),
            message="all thousand handled",
        )
        self.assertEqual(self.outcomes[self.band.serial]["stored"], 1)
        self.assertEqual(sum(self.outcomes[s]["unknown_serial"] for s in serials[1:]), 999)


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


def _connect_packet(client_id: str) -> bytes:
    body = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 30) + _string(client_id)
    return bytes([0x10]) + _remaining_length(len(body)) + body


def _publish_packet(topic: str, payload: bytes, packet_id: int) -> bytes:
    body = _string(topic) + struct.pack("!H", packet_id) + payload
    return bytes([0x32]) + _remaining_length(len(body)) + body


def _read_until_puback(sock: socket.socket) -> None:
    seen = b""
    while b"\x40\x02" not in seen:
        chunk = sock.recv(64)
        if not chunk:
            return
        seen += chunk
