"""Wristbands over the API: the scoped registry, binding, and the HTTP telemetry endpoint for
devices without MQTT (authenticated by the device's own token, not a user's)."""

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.api.base import scope_of
from gatehouse.devices import selectors, services
from gatehouse.devices.models import Binding, Wristband
from gatehouse.devices.pipeline import DUPLICATE, REJECTED, STORED

router = Router(tags=["wristbands"])


class DeviceTokenAuth(HttpBearer):
    openapi_description = "A wristband's own token: `Authorization: Bearer {serial}.{secret}`"

    def authenticate(self, request: HttpRequest, token: str) -> Wristband | None:
        return selectors.wristband_authenticate(token)


class BindingOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    subject: str
    home_lat: float
    home_lon: float
    radius_m: int
    status: Binding.BindingStatus
    bound_at: dt.datetime
    ended_at: dt.datetime | None

    @staticmethod
    def resolve_subject(obj: Binding) -> str:
        return obj.case.resident.masked_name


class WristbandOut(Schema):
    id: uuid.UUID
    serial: str
    model: str
    firmware: str
    battery_pct: int | None
    status: Wristband.WristbandStatus
    neighbourhood_id: uuid.UUID
    last_seen_at: dt.datetime | None
    binding: BindingOut | None

    @staticmethod
    def resolve_binding(obj: Wristband) -> Binding | None:
        active = getattr(obj, "active_bindings", None)
        if active is None:
            active = list(obj.bindings.filter(status=Binding.Status.ACTIVE).select_related("case__resident"))
        return active[0] if active else None


class RegisterIn(Schema):
    model_config = ConfigDict(extra="forbid")
    serial: str = Field(..., max_length=32)
    model: str = Field(..., max_length=40)
    firmware: str = Field("", max_length=40)
    neighbourhood_id: uuid.UUID | None = None


class BindIn(Schema):
    model_config = ConfigDict(extra="forbid")
    case_id: uuid.UUID
    home_lat: float = Field(..., ge=-90, le=90, allow_inf_nan=False)
    home_lon: float = Field(..., ge=-180, le=180, allow_inf_nan=False)
    radius_m: int = Field(50, ge=10, le=1000)


class UnbindIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["unbound", "faulty"] = "unbound"


class ReplaceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    replacement_id: uuid.UUID
    retire_old: bool = False


class CredentialsOut(Schema):
    serial: str
    broker_username: str
    broker_password: str
    http_token: str


class TelemetryIn(Schema):
    model_config = ConfigDict(extra="forbid")
    # Each reading is checked by the same validation as MQTT messages, and answered one by one.
    readings: list[Any] = Field(..., min_length=1, max_length=500)


class RejectedOut(Schema):
    index: int
    reason: str


class TelemetryOut(Schema):
    stored: int
    duplicates: int
    rejected: list[RejectedOut]


@router.get("/wristbands", response=list[WristbandOut])
@paginate
def wristband_list(request: HttpRequest, status: str = "") -> object:
    return selectors.wristband_list(scope=scope_of(request), status=status or None)


@router.post("/wristbands", response={201: WristbandOut})
def wristband_register(request: HttpRequest, payload: RegisterIn) -> Status[Wristband]:
    scope = scope_of(request)
    neighbourhood = selectors.neighbourhood_for_stock(scope=scope, neighbourhood_id=payload.neighbourhood_id)
    band = services.wristband_register(
        scope=scope,
        actor=actor_from_request(request),
        neighbourhood=neighbourhood,
        serial=payload.serial,
        model=payload.model,
        firmware=payload.firmware,
    )
    return Status(201, band)


@router.get("/wristbands/{wristband_id}", response=WristbandOut)
def wristband_detail(request: HttpRequest, wristband_id: uuid.UUID) -> Wristband:
    return selectors.wristband_get(scope=scope_of(request), wristband_id=wristband_id)


@router.post("/wristbands/{wristband_id}/credentials", response=CredentialsOut)
def wristband_credentials(request: HttpRequest, wristband_id: uuid.UUID) -> dict[str, str]:
    scope = scope_of(request)
    band = selectors.wristband_get(scope=scope, wristband_id=wristband_id)
    band, secret = services.wristband_credentials_issue(
        scope=scope, actor=actor_from_request(request), wristband=band
    )
    return {
        "serial": band.serial,
        "broker_username": band.serial,
        "broker_password": secret,
        "http_token": f"{band.serial}.{secret}",
    }


@router.post("/wristbands/{wristband_id}/bind", response={201: BindingOut})
def wristband_bind(request: HttpRequest, wristband_id: uuid.UUID, payload: BindIn) -> Status[Binding]:
    scope = scope_of(request)
    band = selectors.wristband_get(scope=scope, wristband_id=wristband_id)
    case = selectors.case_get(scope=scope, case_id=payload.case_id)
    binding = services.wristband_bind(
        scope=scope,
        actor=actor_from_request(request),
        wristband=band,
        case=case,
        home_lat=payload.home_lat,
        home_lon=payload.home_lon,
        radius_m=payload.radius_m,
    )
    return Status(201, binding)


@router.post("/wristbands/{wristband_id}/unbind", response=BindingOut)
def wristband_unbind(request: HttpRequest, wristband_id: uuid.UUID, payload: UnbindIn) -> Binding:
    scope = scope_of(request)
    band = selectors.wristband_get(scope=scope, wristband_id=wristband_id)
    return services.wristband_unbind(
        scope=scope, actor=actor_from_request(request), wristband=band, reason=payload.reason
    )


@router.post("/wristbands/{wristband_id}/replace", response={201: BindingOut})
def wristband_replace(request: HttpRequest, wristband_id: uuid.UUID, payload: ReplaceIn) -> Status[Binding]:
    scope = scope_of(request)
    band = selectors.wristband_get(scope=scope, wristband_id=wristband_id)
    replacement = selectors.wristband_get(scope=scope, wristband_id=payload.replacement_id)
    binding = services.wristband_replace(
        scope=scope,
        actor=actor_from_request(request),
        wristband=band,
        replacement=replacement,
        retire_old=payload.retire_old,
    )
    return Status(201, binding)


@router.post("/telemetry", response=TelemetryOut, auth=DeviceTokenAuth())
def telemetry_batch(request: HttpRequest, payload: TelemetryIn) -> dict[str, Any]:
    band = getattr(request, "auth", None)
    assert isinstance(band, Wristband)
    result = services.telemetry_ingest_http(wristband=band, readings=payload.readings)
    return {
        "stored": sum(1 for o in result.outcomes if o.status == STORED),
        "duplicates": sum(1 for o in result.outcomes if o.status == DUPLICATE),
        "rejected": [
            {"index": i, "reason": o.reason} for i, o in enumerate(result.outcomes) if o.status == REJECTED
        ],
    }
