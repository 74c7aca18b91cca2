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

    def _handle_publish(self) -> MQTTErrorCode:
        """A lean PUBLISH decoder for MQTT v5 QoS 0/1: paho builds a `Properties` object for every
        message (most of its per-message cost); we use no properties, so they are skipped."""
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if self._protocol != paho.MQTTv5 or qos > 1 or self._on_message_filtered._root._children:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            end = 2 + int.from_bytes(packet[0:2], "big")
            topic = packet[2:end]
            mid = 0
            if qos:
                mid = int.from_bytes(packet[end : end + 2], "big")
                end += 2
            length, shift = 0, 0
            while True:  # the properties' length, a variable byte integer
                byte = packet[end]
                end += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80 or shift > 21:
                    break
            end += length
            if end > len(packet) or not topic:
                return MQTTErrorCode.MQTT_ERR_PROTOCOL
        except IndexError:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        message = paho.MQTTMessage(mid=mid, topic=bytes(topic))
        message.qos = qos
        message.dup = bool(header & 0x08)
        message.retain = bool(header & 0x01)
        message.payload = bytes(packet[end:])
        on_message = self.on_message
        if on_message is not None:
            with self._in_callback_mutex:
                on_message(self, self._userdata, message)
        if qos == 1 and not self._manual_ack:
            return self._send_puback(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

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
