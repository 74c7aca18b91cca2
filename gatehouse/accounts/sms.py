"""Sending text messages: one small base class, one adapter per way of sending.

`sms_gateway()` picks the adapter named by settings.SMS_GATEWAY. Every adapter is off until
configured: "off" sends nothing, "console" prints to the server's console (the demo), "http" posts to
a provider's HTTP API, "memory" keeps the messages in `outbox` for tests.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from gatehouse.lib.phones import phone_mask

logger = logging.getLogger("gatehouse.sms")


@dataclass(frozen=True)
class SmsMessage:
    to: str  # national form, 11 digits for a mobile
    text: str


class SmsGateway:
    """Deliver one message. `slow` adapters are called off the request thread, so a known number's
    answer takes as long as an unknown one's (no enumeration through timing)."""

    name = "base"
    slow = False
    enabled = True

    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class OffGateway(SmsGateway):
    name = "off"
    enabled = False

    def send(self, message: SmsMessage) -> None:
        logger.warning("SMS gateway is off: a message to %s was not sent", phone_mask(message.to))


class ConsoleGateway(SmsGateway):
    """The demo's gateway: the code appears in the terminal that runs `make demo`."""

    name = "console"

    def send(self, message: SmsMessage) -> None:
        # stdout rather than the log: the demo user must see it, and it is not a log event.
        print(f"[SMS to {phone_mask(message.to)}] {message.text}", file=sys.stdout, flush=True)


# Test-only: what MemoryGateway has "sent", newest last.
outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class MemoryGateway(SmsGateway):
    name = "memory"

    def send(self, message: SmsMessage) -> None:
        with _outbox_lock:
            outbox.append(message)


class HttpGateway(SmsGateway):
    """A provider's HTTP API: POST {"to": "+86…", "text": "…"} with a bearer token."""

    name = "http"
    slow = True

    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, message: SmsMessage) -> None:
        body = json.dumps({"to": "+86" + message.to, "text": message.text}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's, checked to be http(s)
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except OSError as exc:  # URLError, HTTPError, timeouts: all OSError
            logger.error("SMS to %s failed: %s", phone_mask(message.to), exc.__class__.__name__)
            return
        if status >= 300:
            logger.error("SMS to %s refused by the gateway (HTTP %s)", phone_mask(message.to), status)


def sms_gateway() -> SmsGateway:
    kind = settings.SMS_GATEWAY
    if kind == "console":
        return ConsoleGateway()
    if kind == "memory":
        return MemoryGateway()
    if kind == "http":
        return HttpGateway(settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN, settings.SMS_HTTP_TIMEOUT_SECONDS)
    return OffGateway()


def sms_send(message: SmsMessage) -> None:
    """Send now, or on a background thread for a slow gateway; never raises into the caller."""
    gateway = sms_gateway()
    if gateway.slow:
        threading.Thread(target=gateway.send, args=(message,), daemon=True, name="sms-send").start()
    else:
        gateway.send(message)
