"""Notification channels: one base class, one plug-in per way of reaching a person."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatehouse.alerts.models import Alert

logger = logging.getLogger("gatehouse.alerts")


class Channel:
    name = "base"

    def send(self, alert: Alert) -> None:
        raise NotImplementedError


class LogChannel(Channel):
    """The demo's channel: one log line per new alert, without personal data."""

    name = "log"

    def send(self, alert: Alert) -> None:
        logger.warning(
            "ALERT %s [%s] %s (%s)", alert.kind, alert.get_severity_display(), alert.title, alert.id
        )


def configured_channels() -> list[Channel]:
    return [LogChannel()]


def notify_all(alert: Alert) -> None:
    for channel in configured_channels():
        try:
            channel.send(alert)
        except Exception:  # a broken gateway must not lose the alert, which is already stored
            logger.exception("channel %s failed for alert %s", channel.name, alert.id)
