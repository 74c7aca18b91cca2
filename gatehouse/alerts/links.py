"""Where to go from an alert: apps above this one (observation, ...) register what they know about
an alert's subject, so the alert page links to it without the alerts app importing them.

A neighbourhood worker taking a wristband alert at night wants the person's observation case (the
follow-up form, the release) one tap away, not a search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gatehouse.alerts.models import Alert
from gatehouse.core.roles import Scope


@dataclass(frozen=True)
class AlertLink:
    label: str
    url: str


AlertLinker = Callable[[Alert, Scope], list[AlertLink]]
_linkers: list[AlertLinker] = []


def alert_linker_register(linker: AlertLinker) -> None:
    """Called from an app's ready(); the linker must read through the caller's scope."""
    if linker not in _linkers:
        _linkers.append(linker)


def alert_links(alert: Alert, scope: Scope) -> list[AlertLink]:
    return [link for linker in _linkers for link in linker(alert, scope)]
