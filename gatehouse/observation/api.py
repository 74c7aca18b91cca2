"""Observation over the API: cases, the due-now worklist, follow-ups, release notices, and the
resident's own daily self-report."""

import datetime as dt
import uuid
from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.api.base import scope_of
from gatehouse.observation import selectors, services
from gatehouse.observation.models import FollowUp, ObservationCase
from gatehouse.people import selectors as people_selectors

router = Router(tags=["observation"])


class CaseOut(Schema):
    id: uuid.UUID
    kind: ObservationCase.CaseKind
    status: ObservationCase.CaseStatus
    source: ObservationCase.Source
    reason: str
    resident_id: uuid.UUID
    resident_name: str = Field(..., alias="resident.name")
    compound_id: uuid.UUID
    compound_name: str = Field(..., alias="compound.name")
    building: str = Field(..., alias="household.building")
    room: str = Field(..., alias="household.room")
    starts_on: dt.date
    ends_on: dt.date
    next_follow_up_due: dt.datetime | None
    last_follow_up_at: dt.datetime | None
    overdue: bool
    closed_at: dt.datetime | None
    close_note: str

    @staticmethod
    def resolve_overdue(obj: ObservationCase) -> bool:
        return obj.next_follow_up_due is not None and obj.next_follow_up_due <= timezone.now()


class WorklistCaseOut(CaseOut):
    release_due: bool

    @staticmethod
    def resolve_release_due(obj: ObservationCase) -> bool:
        return obj.ends_on <= timezone.localdate()


class WorklistOut(Schema):
    overdue: int
    due_today: int
    release_due: int
    done_today: int
    cases: list[WorklistCaseOut]


class FollowUpOut(Schema):
    id: int
    at: dt.datetime
    method: FollowUp.Method
    temperature_c: float
    fever: bool
    symptoms: list[str]
    needs: list[str]
    note: str
    actor_label: str
    slot_due: dt.datetime | None


class CaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    resident_id: uuid.UUID
    kind: ObservationCase.CaseKind
    reason: str = Field(..., min_length=1, max_length=300)
    starts_on: dt.date | None = None
    days: int | None = Field(None, ge=1, le=60)


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    status: Literal["released", "hospital", "central_quarantine"]
    note: str = Field("", max_length=300)


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")
    temperature_c: float = Field(..., description="body temperature in °C, 34.0–43.0")
    symptoms: list[FollowUp.Symptom] = Field(default_factory=list, max_length=8)
    needs: list[FollowUp.Need] = Field(default_factory=list, max_length=4)
    note: str = Field("", max_length=300)


class FollowUpIn(ReportIn):
    method: Literal["doorstep", "phone"]


class CaseFilter(Schema):
    status: ObservationCase.CaseStatus | None = ObservationCase.CaseStatus.ACTIVE
    kind: ObservationCase.CaseKind | None = None


class OwnOut(Schema):
    case: CaseOut | None
    reports: list[FollowUpOut]


@router.get("/cases", response=list[CaseOut])
@paginate
def case_list(request: HttpRequest, filters: Query[CaseFilter]) -> object:
    return selectors.case_list(scope=scope_of(request), status=filters.status, kind=filters.kind)


@router.post("/cases", response={201: CaseOut})
def case_create(request: HttpRequest, payload: CaseIn) -> Status[ObservationCase]:
    scope = scope_of(request)
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=payload.resident_id)
    case = services.case_open(
        scope=scope,
        actor=actor_from_request(request),
        resident=resident,
        kind=payload.kind,
        reason=payload.reason,
        starts_on=payload.starts_on,
        days=payload.days,
    )
    return Status(201, case)


@router.get("/worklist", response=WorklistOut)
def worklist(request: HttpRequest) -> selectors.Worklist:
    return selectors.worklist(scope=scope_of(request))


@router.get("/cases/{case_id}", response=CaseOut)
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> ObservationCase:
    return selectors.case_open_record(
        scope=scope_of(request), actor=actor_from_request(request), case_id=case_id
    )


@router.post("/cases/{case_id}/close", response=CaseOut)
def case_close(request: HttpRequest, case_id: uuid.UUID, payload: CloseIn) -> ObservationCase:
    scope = scope_of(request)
    case = selectors.case_get(scope=scope, case_id=case_id)
    return services.case_close(
        scope=scope, actor=actor_from_request(request), case=case, status=payload.status, note=payload.note
    )


@router.get("/cases/{case_id}/follow-ups", response=list[FollowUpOut])
def follow_up_list(request: HttpRequest, case_id: uuid.UUID) -> list[FollowUp]:
    case = selectors.case_open_record(
        scope=scope_of(request), actor=actor_from_request(request), case_id=case_id
    )
    return list(selectors.follow_up_list(case=case)[:200])


@router.post("/cases/{case_id}/follow-ups", response={201: FollowUpOut})
def follow_up_create(request: HttpRequest, case_id: uuid.UUID, payload: FollowUpIn) -> Status[FollowUp]:
    scope = scope_of(request)
    case = selectors.case_get(scope=scope, case_id=case_id)
    follow_up = services.follow_up_record(
        scope=scope,
        actor=actor_from_request(request),
        case=case,
        method=payload.method,
        temperature_c=payload.temperature_c,
        symptoms=list(payload.symptoms),
        needs=list(payload.needs),
        note=payload.note,
    )
    return Status(201, follow_up)


@router.get("/cases/{case_id}/release-notice", response={200: None}, summary="The release notice as PDF")
def release_notice(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = selectors.case_get(scope=scope_of(request), case_id=case_id)
    pdf = services.release_notice_export(actor=actor_from_request(request), case=case)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="release-notice-{case.id}.pdf"'
    return response


@router.get("/me", response=OwnOut)
def own_record(request: HttpRequest) -> dict[str, object]:
    scope = scope_of(request)
    case = selectors.own_active_case(scope=scope)
    return {"case": case, "reports": list(selectors.follow_up_list(case=case)[:60]) if case else []}


@router.post("/me/reports", response={201: FollowUpOut})
def self_report(request: HttpRequest, payload: ReportIn) -> Status[FollowUp]:
    scope = scope_of(request)
    case = selectors.own_active_case(scope=scope)
    if case is None:
        raise Http404
    report = services.self_report_submit(
        scope=scope,
        actor=actor_from_request(request),
        case=case,
        temperature_c=payload.temperature_c,
        symptoms=list(payload.symptoms),
        needs=list(payload.needs),
        note=payload.note,
    )
    return Status(201, report)
