"""Reads of volunteers, rosters and coverage, each cut to the caller's scope here and nowhere else."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gatehouse.core.roles import Capability, Scope
from gatehouse.places.models import Compound, Gate, Neighbourhood, Street
from gatehouse.volunteers import periods as P
from gatehouse.volunteers.models import (
    Assignment,
    Availability,
    Checkpoint,
    DateOff,
    Organisation,
    PatrolRoute,
    Roster,
    Slot,
    Volunteer,
)
from gatehouse.volunteers.services import patrol_round_result

M = Capability.MANAGE_VOLUNTEERS
PLAN = Capability.PLAN_ROSTERS


def _get(qs: QuerySet[Any], object_id: uuid.UUID | str) -> Any:
    try:
        return qs.get(id=object_id)
    except (qs.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


# --- places as the roster pages reach them ----------------------------------------------------------


def street_list(*, scope: Scope) -> QuerySet[Street]:
    return scope.restrict(Street.objects.all(), M, to_street="").order_by("code")


def street_get(*, scope: Scope, street_id: uuid.UUID | str) -> Street:
    return _get(street_list(scope=scope), street_id)  # type: ignore[no-any-return]


def neighbourhood_list(*, scope: Scope) -> QuerySet[Neighbourhood]:
    return scope.restrict(Neighbourhood.objects.select_related("street"), M, to_neighbourhood="").order_by(
        "name"
    )


def neighbourhood_get(*, scope: Scope, neighbourhood_id: uuid.UUID | str) -> Neighbourhood:
    return _get(neighbourhood_list(scope=scope), neighbourhood_id)  # type: ignore[no-any-return]


def compound_list(*, scope: Scope) -> QuerySet[Compound]:
    return scope.restrict(Compound.objects.select_related("neighbourhood"), M, to_compound="").order_by(
        "name"
    )


def compound_get(*, scope: Scope, compound_id: uuid.UUID | str) -> Compound:
    return _get(compound_list(scope=scope), compound_id)  # type: ignore[no-any-return]


def gate_for_planning(*, scope: Scope, gate_id: uuid.UUID | str) -> Gate:
    qs = scope.restrict(Gate.objects.select_related("compound__neighbourhood__street"), PLAN, to_gate="")
    return _get(qs, gate_id)  # type: ignore[no-any-return]


def gate_list(*, scope: Scope, street: Street) -> QuerySet[Gate]:
    qs = scope.restrict(Gate.objects.select_related("compound", "staffing"), M, to_gate="")
    return qs.filter(compound__neighbourhood__street=street).order_by("compound__name", "name")


# --- volunteers -------------------------------------------------------------------------------------


def volunteer_list(*, scope: Scope, include_removed: bool = False) -> QuerySet[Volunteer]:
    qs = scope.restrict(
        Volunteer.objects.select_related("neighbourhood", "organisation", "resident", "home_compound"),
        M,
        to_neighbourhood="neighbourhood",
    )
    if not include_removed:
        qs = qs.filter(status=Volunteer.Status.ACTIVE)
    return qs.order_by("name")


def volunteer_get(*, scope: Scope, volunteer_id: uuid.UUID | str) -> Volunteer:
    return _get(volunteer_list(scope=scope, include_removed=True), volunteer_id)  # type: ignore[no-any-return]


def volunteer_self(*, scope: Scope) -> Volunteer:
    """The signed-in volunteer's own record (the volunteer role reaches nothing else)."""
    if not scope.can(Capability.VOLUNTEER_DUTY) or scope.user_id is None:
        raise Http404
    volunteer = (
        Volunteer.objects.select_related("neighbourhood__street", "resident")
        .filter(user_id=scope.user_id)
        .first()
    )
    if volunteer is None:
        raise Http404
    return volunteer


def availability_get(*, scope: Scope, volunteer: Volunteer, window_id: uuid.UUID | str) -> Availability:
    return _get(Availability.objects.filter(volunteer=volunteer), window_id)  # type: ignore[no-any-return]


def date_off_get(*, volunteer: Volunteer, day_off_id: uuid.UUID | str) -> DateOff:
    return _get(DateOff.objects.filter(volunteer=volunteer), day_off_id)  # type: ignore[no-any-return]


def organisation_list(*, scope: Scope) -> QuerySet[Organisation]:
    return scope.restrict(Organisation.objects.select_related("street"), M, to_street="street").order_by(
        "name"
    )


# --- patrol routes ----------------------------------------------------------------------------------


def route_list(*, scope: Scope) -> QuerySet[PatrolRoute]:
    return (
        scope.restrict(
            PatrolRoute.objects.select_related("compound__neighbourhood"), M, to_compound="compound"
        )
        .annotate(checkpoint_count=Count("checkpoints"))
        .order_by("compound__name", "name")
    )


def route_get(*, scope: Scope, route_id: uuid.UUID | str) -> PatrolRoute:
    return _get(route_list(scope=scope), route_id)  # type: ignore[no-any-return]


def checkpoint_for_scan(checkpoint_id: uuid.UUID) -> Checkpoint | None:
    """A check-point named by a verified tag code; the scan service checks it is the caller's round."""
    return Checkpoint.objects.select_related("route__compound").filter(id=checkpoint_id).first()


