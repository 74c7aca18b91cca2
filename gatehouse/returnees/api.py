"""Returnees over the API: registrations (by the neighbourhood or the resident) and key areas."""

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.api.base import scope_of
from gatehouse.core.roles import Capability
from gatehouse.people import selectors as people_selectors
from gatehouse.places.selectors import district_for_scope
from gatehouse.returnees import selectors, services
from gatehouse.returnees.models import KeyArea, ReturneeRegistration, ReturneeSymptom, Transport

router = Router(tags=["returnees"])


class VisitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    province: str = Field(..., min_length=1, max_length=20)
    city: str = Field("", max_length=40)
    kind: str = Field("stay", pattern="^(stay|transit)$")
    from_date: dt.date
    to_date: dt.date


class AnswersIn(Schema):
    model_config = ConfigDict(extra="forbid")
    origin_province: str = Field(..., min_length=1, max_length=20)
    origin_city: str = Field(..., min_length=1, max_length=40)
    departed_on: dt.date
    arrived_on: dt.date
    transport: Transport
    transport_number: str = Field("", max_length=20)
    visits: list[VisitIn] = Field(default_factory=list, max_length=20)
    contact_confirmed: bool = False
    contact_suspected: bool = False
    symptoms: list[ReturneeSymptom] = Field(default_factory=list, max_length=10)
    temperature: Decimal | None = Field(None, max_digits=3, decimal_places=1)

    def answers(self) -> services.ReturneeAnswers:
        return services.ReturneeAnswers(
            origin_province=self.origin_province,
            origin_city=self.origin_city,
            departed_on=self.departed_on,
            arrived_on=self.arrived_on,
            transport=self.transport.value,
            transport_number=self.transport_number,
            visits=[v.model_dump() for v in self.visits],
            contact_confirmed=self.contact_confirmed,
            contact_suspected=self.contact_suspected,
            symptoms=[s.value for s in self.symptoms],
            temperature=self.temperature,
        )


class RegistrationIn(AnswersIn):
    resident_id: uuid.UUID | None = Field(None, description="empty: the signed-in resident themself")


class RegistrationOut(Schema):
    id: uuid.UUID
    resident_id: uuid.UUID
    compound_id: uuid.UUID
    origin_province: str
    origin_city: str
    departed_on: dt.date
    arrived_on: dt.date
    transport: str
    classification: str
    starts_on: dt.date
    ends_on: dt.date
    reasons: list[str]
    via: str
    case_id: uuid.UUID | None
    created_at: dt.datetime


@router.get("", response=list[RegistrationOut])
@paginate
def registration_list(request: HttpRequest) -> object:
    return selectors.registration_list(scope=scope_of(request))


@router.post("", response={201: RegistrationOut}, summary="Register an arrival from outside Shanghai")
def registration_create(request: HttpRequest, payload: RegistrationIn) -> Status[ReturneeRegistration]:
    scope = scope_of(request)
    if payload.resident_id is None:
        if not (scope.resident_id and scope.can(Capability.VIEW_OWN_RECORD)):
            raise ValidationError({"resident_id": [_("Choose the resident.")]})
        resident = people_selectors.resident_list(scope=scope).get()
        via = ReturneeRegistration.Via.SELF
    else:
        resident = people_selectors.resident_for_edit(scope=scope, resident_id=payload.resident_id)
        if not scope.can(Capability.EDIT_RESIDENTS):
            raise PermissionDenied
        via = ReturneeRegistration.Via.WORKER
    registration = services.returnee_register(
        actor=actor_from_request(request), resident=resident, answers=payload.answers(), via=via
    )
    return Status(201, registration)


class KeyAreaIn(Schema):
    model_config = ConfigDict(extra="forbid")
    province: str = Field(..., min_length=1, max_length=20)
    city: str = Field("", max_length=40)
    starts_on: dt.date
    ends_on: dt.date | None = None
    note: str = Field("", max_length=200)


class KeyAreaOut(Schema):
    id: uuid.UUID
    province: str
    city: str
    starts_on: dt.date
    ends_on: dt.date | None
    note: str


@router.get("/key-areas", response=list[KeyAreaOut])
def key_area_list(request: HttpRequest) -> object:
    return selectors.key_area_list(scope=scope_of(request))


@router.post("/key-areas", response={201: KeyAreaOut})
def key_area_create(request: HttpRequest, payload: KeyAreaIn) -> Status[KeyArea]:
    scope = scope_of(request)
    district = district_for_scope(scope=scope)
    if district is None:
        raise Http404
    area = services.key_area_add(
        scope=scope, actor=actor_from_request(request), district=district, **payload.model_dump()
    )
    return Status(201, area)


@router.delete("/key-areas/{area_id}", response={204: None})
def key_area_delete(request: HttpRequest, area_id: uuid.UUID) -> Status[None]:
    scope = scope_of(request)
    area = selectors.key_area_get(scope=scope, area_id=area_id)
    services.key_area_remove(scope=scope, actor=actor_from_request(request), area=area)
    return Status(204, None)
