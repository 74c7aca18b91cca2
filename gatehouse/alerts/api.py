"""Alerts over the API: the scoped queue, one alert with its timeline, take, assign, resolve."""

import datetime as dt
import uuid
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.alerts import selectors, services
from gatehouse.alerts.models import Alert, AlertEvent
from gatehouse.api.base import scope_of

router = Router(tags=["alerts"])


class AlertOut(Schema):
    id: uuid.UUID
    kind: Alert.AlertKind
    severity: int
    status: Alert.AlertStatus
    level: Alert.Level
    title: str
    subject_label: str
    neighbourhood_id: uuid.UUID
    compound_id: uuid.UUID | None
    raised_at: dt.datetime
    last_evidence_at: dt.datetime
    escalate_at: dt.datetime | None
    escalated_at: dt.datetime | None
    evidence_count: int
    evidence: list[dict[str, Any]]
    assignee: str | None
    acknowledged_by: str
    resolved_by: str
    resolution_note: str

    @staticmethod
    def resolve_assignee(obj: Alert) -> str | None:
        return obj.assignee.label if obj.assignee else None


class AlertEventOut(Schema):
    at: dt.datetime
    kind: AlertEvent.EventKind
    level: Alert.Level
    actor_label: str
    note: str


class AlertDetailOut(AlertOut):
    events: list[AlertEventOut]

    @staticmethod
    def resolve_events(obj: Alert) -> list[AlertEvent]:
        return list(selectors.alert_events(alert=obj))


class AlertFilter(Schema):
    status: str = Field("unresolved", pattern="^(unresolved|open|acknowledged|resolved)$")


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(..., min_length=1, max_length=2000)


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(..., min_length=1, max_length=150)


@router.get("", response=list[AlertOut])
@paginate
def alert_list(
    request: HttpRequest, status: Literal["unresolved", "open", "acknowledged", "resolved"] = "unresolved"
) -> object:
    return selectors.alert_list(scope=scope_of(request), status=status)


@router.get("/{alert_id}", response=AlertDetailOut)
def alert_detail(request: HttpRequest, alert_id: uuid.UUID) -> Alert:
    return selectors.alert_get(scope=scope_of(request), alert_id=alert_id)


@router.post("/{alert_id}/acknowledge", response=AlertDetailOut)
def alert_acknowledge(request: HttpRequest, alert_id: uuid.UUID) -> Alert:
    scope = scope_of(request)
    alert = selectors.alert_get(scope=scope, alert_id=alert_id)
    return services.alert_acknowledge(scope=scope, actor=actor_from_request(request), alert=alert)


@router.post("/{alert_id}/assign", response=AlertDetailOut)
def alert_assign(request: HttpRequest, alert_id: uuid.UUID, payload: AssignIn) -> Alert:
    scope = scope_of(request)
    alert = selectors.alert_get(scope=scope, alert_id=alert_id)
    assignee = next(
        (u for u in selectors.alert_assignees(alert=alert) if u.username == payload.username), None
    )
    if assignee is None:
        raise ValidationError({"username": [_("This person cannot handle this alert.")]})
    return services.alert_assign(
        scope=scope, actor=actor_from_request(request), alert=alert, assignee=assignee
    )


@router.post("/{alert_id}/resolve", response=AlertDetailOut)
def alert_resolve(request: HttpRequest, alert_id: uuid.UUID, payload: ResolveIn) -> Alert:
    scope = scope_of(request)
    alert = selectors.alert_get(scope=scope, alert_id=alert_id)
    return services.alert_resolve(
        scope=scope, actor=actor_from_request(request), alert=alert, note=payload.note
    )