def gate_for_check_in(gate_id: uuid.UUID) -> Gate | None:
    """A gate named by a verified poster code; the check-in service checks it is the caller's shift."""
    return Gate.objects.select_related("compound__neighbourhood__street__district").filter(id=gate_id).first()


# --- rosters ----------------------------------------------------------------------------------------


def roster_get(*, scope: Scope, street: Street, week: dt.date) -> Roster | None:
    qs = scope.restrict(Roster.objects.all(), M, to_street="street")
    return qs.filter(street=street, week_start=P.week_monday(week)).first()


def slot_list(*, scope: Scope, capability: Capability = M) -> QuerySet[Slot]:
    return scope.restrict(
        Slot.objects.select_related("gate", "route", "compound", "neighbourhood", "roster"),
        capability,
        to_compound="compound",
        to_neighbourhood="neighbourhood",
        to_street="roster__street",
    )


def slot_get(*, scope: Scope, slot_id: uuid.UUID | str) -> Slot:
    return _get(slot_list(scope=scope), slot_id)  # type: ignore[no-any-return]


def assignment_get(*, scope: Scope, assignment_id: uuid.UUID | str) -> Assignment:
    qs = scope.restrict(
        Assignment.objects.select_related("slot__roster", "slot__gate", "volunteer"),
        M,
        to_compound="slot__compound",
        to_neighbourhood="slot__neighbourhood",
        to_street="slot__roster__street",
    )
    return _get(qs, assignment_id)  # type: ignore[no-any-return]


def reason_text(reason: dict[str, Any]) -> str:
    """Why a slot stays uncovered, in the reader's language."""
    why = reason.get("why")
    missing = reason.get("missing", 0)
    if why == "nobody_available":
        return _("Nobody is available then.")
    if why == "everybody_at_limit":
        return _("Everybody available (%(n)s) has reached their weekly hours.") % {
            "n": reason.get("available", 0)
        }
    if why == "everybody_busy":
        return _("Everybody available (%(n)s) is already on duty elsewhere.") % {
            "n": reason.get("available", 0)
        }
    if why == "rest_rule":
        return _("Everybody available (%(n)s) would rest less than 8 hours between shifts.") % {
            "n": reason.get("available", 0)
        }
    if why == "past":
        return _("The slot had started before the roster was made.")
    if why == "time_limit":
        return _("The solver ran out of time; solve again.")
    if why == "released":
        return _("Released: offered again to volunteers.")
    if why == "mixed":
        return _(
            "%(n)s available: %(busy)s on duty elsewhere, %(limit)s at their weekly hours, "
            "%(rest)s would rest less than 8 hours."
        ) % {
            "n": reason.get("available", 0),
            "busy": reason.get("busy", 0),
            "limit": reason.get("at_limit", 0),
            "rest": reason.get("rest", 0),
        }
    return _("%(n)s place(s) not filled.") % {"n": missing}


@dataclass
class Cell:
    slot: Slot | None
    needed: int = 0
    assigned: int = 0
    checked_in: int = 0

    @property
    def state(self) -> str:
        if self.slot is None or self.needed == 0:
            return "none"
        if self.assigned >= self.needed:
            return "full"
        return "short" if self.assigned else "empty"


@dataclass
class Row:
    label: str
    kind: str
    compound: str
    cells: list[Cell]


@dataclass
class Coverage:
    week: dt.date
    rows: list[Row]
    uncovered: list[dict[str, Any]]
    hours: list[dict[str, Any]]
    chart: dict[str, Any]
    patrol_flags: list[dict[str, Any]]
    needed: int = 0
    assigned: int = 0
    day_labels: list[str] = field(default_factory=list)


