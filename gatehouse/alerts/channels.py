"""Notification channels: one base class, one small plug-in per way of reaching a person.

`settings.GATEHOUSE_ALERT_CHANNELS` names the channels in use (the demo: only `log`). Each gateway
is off until its settings are present; settings.py refuses to start when a listed channel lacks
them. Channels are called by the worker for rows of the notification outbox, never inside a
request or a transaction: a channel that raises leaves its row to be retried, the alert stays.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from gatehouse.alerts.models import Alert

logger = logging.getLogger("gatehouse.alerts")


@dataclass(frozen=True)
class Recipient:
    label: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Notice:
    """What a channel sends: an alert, the level being told, and the people at that level."""

    alert: Alert
    level: str
    reason: str
    recipients: tuple[Recipient, ...]

    def text(self) -> str:
        """One short line in the site language. Only the masked subject name: SMS leaves the system."""
        alert = self.alert
        with translation.override(settings.LANGUAGE_CODE):
            head = _("Escalated alert") if self.reason == "escalated" else _("New alert")
            place = alert.neighbourhood.name + (f" {alert.compound.name}" if alert.compound else "")
            subject = f" {alert.subject_label}" if alert.subject_label else ""
            return f"[{head}] {alert.get_kind_display()}: {alert.title} · {place}{subject}"


class ChannelError(Exception):
    """The gateway refused or could not be reached; the outbox row will be retried."""


class Channel:
    name: ClassVar[str] = "base"

    def send(self, notice: Notice) -> int:
        """Deliver `notice`; return how many recipients it reached. Raise ChannelError to retry."""
        raise NotImplementedError


class LogChannel(Channel):
    """The demo's channel: one log line per notice, without personal data."""

    name = "log"

    def send(self, notice: Notice) -> int:
        alert = notice.alert
        logger.warning(
            "ALERT %s %s [%s] %s (%s) -> %s level, %d people",
            notice.reason,
            alert.kind,
            alert.get_severity_display(),
            alert.title,
            alert.id,
            notice.level,
            len(notice.recipients),
        )
        return len(notice.recipients)


class EmailChannel(Channel):
    """E-mail through Django's mail framework (EMAIL_HOST and friends from the environment)."""

    name = "email"

    def send(self, notice: Notice) -> int:
        addresses = sorted({r.email for r in notice.recipients if r.email})
        if not addresses:
            return 0
        text = notice.text()
        try:
            send_mail(
                subject=text[:120],
                message=text + "\n\n" + _("Open the alert board to take it."),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=addresses,
            )
        except OSError as exc:  # smtplib errors are OSErrors too
            raise ChannelError(f"mail: {exc.__class__.__name__}") from exc
        return len(addresses)


class SmsChannel(Channel):
    """An HTTP SMS gateway: POST JSON `{"to": [...], "text": "..."}` with a bearer token.

    Providers differ; a district points GATEHOUSE_SMS_URL at its provider or at a small relay that
    speaks this shape.
    """

    name = "sms"

    def __init__(self, url: str, token: str, timeout: float = 5.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, notice: Notice) -> int:
        phones = sorted({r.phone for r in notice.recipients if r.phone})
        if not phones:
            return 0
        body = json.dumps({"to": phones, "text": notice.text()}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"sms gateway answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ChannelError(f"sms gateway unreachable: {exc.__class__.__name__}") from exc
        if not 200 <= status < 300:
            raise ChannelError(f"sms gateway answered {status}")
        return len(phones)


def channel_by_name(name: str) -> Channel:
    if name == "log":
        return LogChannel()
    if name == "email":
        return EmailChannel()
    if name == "sms":
        return SmsChannel(settings.GATEHOUSE_SMS_URL, settings.GATEHOUSE_SMS_TOKEN)
    raise KeyError(name)


def configured_channel_names() -> list[str]:
    return list(settings.GATEHOUSE_ALERT_CHANNELS)
