"""Broker connection details from `MQTT_URL` (mqtt://user:pass@host:port, or mqtts:// for TLS)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from django.core.exceptions import ImproperlyConfigured
from paho.mqtt.client import PUBACK
from paho.mqtt.enums import MQTTErrorCode


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def broker_url(url: str) -> BrokerUrl:
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
        raise ImproperlyConfigured(f"MQTT_URL must look like mqtt://host:1883, got {parts.scheme}://…")
    tls = parts.scheme == "mqtts"
    return BrokerUrl(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


class BufferedClient(paho.Client):
    """paho-mqtt 2.2 reads each packet's header one byte per system call and handles one packet
    per network wake-up. At thousands of messages a second that, not the broker, is the limit:
    this client reads the socket in 64 KiB chunks and handles every buffered packet per wake-up.

    It relies on two internals of the pinned paho version (`_sock_recv`, `_packet_read`); the
    broker tests and the benchmark go through it.
    """

    CHUNK = 65536
    _PUBACK = struct.Struct("!BBH")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = b""
        self._rpos = 0

    def ack_many(self, mids: Sequence[int]) -> MQTTErrorCode:
        """Acknowledge many QoS 1 messages with one queued write: `ack()` wakes the network loop
        once per message, which costs more than storing the message."""
        if not mids:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        packet = b"".join(self._PUBACK.pack(PUBACK, 2, mid) for mid in mids)
        return self._packet_queue(PUBACK, packet, 0, 1)

    def reconnect(self) -> MQTTErrorCode:
        self._rbuf, self._rpos = b"", 0  # bytes of the old connection must not reach the new one
        return super().reconnect()

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf):
            chunk = super()._sock_recv(self.CHUNK)  # raises BlockingIOError when nothing is there
            if not chunk:
                return chunk  # the connection closed
            self._rbuf, self._rpos = chunk, 0
        out = self._rbuf[self._rpos : self._rpos + bufsize]
        self._rpos += len(out)
        return out

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        handled = 0
        while True:
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return MQTTErrorCode.MQTT_ERR_SUCCESS
            if rc > 0:
                return self._loop_rc_handle(rc)
            handled += 1
            # Let the network loop write (acknowledgements) now and then; never leave buffered
            # bytes behind, since select() would not wake up for them.
            if handled >= 1000 and self._rpos >= len(self._rbuf):
                return MQTTErrorCode.MQTT_ERR_SUCCESS
