"""Residents and vehicles over the API: list, search, open, register, change, move out, export."""

import datetime as dt
import uuid

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.api.base import PatchSchema, scope_of
from gatehouse.people import exports, selectors, services
from gatehouse.people.models import HealthColour, Resident, ResidentTag, Vehicle
from gatehouse.places import selectors as place_selectors

router = Router(tags=["residents"])


class ResidentOut(Schema):
    id: uuid.UUID
    name: str
    sex: Resident.Sex
    birth_date: dt.date
    phone: str
    id_number_masked: str
    compound_id: uuid.UUID
    compound_name: str = Field(..., alias="compound.name")
    building: str = Field(..., alias="household.building")
    room: str = Field(..., alias="household.room")
    status: Resident.ResidentStatus
    health_colour: HealthColour
    health_colour_reason: str


class ResidentDetailOut(ResidentOut):
    tags: list[str]

    @staticmethod
    def resolve_tags(obj: Resident) -> list[str]:
        return sorted(obj.tags.values_list("tag", flat=True))


class ResidentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    compound_id: uuid.UUID
    building: str = Field(..., min_length=1, max_length=20)
    room: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=40)
    sex: Resident.Sex | None = None
    birth_date: dt.date | None = None
    phone: str = Field("", max_length=32)
    id_number: str = Field("", max_length=32)
    tags: list[ResidentTag.Tag] = Field(default_factory=list, max_length=10)


class ResidentPatch(PatchSchema):
    model_config = ConfigDict(extra="forbid")
    nullable = frozenset({"phone", "tags"})
    name: str | None = Field(None, min_length=1, max_length=40)
    sex: Resident.Sex | None = None
    birth_date: dt.date | None = None
    phone: str | None = Field(None, max_length=32)
    id_number: str | None = Field(None, max_length=32)
    building: str | None = Field(None, min_length=1, max_length=20)
    room: str | None = Field(None, min_length=1, max_length=20)
    tags: list[ResidentTag.Tag] | None = Field(None, max_length=10)


class VehicleIn(Schema):
    model_config = ConfigDict(extra="forbid")
    resident_id: uuid.UUID
    plate: str = Field(..., min_length=1, max_length=16)


class VehicleOut(Schema):
    id: uuid.UUID
    plate: str
    new_energy: bool
    compound_id: uuid.UUID


class ResidentFilter(Schema):
    q: str = Field("", max_length=64, description="name, phone, plate or a full identity number")
    compound_id: uuid.UUID | None = None


@router.get("", response=list[ResidentOut])
@paginate
def resident_list(request: HttpRequest, filters: Query[ResidentFilter]) -> object:
    scope = scope_of(request)
    if filters.q:
        return selectors.resident_search(
            scope=scope, actor=actor_from_request(request), query=filters.q
        ).residents
    qs = selectors.resident_list(scope=scope)
    if filters.compound_id is not None:
        qs = qs.filter(compound_id=filters.compound_id)
    return qs.order_by("name", "id")


@router.get("/export", response={200: None}, summary="Export residents as CSV or xlsx")
def resident_export(
    request: HttpRequest, compound_id: uuid.UUID | None = None, fmt: str = "csv"
) -> HttpResponse:
    return exports.residents_export_response(
        scope=scope_of(request), actor=actor_from_request(request), compound_id=compound_id, fmt=fmt
    )


@router.post("", response={201: ResidentDetailOut})
def resident_create(request: HttpRequest, payload: ResidentIn) -> Status[Resident]:
    scope = scope_of(request)
    compound = place_selectors.compound_get(scope=scope, compound_id=payload.compound_id)
    data = payload.model_dump(exclude={"compound_id"})
    data["sex"] = data["sex"] or ""
    resident = services.resident_register(
        scope=scope, actor=actor_from_request(request), compound=compound, **data
    )
    return Status(201, resident)


@router.get("/{resident_id}", response=ResidentDetailOut)
def resident_detail(request: HttpRequest, resident_id: uuid.UUID) -> Resident:
    return selectors.resident_open(
        scope=scope_of(request), actor=actor_from_request(request), resident_id=resident_id
    )


@router.patch("/{resident_id}", response=ResidentDetailOut)
def resident_patch(request: HttpRequest, resident_id: uuid.UUID, payload: ResidentPatch) -> Resident:
    scope = scope_of(request)
    resident = selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    return services.resident_update(
        scope=scope,
        actor=actor_from_request(request),
        resident=resident,
        **payload.model_dump(exclude_unset=True),
    )


@router.post("/{resident_id}/move-out", response=ResidentDetailOut)
def resident_move_out(request: HttpRequest, resident_id: uuid.UUID, deceased: bool = False) -> Resident:
    scope = scope_of(request)
    resident = selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    return services.resident_move_out(
        scope=scope, actor=actor_from_request(request), resident=resident, deceased=deceased
    )


vehicles_router = Router(tags=["vehicles"])


@vehicles_router.post("", response={201: VehicleOut})
def vehicle_create(request: HttpRequest, payload: VehicleIn) -> Status[Vehicle]:
    scope = scope_of(request)
    resident = selectors.resident_for_edit(scope=scope, resident_id=payload.resident_id)
    vehicle = services.vehicle_register(
        scope=scope, actor=actor_from_request(request), household=resident.household, plate=payload.plate
    )
    return Status(201, vehicle)


@vehicles_router.get("", response=list[VehicleOut])
@paginate
def vehicle_list(request: HttpRequest) -> object:
    return selectors.vehicle_list(scope=scope_of(request)).order_by("plate")
