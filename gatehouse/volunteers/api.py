"""Volunteers over the API: the register, availability, rosters, and the volunteer's own phone."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.api.base import scope_of
from gatehouse.people import selectors as people_selectors
from gatehouse.places.selectors import regime_for_compound
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import qr, selectors, services
from gatehouse.volunteers.models import Assignment, Availability, Roster, Skill, Volunteer

router = Router(tags=["volunteers"])


class VolunteerOut(Schema):
    id: uuid.UUID
    name: str
    kind: Volunteer.Kind
    neighbourhood_id: uuid.UUID
    organisation_id: uuid.UUID | None
    skills: list[str]
    max_hours_week: int
    trained_on: dt.date | None
    status: Volunteer.VolunteerStatus
    has_fever: bool
    rosterable: bool

    @staticmethod
    def resolve_has_fever(obj: Volunteer) -> bool:
        return obj.fever_at is not None

    @staticmethod
    def resolve_rosterable(obj: Volunteer) -> bool:
        return services.ineligible_reason(obj) is None


class VolunteerIn(Schema):
    model_config = ConfigDict(extra="forbid")
    neighbourhood_id: uuid.UUID
    name: str = Field(..., min_length=1, max_length=40)
    phone: str = Field("", max_length=32)
    kind: Volunteer.Kind = Volunteer.Kind.RESIDENT
    organisation_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    skills: list[Skill] = []
    max_hours_week: int = Field(16, ge=4, le=60)
    trained_on: dt.date | None = None


class VolunteerPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=40)
    phone: str | None = Field(None, max_length=32)
    kind: Volunteer.Kind | None = None
    skills: list[Skill] | None = None
    max_hours_week: int | None = Field(None, ge=4, le=60)
    trained_on: dt.date | None = None


class WindowIn(Schema):
    model_config = ConfigDict(extra="forbid")
    weekday: Availability.Weekday
    starts_at: dt.time
    ends_at: dt.time


class WindowOut(Schema):
    id: uuid.UUID
    weekday: int
    starts_at: dt.time
    ends_at: dt.time


class DateOffIn(Schema):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    note: str = Field("", max_length=100)


class DateOffOut(Schema):
    date: dt.date
    released_shifts: int


class RemovedOut(Schema):
    status: Volunteer.VolunteerStatus
    released_shifts: int


class UncoveredOut(Schema):
    slot_id: uuid.UUID
    post: str
    starts_at: dt.datetime
    missing: int
    reason: str


class RosterOut(Schema):
    street_id: uuid.UUID
    week_start: dt.date
    solve_status: str
    solve_progress: dict[str, Any]
    solve_report: dict[str, Any]
    needs_repair: bool
    needed: int
    assigned: int
    uncovered: list[UncoveredOut]


class LockIn(Schema):
    model_config = ConfigDict(extra="forbid")
    locked: bool


class AssignmentOut(Schema):
    id: uuid.UUID
    slot_id: uuid.UUID
    volunteer_id: uuid.UUID
    locked: bool
    status: Assignment.AssignmentStatus
    source: Assignment.AssignmentSource


class StaffingIn(Schema):
    model_config = ConfigDict(extra="forbid")
    staff_day: int | None = Field(None, ge=0, le=20)
    staff_night: int | None = Field(None, ge=0, le=20)
    note: str = Field("", max_length=200)


class StaffingOut(Schema):
    gate_id: uuid.UUID
    staff_day: int
    staff_night: int
    from_regime: bool


class ShiftOut(Schema):
    assignment_id: uuid.UUID
    post: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None


class CheckInIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., min_length=1, max_length=120)
    temperature: Decimal = Field(..., max_digits=4, decimal_places=1)


class CheckInOut(Schema):
    ok: bool
    message: str


class ScanIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., min_length=1, max_length=120)


class ScanOut(Schema):
    ok: bool
    message: str
    scanned: int
    total: int


def _week(week: dt.date) -> dt.date:
    monday = P.week_monday(week)
    if not P.week_in_range(monday):
        raise ValidationError({"week": [_("Choose a week between 2000 and 2100.")]})
    return monday


@router.get("", response=list[VolunteerOut])
@paginate
def volunteer_list(request: HttpRequest) -> object:
    return selectors.volunteer_list(scope=scope_of(request))


@router.post("", response={201: VolunteerOut})
def volunteer_register(request: HttpRequest, payload: VolunteerIn) -> Status[Volunteer]:
    scope = scope_of(request)
    neighbourhood = selectors.neighbourhood_get(scope=scope, neighbourhood_id=payload.neighbourhood_id)
    organisation = (
        selectors.organisation_list(scope=scope).filter(id=payload.organisation_id).first()
        if payload.organisation_id
        else None
    )
    if payload.organisation_id and organisation is None:
        raise Http404
    resident = (
        people_selectors.resident_for_edit(scope=scope, resident_id=payload.resident_id)
        if payload.resident_id
        else None
    )
    volunteer = services.volunteer_register(
        scope=scope,
        actor=actor_from_request(request),
        neighbourhood=neighbourhood,
        name=payload.name,
        phone=payload.phone,
        kind=payload.kind,
        organisation=organisation,
        skills=[str(s.value) for s in payload.skills],
        max_hours_week=payload.max_hours_week,
        trained_on=payload.trained_on,
        resident=resident,
    )
    return Status(201, volunteer)


@router.get("/{volunteer_id}", response=VolunteerOut)
def volunteer_detail(request: HttpRequest, volunteer_id: uuid.UUID) -> Volunteer:
    return selectors.volunteer_get(scope=scope_of(request), volunteer_id=volunteer_id)


@router.patch("/{volunteer_id}", response=VolunteerOut)
def volunteer_patch(request: HttpRequest, volunteer_id: uuid.UUID, payload: VolunteerPatch) -> Volunteer:
    scope = scope_of(request)
    volunteer = selectors.volunteer_get(scope=scope, volunteer_id=volunteer_id)
    changes = payload.model_dump(exclude_unset=True)
    if "skills" in changes and changes["skills"] is not None:
        changes["skills"] = [str(Skill(s).value) for s in changes["skills"]]
    return services.volunteer_update(
        scope=scope, actor=actor_from_request(request), volunteer=volunteer, **changes
    )


@router.post("/{volunteer_id}/remove", response=RemovedOut)
def volunteer_remove(request: HttpRequest, volunteer_id: uuid.UUID) -> dict[str, Any]:
    scope = scope_of(request)
    volunteer = selectors.volunteer_get(scope=scope, volunteer_id=volunteer_id)
    released = services.volunteer_remove(scope=scope, actor=actor_from_request(request), volunteer=volunteer)
    return {"status": volunteer.status, "released_shifts": len(released)}


@router.post("/{volunteer_id}/availability", response={201: WindowOut})
def availability_add(
    request: HttpRequest, volunteer_id: uuid.UUID, payload: WindowIn
) -> Status[Availability]:
    scope = scope_of(request)
    volunteer = selectors.volunteer_get(scope=scope, volunteer_id=volunteer_id)
    window = services.availability_add(
        scope=scope,
        actor=actor_from_request(request),
        volunteer=volunteer,
        weekday=int(payload.weekday),
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    return Status(201, window)


@router.post("/{volunteer_id}/dates-off", response={201: DateOffOut})
def date_off_add(request: HttpRequest, volunteer_id: uuid.UUID, payload: DateOffIn) -> Status[dict[str, Any]]:
    scope = scope_of(request)
    volunteer = selectors.volunteer_get(scope=scope, volunteer_id=volunteer_id)
    day_off, released = services.date_off_add(
        scope=scope,
        actor=actor_from_request(request),
        volunteer=volunteer,
        date=payload.date,
        note=payload.note,
    )
    return Status(201, {"date": day_off.date, "released_shifts": len(released)})


def _roster_out(scope: Any, street: Any, week: dt.date, roster: Roster | None) -> dict[str, Any]:
    cover = selectors.coverage(scope=scope, week=week, street=street, now=timezone.now())
    return {
        "street_id": street.id,
        "week_start": _week(week),
        "solve_status": roster.solve_status if roster else Roster.SolveStatus.NEW,
        "solve_progress": roster.solve_progress if roster else {},
        "solve_report": roster.solve_report if roster else {},
        "needs_repair": roster.needs_repair if roster else False,
        "needed": cover.needed,
        "assigned": cover.assigned,
        "uncovered": [
            {
                "slot_id": u["slot"].id,
                "post": str(u["post"]),
                "starts_at": u["slot"].starts_at,
                "missing": u["missing"],
                "reason": u["reason"],
            }
            for u in cover.uncovered
        ],
    }


@router.get("/rosters/{street_id}/{week}", response=RosterOut)
def roster_detail(request: HttpRequest, street_id: uuid.UUID, week: dt.date) -> dict[str, Any]:
    scope = scope_of(request)
    street = selectors.street_get(scope=scope, street_id=street_id)
    week = _week(week)
    return _roster_out(scope, street, week, selectors.roster_get(scope=scope, street=street, week=week))


@router.post("/rosters/{street_id}/{week}/solve", response={202: RosterOut})
def roster_solve(request: HttpRequest, street_id: uuid.UUID, week: dt.date) -> Status[dict[str, Any]]:
    scope = scope_of(request)
    street = selectors.street_get(scope=scope, street_id=street_id)
    roster = services.roster_solve_request(
        scope=scope, actor=actor_from_request(request), street=street, week=week
    )
    return Status(202, _roster_out(scope, street, week, roster))


@router.post("/assignments/{assignment_id}/lock", response=AssignmentOut)
def assignment_lock(request: HttpRequest, assignment_id: uuid.UUID, payload: LockIn) -> Assignment:
    scope = scope_of(request)
    assignment = selectors.assignment_get(scope=scope, assignment_id=assignment_id)
    return services.assignment_lock(
        scope=scope, actor=actor_from_request(request), assignment=assignment, locked=payload.locked
    )


@router.post("/assignments/{assignment_id}/release", response=AssignmentOut)
def assignment_release(request: HttpRequest, assignment_id: uuid.UUID) -> Assignment:
    scope = scope_of(request)
    assignment = selectors.assignment_get(scope=scope, assignment_id=assignment_id)
    return services.assignment_release(scope=scope, actor=actor_from_request(request), assignment=assignment)


@router.put("/gates/{gate_id}/staffing", response=StaffingOut)
def gate_staffing(request: HttpRequest, gate_id: uuid.UUID, payload: StaffingIn) -> dict[str, Any]:
    scope = scope_of(request)
    gate = selectors.gate_for_planning(scope=scope, gate_id=gate_id)
    staffing = services.gate_staffing_set(
        scope=scope,
        actor=actor_from_request(request),
        gate=gate,
        staff_day=payload.staff_day,
        staff_night=payload.staff_night,
        note=payload.note,
    )
    if staffing is None:
        day, night = services.gate_demand(gate, regime_for_compound(gate.compound), None)
        return {"gate_id": gate.id, "staff_day": day, "staff_night": night, "from_regime": True}
    return {
        "gate_id": gate.id,
        "staff_day": staffing.staff_day,
        "staff_night": staffing.staff_night,
        "from_regime": False,
    }


# --- the volunteer's own phone ----------------------------------------------------------------------


@router.get("/me/shifts", response=list[ShiftOut])
def my_shifts(request: HttpRequest) -> list[dict[str, Any]]:
    volunteer = selectors.volunteer_self(scope=scope_of(request))
    return [
        {
            "assignment_id": a.id,
            "post": str(a.slot.post),
            "kind": "gate" if a.slot.gate_id else "patrol",
            "starts_at": a.slot.starts_at,
            "ends_at": a.slot.ends_at,
            "checked_in_at": a.checked_in_at,
            "checked_out_at": a.checked_out_at,
        }
        for a in selectors.my_shifts(volunteer=volunteer, now=timezone.now())
    ]


def _gate_from(code: str) -> Any:
    gate_id = qr.gate_id_from_code(code)
    gate = selectors.gate_for_check_in(gate_id) if gate_id else None
    if gate is None:
        raise ValidationError({"code": [_("This is not a gate poster of Gatehouse.")]})
    return gate


@router.post("/me/check-in", response=CheckInOut)
def my_check_in(request: HttpRequest, payload: CheckInIn) -> dict[str, Any]:
    volunteer = selectors.volunteer_self(scope=scope_of(request))
    outcome = services.shift_check_in(
        volunteer=volunteer, gate=_gate_from(payload.code), temperature=payload.temperature
    )
    return {"ok": outcome.ok, "message": outcome.message}


@router.post("/me/check-out", response=list[ShiftOut])
def my_check_out(request: HttpRequest) -> list[dict[str, Any]]:
    volunteer = selectors.volunteer_self(scope=scope_of(request))
    ended = services.shift_check_out(volunteer=volunteer)
    return [
        {
            "assignment_id": a.id,
            "post": str(a.slot.post),
            "kind": "gate" if a.slot.gate_id else "patrol",
            "starts_at": a.slot.starts_at,
            "ends_at": a.slot.ends_at,
            "checked_in_at": a.checked_in_at,
            "checked_out_at": timezone.now(),
        }
        for a in ended
    ]


@router.post("/me/scan", response=ScanOut)
def my_scan(request: HttpRequest, payload: ScanIn) -> dict[str, Any]:
    volunteer = selectors.volunteer_self(scope=scope_of(request))
    checkpoint_id = qr.checkpoint_id_from_code(payload.code)
    checkpoint = selectors.checkpoint_for_scan(checkpoint_id) if checkpoint_id else None
    if checkpoint is None:
        raise ValidationError({"code": [_("This is not a check-point tag of Gatehouse.")]})
    scan = services.patrol_scan(volunteer=volunteer, checkpoint=checkpoint)
    return {"ok": scan.ok, "message": scan.message, "scanned": scan.scanned, "total": scan.total}
