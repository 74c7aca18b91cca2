"""Places over the API: the tree, a compound with its gates, gate and regime edits, district policy."""

import datetime as dt
import uuid
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.api.base import PatchSchema, scope_of
from gatehouse.places import selectors, services
from gatehouse.places.models import Compound, CompoundClass, Gate, GateRegime

router = Router(tags=["places"])


class StreetOut(Schema):
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str


class NeighbourhoodOut(Schema):
    id: uuid.UUID
    name: str
    street_id: uuid.UUID


class GateOut(Schema):
    id: uuid.UUID
    name: str
    status: Gate.GateStatus
    opens_at: dt.time | None
    closes_at: dt.time | None
    has_vehicle_lane: bool
    compound_id: uuid.UUID


class CompoundOut(Schema):
    id: uuid.UUID
    name: str
    compound_class: CompoundClass
    address: str
    pickup_point: str
    neighbourhood_id: uuid.UUID


class CompoundDetailOut(CompoundOut):
    gates: list[GateOut]

    @staticmethod
    def resolve_gates(obj: Compound) -> list[Gate]:
        # Reached only through compound_get, so the caller may already see this compound's gates.
        return list(Gate.objects.filter(compound=obj).order_by("name"))


class GatePatch(PatchSchema):
    model_config = ConfigDict(extra="forbid")
    nullable = frozenset({"opens_at", "closes_at"})
    name: str | None = Field(None, min_length=1, max_length=60)
    status: Gate.GateStatus | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    has_vehicle_lane: bool | None = None


class RegimeOut(Schema):
    id: uuid.UUID
    compound_class: CompoundClass
    closed_management: bool
    seal_sealable_passages: bool
    question_returnees: bool
    temperature_check: bool
    main_passage_only: bool
    patrol_required: bool
    no_entry: bool
    building_four_gates: bool
    visitor_rule: GateRegime.VisitorRule
    registered_vehicles_only: bool
    staff_day: int
    staff_night: int
    description: str


class RegimePatch(PatchSchema):
    model_config = ConfigDict(extra="forbid")
    closed_management: bool | None = None
    seal_sealable_passages: bool | None = None
    question_returnees: bool | None = None
    temperature_check: bool | None = None
    main_passage_only: bool | None = None
    patrol_required: bool | None = None
    no_entry: bool | None = None
    building_four_gates: bool | None = None
    visitor_rule: GateRegime.VisitorRule | None = None
    registered_vehicles_only: bool | None = None
    staff_day: int | None = Field(None, ge=0, le=20)
    staff_night: int | None = Field(None, ge=0, le=20)
    description: str | None = Field(None, max_length=2000)


class PolicyOut(Schema):
    fever_line_c: Decimal
    observation_days: int
    health_monitoring_days: int
    gate_event_retention_days: int
    telemetry_retention_days: int
    moved_out_retention_days: int
    health_record_retention_days: int
    alert_escalation_minutes: int


class PolicyPatch(PatchSchema):
    model_config = ConfigDict(extra="forbid")
    fever_line_c: Decimal | None = Field(None, ge=Decimal("37.0"), le=Decimal("38.5"), decimal_places=1)
    observation_days: int | None = Field(None, ge=1, le=60)
    health_monitoring_days: int | None = Field(None, ge=1, le=60)
    gate_event_retention_days: int | None = Field(None, ge=1, le=365)
    telemetry_retention_days: int | None = Field(None, ge=1, le=365)
    moved_out_retention_days: int | None = Field(None, ge=1, le=3650)
    health_record_retention_days: int | None = Field(None, ge=1, le=3650)
    alert_escalation_minutes: int | None = Field(None, ge=1, le=1440)


@router.get("/streets", response=list[StreetOut])
def streets(request: HttpRequest) -> object:
    return selectors.street_list(scope=scope_of(request))


@router.get("/streets/{street_id}/neighbourhoods", response=list[NeighbourhoodOut])
def neighbourhoods(request: HttpRequest, street_id: uuid.UUID) -> object:
    street = selectors.street_get(scope=scope_of(request), street_id=street_id)
    return selectors.neighbourhood_list(scope=scope_of(request), street_id=street.id)


@router.get("/neighbourhoods/{neighbourhood_id}/compounds", response=list[CompoundOut])
def compounds(request: HttpRequest, neighbourhood_id: uuid.UUID) -> object:
    scope = scope_of(request)
    neighbourhood = selectors.neighbourhood_get(scope=scope, neighbourhood_id=neighbourhood_id)
    return selectors.compound_list(scope=scope, neighbourhood_id=neighbourhood.id)


@router.get("/compounds/{compound_id}", response=CompoundDetailOut)
def compound(request: HttpRequest, compound_id: uuid.UUID) -> object:
    scope = scope_of(request)
    return selectors.compound_get(scope=scope, compound_id=compound_id)


@router.patch("/gates/{gate_id}", response=GateOut)
def gate_patch(request: HttpRequest, gate_id: uuid.UUID, payload: GatePatch) -> object:
    scope = scope_of(request)
    gate = selectors.gate_get(scope=scope, gate_id=gate_id)
    return services.gate_update(
        scope=scope, actor=actor_from_request(request), gate=gate, **payload.model_dump(exclude_unset=True)
    )


@router.get("/regimes", response=list[RegimeOut])
def regimes(request: HttpRequest) -> object:
    return selectors.regime_list(scope=scope_of(request))


@router.patch("/regimes/{compound_class}", response=RegimeOut)
def regime_patch(request: HttpRequest, compound_class: CompoundClass, payload: RegimePatch) -> object:
    scope = scope_of(request)
    regime = selectors.regime_list(scope=scope).filter(compound_class=compound_class).first()
    if regime is None:
        raise Http404
    return services.regime_update(
        scope=scope,
        actor=actor_from_request(request),
        regime=regime,
        **payload.model_dump(exclude_unset=True),
    )


@router.get("/policy", response=PolicyOut)
def policy(request: HttpRequest) -> object:
    district = selectors.district_for_scope(scope=scope_of(request))
    if district is None:
        raise Http404
    return district


@router.patch("/policy", response=PolicyOut)
def policy_patch(request: HttpRequest, payload: PolicyPatch) -> object:
    scope = scope_of(request)
    district = selectors.district_for_scope(scope=scope)
    if district is None:
        raise Http404
    return services.district_policy_update(
        scope=scope,
        actor=actor_from_request(request),
        district=district,
        **payload.model_dump(exclude_unset=True),
    )
