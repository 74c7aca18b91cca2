"""Reads of alerts, scoped to the caller's places."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from gatehouse.alerts.models import Alert
from gatehouse.core.roles import Capability, Scope


def alert_list(*, scope: Scope, status: str | None = None) -> QuerySet[Alert]:
    qs = scope.restrict(
        Alert.objects.select_related("neighbourhood", "compound"),
        Capability.VIEW_ALERTS,
        to_compound="compound",
        to_neighbourhood="neighbourhood",
    )
    if status == "unresolved":
        qs = qs.exclude(status=Alert.Status.RESOLVED)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-severity", "-raised_at")


def alert_get(*, scope: Scope, alert_id: uuid.UUID | str) -> Alert:
    try:
        return alert_list(scope=scope).get(id=alert_id)
    except (Alert.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
