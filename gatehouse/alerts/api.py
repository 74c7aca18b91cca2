"""Alerts over the API: the scoped queue, acknowledge, resolve."""

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.alerts import selectors, services
from gatehouse.alerts.models import Alert
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
    evidence_count: int
    evidence: list[dict[str, Any]]
    acknowledged_by: str
    resolved_by: str
    resolution_note: str


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(..., min_length=1, max_length=2000)


@router.get("", response=list[AlertOut])
@paginate
def alert_list(
    request: HttpRequest, status: Literal["unresolved", "open", "acknowledged", "resolved"] = "unresolved"
) -> object:
    return selectors.alert_list(scope=scope_of(request), status=status)


@router.get("/{alert_id}", response=AlertOut)
def alert_detail(request: HttpRequest, alert_id: uuid.UUID) -> Alert:
    return selectors.alert_get(scope=scope_of(request), alert_id=alert_id)


@router.post("/{alert_id}/acknowledge", response=AlertOut)
def alert_acknowledge(request: HttpRequest, alert_id: uuid.UUID) -> Alert:
    scope = scope_of(request)
    alert = selectors.alert_get(scope=scope, alert_id=alert_id)
    return services.alert_acknowledge(scope=scope, actor=actor_from_request(request), alert=alert)


@router.post("/{alert_id}/resolve", response=AlertOut)
def alert_resolve(request: HttpRequest, alert_id: uuid.UUID, payload: ResolveIn) -> Alert:
    scope = scope_of(request)
    alert = selectors.alert_get(scope=scope, alert_id=alert_id)
    return services.alert_resolve(
        scope=scope, actor=actor_from_request(request), alert=alert, note=payload.note
    )
