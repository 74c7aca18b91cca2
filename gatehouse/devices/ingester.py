"""The MQTT side of ingestion: a thin adapter from paho-mqtt to the `Pipeline`.

paho's network thread only parses packets and queues messages; the main thread takes batches,
runs the pipeline (one transaction), and acknowledges (PUBACK) each message only after the
commit. A SIGKILL at any moment therefore loses nothing: whatever was not acknowledged is
redelivered on the persistent session, and the unique key stores it once.

Acknowledgements name a packet id, which the broker reuses once acknowledged; so a message is
acknowledged only on the connection it arrived on (its "generation"). One that arrived on an
earlier connection is redelivered by the broker on the new one and acknowledged then.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gatehouse.devices.mqtt import BrokerUrl, BufferedClient
from gatehouse.devices.pipeline import REJECTED, Incoming, Outcome, Pipeline
from gatehouse.devices.protocol import SHARED_GROUP, TOPIC_FILTER, Reason, serial_from_topic

logger = logging.getLogger("gatehouse.devices.ingest")

SESSION_EXPIRY_S = 7 * 24 * 3600
# The broker may send this many unacknowledged messages; a batch is acknowledged only after its
# commit, so it must exceed the batch size (Mosquitto's default for v3 clients is 20).
RECEIVE_MAXIMUM = 65535
REJECTION_LOG_LINES = 5


class Ingester:
    def __init__(
        self,
        *,
        broker: BrokerUrl,
        client_id: str,
        pipeline: Pipeline,
        shared: bool = False,
        batch_size: int = 2000,
        flush_seconds: float = 0.1,
        log_every: float = 10.0,
        refresh_every: float = 5.0,
        session_expiry: int = SESSION_EXPIRY_S,
        observe: Callable[[Incoming, Outcome], None] | None = None,
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.pipeline = pipeline
        self.topic = f"$share/{SHARED_GROUP}/{TOPIC_FILTER}" if shared else TOPIC_FILTER
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.log_every = log_every
        self.refresh_every = refresh_every
        self.session_expiry = session_expiry
        self.observe = observe
        self.queue: queue.SimpleQueue[tuple[int, Incoming]] = queue.SimpleQueue()
        self.generation = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.stats: Counter[str] = Counter()
        self._window: Counter[str] = Counter()
        self._window_started = time.monotonic()
        self._logged: Counter[str] = Counter()
        self._refreshed = time.monotonic()
        self.client = self._client()

    # --- paho's thread -----------------------------------------------------------------------------

    def _client(self) -> BufferedClient:
        client = BufferedClient(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            logger.error("broker refused the ingester: %s", reason)
            return
        self.generation += 1
        logger.info(
            "connected to %s:%s as %s (session present: %s)",
            self.broker.host,
            self.broker.port,
            self.client_id,
            flags.session_present,
        )
        # Subscribing again on a resumed session is harmless; never unsubscribe, or the broker
        # stops keeping messages for us while we are away.
        client.subscribe(self.topic, qos=1)
        self.connected.set()

    def _on_subscribe(self, client: paho.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        self.subscribed.set()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        self.subscribed.clear()
        logger.warning("disconnected from the broker (%s); paho reconnects by itself", reason)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        incoming = Incoming(
            serial=serial_from_topic(message.topic),
            payload=bytes(message.payload),
            received_at=dt.datetime.now(dt.UTC),
            tag=(message.mid, message.qos, message.topic),
        )
        self.queue.put((self.generation, incoming))

    # --- the main thread ---------------------------------------------------------------------------

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.session_expiry
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect_async(
            self.broker.host, self.broker.port, keepalive=30, clean_start=False, properties=props
        )
        self.client.loop_start()

    def _take(self, wait: float) -> list[tuple[int, Incoming]]:
        try:
            batch = [self.queue.get(timeout=wait)]
        except queue.Empty:
            return []
        until = time.monotonic() + self.flush_seconds
        while len(batch) < self.batch_size:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                if time.monotonic() >= until:
                    break
                time.sleep(0.002)
        return batch

    def step(self, wait: float = 0.5) -> int:
        """Take one batch, store it, acknowledge it. Returns how many messages it handled."""
        now = time.monotonic()
        if now - self._refreshed >= self.refresh_every:
            self._refreshed = now
            self._guarded(self.pipeline.refresh)
        batch = self._take(wait)
        if batch:
            outcomes = self._process([incoming for _, incoming in batch])
            current = self.generation
            acks = []
            for (generation, incoming), outcome in zip(batch, outcomes, strict=True):
                self._count(incoming, outcome)
                if self.observe is not None:
                    self.observe(incoming, outcome)
                mid, qos, _topic = incoming.tag
                if qos == 1 and generation == current:
                    acks.append(mid)
            # Only now, after the commit: see the module docstring.
            self.client.ack_many(acks)
        self._log_rate()
        return len(batch)

    def _guarded(self, fn: Any) -> None:
        try:
            fn()
        except DatabaseError:
            logger.exception("database error")
            connection.close()

    def _process(self, items: list[Incoming]) -> list[Outcome]:
        attempt = 0
        while True:
            try:
                return self.pipeline.process(items).outcomes
            except (OperationalError, InterfaceError):
                # The database is away: keep the batch unacknowledged and wait for it.
                attempt += 1
                logger.exception("database unavailable (attempt %d); retrying the batch", attempt)
                self.pipeline.reset()
                connection.close()
                time.sleep(min(2**attempt, 10))
            except Exception:
                logger.exception("batch failed; storing its messages one by one")
                self.pipeline.reset()
                connection.close()
                return [self._process_one(item) for item in items]

    def _process_one(self, item: Incoming) -> Outcome:
        try:
            return self.pipeline.process([item]).outcomes[0]
        except Exception:
            logger.exception("message could not be stored")
            self.pipeline.reset()
            connection.close()
            return Outcome(REJECTED, Reason.STORE_ERROR)

    def _count(self, incoming: Incoming, outcome: Outcome) -> None:
        key = outcome.reason or outcome.status
        self.stats[key] += 1
        self._window[key] += 1
        if outcome.status == REJECTED:
            self.stats["rejected"] += 1
            self._window["rejected"] += 1
            self._logged[key] += 1
            if self._logged[key] <= REJECTION_LOG_LINES:
                logger.warning(
                    "rejected message from %r: %s (%d bytes)",
                    (incoming.serial or incoming.tag[2])[:40],
                    key,
                    len(incoming.payload) if isinstance(incoming.payload, bytes) else 0,
                )

    def _log_rate(self, force: bool = False) -> None:
        elapsed = time.monotonic() - self._window_started
        if elapsed < self.log_every and not force:
            return
        total = sum(v for k, v in self._window.items() if k != "rejected")
        if total or force:
            rejected = {k: v for k, v in self._window.items() if k not in {"stored", "duplicate", "rejected"}}
            logger.info(
                "ingest: %.0f msg/s over %.0f s; stored %d, duplicates %d, rejected %d %s; queued %d",
                total / elapsed if elapsed else 0.0,
                elapsed,
                self._window["stored"],
                self._window["duplicate"],
                self._window["rejected"],
                dict(rejected) if rejected else "",
                self.queue.qsize(),
            )
        self._window.clear()
        self._logged.clear()
        self._window_started = time.monotonic()

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: then finish the batch in hand, acknowledge it, and disconnect."""
        self.start()
        try:
            while not stop.is_set():
                self.step()
            # Whatever is already queued is stored and acknowledged; the rest stays with the broker.
            while self.step(wait=0.0) and self.connected.is_set():
                pass
        finally:
            self._log_rate(force=True)
            self.client.disconnect()
            self.client.loop_stop()
            logger.info("ingester stopped: %s", dict(self.stats))
