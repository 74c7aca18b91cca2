"""Reads of alerts, scoped to the caller's places."""

from __future__ import annotations

import hashlib
import uuid

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.http import Http404

from gatehouse.accounts.models import User
from gatehouse.alerts.models import Alert, AlertEvent
from gatehouse.core.roles import Capability, Scope

BOARD_STATUSES = ("unresolved", "open", "acknowledged", "resolved")


def alert_list(*, scope: Scope, status: str | None = None) -> QuerySet[Alert]:
    qs = scope.restrict(
        Alert.objects.select_related("neighbourhood", "compound", "assignee"),
        Capability.VIEW_ALERTS,
        to_compound="compound",
        to_neighbourhood="neighbourhood",
    )
    if status == "unresolved":
        qs = qs.exclude(status=Alert.Status.RESOLVED)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-severity", "-raised_at")


def alert_board(*, scope: Scope, status: str = "unresolved") -> QuerySet[Alert]:
    """The board's order: what nobody has taken first, then what climbed highest (escalated alerts
    are the late ones, for the worker who let them climb as for the officer they reached), then
    severity and age."""
    qs = alert_list(scope=scope, status=status).annotate(
        untaken=Case(
            When(status=Alert.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        height=Case(
            When(level=Alert.Level.DISTRICT, then=Value(2)),
            When(level=Alert.Level.STREET, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    if status == "resolved":
        return qs.order_by("-resolved_at")
    return qs.order_by("untaken", "-height", "-severity", "-raised_at")


def alert_board_version(*, scope: Scope, status: str = "unresolved") -> str:
    """A cheap fingerprint of the board: the live page polls it and redraws only when it changes."""
    agg = alert_list(scope=scope, status=status).aggregate(n=Count("id"), last=Max("updated_at"))
    last = agg["last"].isoformat() if agg["last"] else "-"
    return hashlib.sha256(f"{scope.user_id}|{agg['n']}|{last}".encode()).hexdigest()[:16]


def alert_get(*, scope: Scope, alert_id: uuid.UUID | str) -> Alert:
    try:
        return alert_list(scope=scope).get(id=alert_id)
    except (Alert.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def alert_events(*, alert: Alert) -> QuerySet[AlertEvent]:
    """The timeline of an alert that came through `alert_get`."""
    return alert.events.order_by("at", "id")


def alert_assignees(*, alert: Alert) -> list[User]:
    """People `alert` may be handed to: active handlers whose own scope reaches it."""
    street = alert.neighbourhood.street
    places = (
        Q(neighbourhood_id=alert.neighbourhood_id)
        | Q(street_id=street.id)
        | Q(district_id=street.district_id)
    )
    if alert.compound_id is not None:
        places |= Q(compound_id=alert.compound_id)
    candidates = User.objects.filter(places, is_active=True).order_by("role", "username")
    return [
        user
        for user in candidates
        if user.scope.can(Capability.HANDLE_ALERTS)
        and alert_list(scope=user.scope).filter(id=alert.id).exists()
    ]