def coverage(
    *,
    scope: Scope,
    week: dt.date,
    street: Street | None = None,
    neighbourhood: Neighbourhood | None = None,
    now: dt.datetime,
) -> Coverage:
    """The week's coverage per post and period, uncovered slots first, each volunteer's hours."""
    week = P.week_monday(week)
    slots = slot_list(scope=scope).filter(roster__week_start=week, status=Slot.Status.ACTIVE)
    if street is not None:
        slots = slots.filter(roster__street=street)
    if neighbourhood is not None:
        slots = slots.filter(neighbourhood=neighbourhood)
    slots = slots.annotate(
        assigned_n=Count("assignments", filter=Q(assignments__status=Assignment.Status.PLANNED)),
        checked_n=Count(
            "assignments",
            filter=Q(assignments__status=Assignment.Status.PLANNED, assignments__checked_in_at__isnull=False),
        ),
    ).order_by("compound__name", "gate__name", "route__name", "period")
    rows_by_post: dict[str, Row] = {}
    uncovered: list[dict[str, Any]] = []
    needed_by_day = [0] * P.DAYS
    covered_by_day = [0] * P.DAYS
    total_needed = total_assigned = 0
    patrol_slots = []
    for slot in slots:
        key = f"g{slot.gate_id}" if slot.gate_id else f"r{slot.route_id}"
        if key not in rows_by_post:
            rows_by_post[key] = Row(
                label=str(slot.gate.name if slot.gate else slot.route.name if slot.route else ""),
                kind="gate" if slot.gate_id else "route",
                compound=slot.compound.name,
                cells=[Cell(None) for _ in range(P.PERIODS)],
            )
        assigned = min(slot.assigned_n, slot.needed)
        rows_by_post[key].cells[slot.period] = Cell(slot, slot.needed, assigned, slot.checked_n)
        day = P.day_index(slot.period)
        needed_by_day[day] += slot.needed * P.PERIOD_HOURS
        covered_by_day[day] += assigned * P.PERIOD_HOURS
        total_needed += slot.needed
        total_assigned += assigned
        if assigned < slot.needed and slot.ends_at > now:
            reason = slot.uncovered_reason or {"why": "released", "missing": slot.needed - assigned}
            uncovered.append(
                {
                    "slot": slot,
                    "post": slot.post,
                    "missing": slot.needed - assigned,
                    "reason": reason_text(reason),
                }
            )
        if slot.route_id and slot.starts_at <= now:
            patrol_slots.append(slot)
    uncovered.sort(key=lambda u: (u["slot"].starts_at, str(u["post"])))
    rows = sorted(rows_by_post.values(), key=lambda r: (r.kind, r.compound, r.label))

    hours_q = Assignment.objects.filter(
        slot__in=slot_list(scope=scope)
        .filter(roster__week_start=week, status=Slot.Status.ACTIVE)
        .values("id"),
        status=Assignment.Status.PLANNED,
    )
    if street is not None:
        hours_q = hours_q.filter(slot__roster__street=street)
    if neighbourhood is not None:
        hours_q = hours_q.filter(slot__neighbourhood=neighbourhood)
    per_volunteer = (
        hours_q.values(
            "volunteer_id", "volunteer__name", "volunteer__max_hours_week", "volunteer__neighbourhood__name"
        )
        .annotate(n=Count("id"))
        .order_by("-n", "volunteer__name")
    )
    hours = [
        {
            "id": row["volunteer_id"],
            "name": row["volunteer__name"],
            "hours": row["n"] * P.PERIOD_HOURS,
            "max": row["volunteer__max_hours_week"],
            "neighbourhood": row["volunteer__neighbourhood__name"],
        }
        for row in per_volunteer
    ]
    flags = []
    for slot in patrol_slots[-200:]:
        # Finished rounds carry their result (the worker wrote it); only rounds still being walked
        # are read live, so this stays a few queries however long the week.
        result = patrol_round_result(slot) if slot.round_due_at is not None else slot.round_result
        if not result:
            continue
        if result.get("missed") or result.get("late"):
            flags.append(
                {
                    "slot": slot,
                    "missed": result.get("missed", 0),
                    "late": result.get("late", 0),
                    "points": result["points"],
                }
            )
    flags.sort(key=lambda f: f["slot"].starts_at, reverse=True)
    day_labels = [(week + dt.timedelta(days=d)).strftime("%m-%d") for d in range(P.DAYS)]
    histogram: dict[int, int] = defaultdict(int)
    for row in hours:
        histogram[row["hours"]] += 1
    chart = {
        "days": day_labels,
        "needed": needed_by_day,
        "covered": covered_by_day,
        "hours_buckets": sorted(histogram),
        "hours_counts": [histogram[h] for h in sorted(histogram)],
    }
    return Coverage(
        week=week,
        rows=rows,
        uncovered=uncovered,
        hours=hours,
        chart=chart,
        patrol_flags=flags,
        needed=total_needed,
        assigned=total_assigned,
        day_labels=day_labels,
    )


# --- the volunteer's own phone ----------------------------------------------------------------------


def my_shifts(*, volunteer: Volunteer, now: dt.datetime, limit: int = 20) -> QuerySet[Assignment]:
    return (
        Assignment.objects.select_related("slot__gate__compound", "slot__route__compound")
        .filter(
            volunteer=volunteer,
            status=Assignment.Status.PLANNED,
            slot__status=Slot.Status.ACTIVE,
            slot__ends_at__gt=now,
        )
        .order_by("slot__starts_at")[:limit]
    )


def open_shifts(*, volunteer: Volunteer, now: dt.datetime, limit: int = 20) -> list[Slot]:
    """Shifts in the volunteer's street still short of people, nearest to home first."""
    horizon = now + dt.timedelta(days=8)
    slots = (
        Slot.objects.select_related("gate", "route", "compound", "neighbourhood")
        .filter(
            roster__street_id=volunteer.neighbourhood.street_id,
            status=Slot.Status.ACTIVE,
            starts_at__gt=now,
            starts_at__lt=horizon,
        )
        .annotate(filled=Count("assignments", filter=Q(assignments__status=Assignment.Status.PLANNED)))
        .order_by("starts_at")
    )
    short: list[Slot] = [s for s in slots[:2000] if s.filled < s.needed]
    short.sort(key=lambda s: (s.neighbourhood_id != volunteer.neighbourhood_id, s.starts_at))
    return short[:limit]
