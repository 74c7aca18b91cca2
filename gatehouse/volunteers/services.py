"""Writes for volunteers, demand, rosters, check-ins and patrols.

Each service validates first, saves in one transaction with one audit row, and leaves side effects
(alerts, the gate screen's duty list) until after commit. Objects passed in come from scoped
selectors; services check the capability, selectors the reach.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gatehouse.accounts.models import User
from gatehouse.accounts.services import user_create
from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise
from gatehouse.core.audit import SYSTEM, Actor, audit_record
from gatehouse.core.roles import Capability, Role, Scope
from gatehouse.gate.services import gate_duty_end, gate_duty_start
from gatehouse.lib.phones import phone_normalise
from gatehouse.people.models import HealthColour, Resident
from gatehouse.places.models import Compound, CompoundClass, Gate, GateRegime, Neighbourhood, Street
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import solver
from gatehouse.volunteers.models import (
    Assignment,
    Availability,
    Checkpoint,
    CheckpointScan,
    DateOff,
    GateStaffing,
    Organisation,
    PatrolRoute,
    Roster,
    Skill,
    Slot,
    Volunteer,
)
from gatehouse.volunteers.rules import Breach, schedule_problems

logger = logging.getLogger("gatehouse.volunteers")

CHECK_IN_EARLY = dt.timedelta(minutes=30)  # a volunteer may check in this long before the shift
UNCOVERED_AFTER = dt.timedelta(minutes=10)  # nobody checked in this long after the start: alert
TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("42.0")
SOLVE_TIME_LIMIT_S = 50.0


# --- the gate screen's duty list -------------------------------------------------------------------


def _announce_duty(gate: Gate, user: User | None, at: dt.datetime) -> None:
    """Tell the gate screen who is on duty (a volunteer without a login is on the roster only)."""
    if user is not None:
        gate_duty_start(gate=gate, user=user, at=at)


def _announce_duty_end(gate: Gate, user: User | None, at: dt.datetime) -> None:
    """Tell the gate screen a volunteer left."""
    if user is not None:
        gate_duty_end(gate=gate, user=user, at=at)


# --- helpers ---------------------------------------------------------------------------------------


def _require(scope: Scope, capability: Capability) -> None:
    if not scope.can(capability):
        raise PermissionDenied(_("Your role may not do this."))


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(P.TZ)


def _hm(moment: dt.datetime) -> str:
    return _local(moment).strftime("%m-%d %H:%M")


def ineligible_reason(volunteer: Volunteer) -> str | None:
    """Why a volunteer may not be rostered now, as a stable code; None when they may."""
    if volunteer.status != Volunteer.Status.ACTIVE:
        return "removed"
    if volunteer.fever_at is not None:
        return "fever"
    resident = volunteer.resident
    if resident is not None:
        if resident.status != Resident.Status.ACTIVE:
            return "moved_out"
        if resident.health_colour != HealthColour.GREEN:
            return "health_colour"
    if volunteer.trained_on is None:
        return "untrained"
    return None


def ineligible_label(code: str) -> str:
    return {
        "removed": _("removed"),
        "fever": _("declared a fever"),
        "moved_out": _("moved out"),
        "health_colour": _("under observation or health monitoring"),
        "untrained": _("training not done"),
    }.get(code, code)


# --- organisations and volunteers ------------------------------------------------------------------


def organisation_create(*, scope: Scope, actor: Actor, street: Street, name: str) -> Organisation:
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter the name.")]})
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(street=street, name=name[:80])
            audit_record(actor=actor, action="create", object_type="organisation", object_id=organisation.id)
    except IntegrityError:
        raise ValidationError(
            {"name": [_("This street already has an organisation with this name.")]}
        ) from None
    return organisation


def _clean_volunteer_fields(
    *, neighbourhood: Neighbourhood, fields: dict[str, Any], current: Volunteer | None = None
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            errors["name"] = [_("Enter the name.")]
        elif len(name) > 40:
            errors["name"] = [_("A name has at most 40 characters.")]
        clean["name"] = name
    if "phone" in fields:
        try:
            clean["phone"] = phone_normalise(fields["phone"]) if fields["phone"] else ""
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if "kind" in fields:
        if fields["kind"] not in Volunteer.Kind.values:
            errors["kind"] = [_("Choose the kind of volunteer.")]
        clean["kind"] = fields["kind"]
    if "skills" in fields:
        skills = list(dict.fromkeys(fields["skills"] or []))
        if any(s not in Skill.values for s in skills):
            errors["skills"] = [_("Unknown skill.")]
        clean["skills"] = skills
    if "max_hours_week" in fields:
        hours = fields["max_hours_week"]
        if not isinstance(hours, int) or isinstance(hours, bool) or not 4 <= hours <= 60:
            errors["max_hours_week"] = [
                _("A volunteer gives between 4 and 60 hours a week (one shift is 4 hours).")
            ]
        clean["max_hours_week"] = hours
    if "trained_on" in fields:
        trained = fields["trained_on"]
        if trained is not None and trained > timezone.localdate():
            errors["trained_on"] = [_("The training date is in the future.")]
        clean["trained_on"] = trained
    if "organisation" in fields:
        organisation = fields["organisation"]
        if organisation is not None and organisation.street_id != neighbourhood.street_id:
            errors["organisation"] = [_("This organisation belongs to another street.")]
        clean["organisation"] = organisation
    if "resident" in fields:
        resident = fields["resident"]
        if resident is not None:
            if resident.compound.neighbourhood.street_id != neighbourhood.street_id:
                errors["resident"] = [_("This resident lives in another street.")]
            taken = Volunteer.objects.filter(resident=resident)
            if current is not None:
                taken = taken.exclude(id=current.id)
            if taken.exists():
                errors["resident"] = [_("This resident is already a volunteer.")]
        clean["resident"] = resident
    if "home_compound" in fields:
        compound = fields["home_compound"]
        if compound is not None and compound.neighbourhood_id != neighbourhood.id:
            errors["home_compound"] = [_("The home compound must be in the volunteer's neighbourhood.")]
        clean["home_compound"] = compound
    kind = clean.get("kind", current.kind if current else Volunteer.Kind.RESIDENT)
    organisation = clean.get("organisation", current.organisation if current else None)
    if kind == Volunteer.Kind.ORGANISATION_MEMBER and organisation is None and "kind" not in errors:
        errors["organisation"] = [_("An organisation member needs their organisation.")]
    if errors:
        raise ValidationError(errors)
    return clean


def volunteer_register(
    *,
    scope: Scope,
    actor: Actor,
    neighbourhood: Neighbourhood,
    name: str,
    phone: str = "",
    kind: str = Volunteer.Kind.RESIDENT,
    organisation: Organisation | None = None,
    skills: list[str] | None = None,
    max_hours_week: int = 16,
    trained_on: dt.date | None = None,
    resident: Resident | None = None,
    home_compound: Compound | None = None,
) -> Volunteer:
    """Register a volunteer living in (or serving) `neighbourhood`, which came from a scoped selector."""
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    clean = _clean_volunteer_fields(
        neighbourhood=neighbourhood,
        fields={
            "name": name,
            "phone": phone,
            "kind": kind,
            "organisation": organisation,
            "skills": skills or [],
            "max_hours_week": max_hours_week,
            "trained_on": trained_on,
            "resident": resident,
            "home_compound": home_compound,
        },
    )
    resident_home = clean["resident"].compound if clean["resident"] is not None else None
    if (
        clean["home_compound"] is None
        and resident_home
        and resident_home.neighbourhood_id == neighbourhood.id
    ):
        clean["home_compound"] = resident_home
    with transaction.atomic():
        volunteer = Volunteer.objects.create(neighbourhood=neighbourhood, **clean)
        audit_record(
            actor=actor,
            action="create",
            object_type="volunteer",
            object_id=volunteer.id,
            subject_resident_id=resident.id if resident else None,
        )
    return volunteer


def volunteer_update(*, scope: Scope, actor: Actor, volunteer: Volunteer, **changes: Any) -> Volunteer:
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    allowed = {
        "name",
        "phone",
        "kind",
        "organisation",
        "skills",
        "max_hours_week",
        "trained_on",
        "home_compound",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    clean = _clean_volunteer_fields(neighbourhood=volunteer.neighbourhood, fields=changes, current=volunteer)
    changed = [k for k, v in clean.items() if getattr(volunteer, k) != v]
    if not changed:
        return volunteer
    with transaction.atomic():
        for key in changed:
            setattr(volunteer, key, clean[key])
        volunteer.save()
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer.id,
            detail="changed: " + ", ".join(sorted(changed)),
        )
        if "max_hours_week" in changed:
            _flag_rosters_of(volunteer)
    return volunteer


def volunteer_account_create(
    *,
    scope: Scope,
    actor: Actor,
    volunteer: Volunteer,
    username: str,
    password: str,
    check_password: bool = True,
) -> User:
    """A phone login for the volunteer: the volunteer role, bound to their street."""
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    if volunteer.user_id is not None:
        raise ValidationError({"username": [_("This volunteer already has a login.")]})
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": [_("Choose a username.")]})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("This username is taken.")]})
    with transaction.atomic():
        user = user_create(
            username=username,
            password=password,
            role=Role.VOLUNTEER,
            street=volunteer.neighbourhood.street,
            display_name=volunteer.name,
            check_password=check_password,
        )
        volunteer.user = user
        volunteer.save(update_fields=["user", "updated_at"])
        audit_record(
            actor=actor, action="create", object_type="user", object_id=str(user.pk), detail="volunteer login"
        )
    return user


def _release(assignments: Iterable[Assignment], *, reason: str, now: dt.datetime) -> list[Assignment]:
    released = []
    for assignment in assignments:
        if assignment.status != Assignment.Status.PLANNED:
            continue
        assignment.status = Assignment.Status.RELEASED
        assignment.released_at = now
        assignment.release_reason = reason
        assignment.save(update_fields=["status", "released_at", "release_reason", "updated_at"])
        released.append(assignment)
    if released:
        Roster.objects.filter(id__in={a.slot.roster_id for a in released}).update(needs_repair=True)
    return released


def _future_assignments(volunteer: Volunteer, now: dt.datetime) -> list[Assignment]:
    """Planned assignments not yet started (and not checked into)."""
    return list(
        Assignment.objects.select_related("slot")
        .filter(
            volunteer=volunteer,
            status=Assignment.Status.PLANNED,
            checked_in_at__isnull=True,
            slot__ends_at__gt=now,
        )
        .order_by("slot__starts_at")
    )


def _flag_rosters_of(volunteer: Volunteer) -> None:
    Roster.objects.filter(
        street_id=volunteer.neighbourhood.street_id, slots__assignments__volunteer=volunteer
    ).update(needs_repair=True)


def volunteer_remove(
    *, scope: Scope, actor: Actor, volunteer: Volunteer, now: dt.datetime | None = None
) -> list[Assignment]:
    """Take a volunteer off the roster for good: their coming shifts are released and offered again,
    and the rosters they were on are re-solved. Returns the released assignments."""
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    now = now or timezone.now()
    if volunteer.status == Volunteer.Status.REMOVED:
        raise ValidationError({"status": [_("This volunteer is already removed.")]})
    with transaction.atomic():
        volunteer.status = Volunteer.Status.REMOVED
        volunteer.removed_at = now
        volunteer.save(update_fields=["status", "removed_at", "updated_at"])
        released = _release(_future_assignments(volunteer, now), reason="volunteer_removed", now=now)
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer.id,
            detail=f"removed; {len(released)} shifts released",
        )
        _request_resolve_after_release(released, actor=actor, now=now)
    return released


def _request_resolve_after_release(released: list[Assignment], *, actor: Actor, now: dt.datetime) -> None:
    """Released shifts are holes in a published plan: have the solver fill them (locks stay)."""
    for roster_id in {a.slot.roster_id for a in released}:
        Roster.objects.filter(id=roster_id).exclude(
            solve_status__in=[Roster.SolveStatus.REQUESTED, Roster.SolveStatus.SOLVING]
        ).update(
            solve_status=Roster.SolveStatus.REQUESTED,
            solve_requested_at=now,
            solve_requested_by=actor.label[:150],
            solve_progress={"phase": "requested"},
        )


def volunteer_fever_clear(*, scope: Scope, actor: Actor, volunteer: Volunteer) -> Volunteer:
    """An officer clears a declared fever after a normal re-test; the volunteer may be rostered again."""
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    if volunteer.fever_at is None:
        raise ValidationError({"fever_at": [_("This volunteer has no fever recorded.")]})
    with transaction.atomic():
        volunteer.fever_at = None
        volunteer.fever_temperature = None
        volunteer.save(update_fields=["fever_at", "fever_temperature", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer.id,
            detail="fever cleared",
        )
    return volunteer


def volunteer_fever_declare(
    *,
    volunteer: Volunteer,
    temperature: Decimal | None,
    now: dt.datetime,
    actor: Actor,
    gate: Gate | None = None,
) -> list[Assignment]:
    """The volunteer has a fever: off the roster at once, their coming shifts released, an alert raised."""
    with transaction.atomic():
        volunteer.fever_at = now
        volunteer.fever_temperature = temperature
        volunteer.save(update_fields=["fever_at", "fever_temperature", "updated_at"])
        released = _release(_future_assignments(volunteer, now), reason="fever", now=now)
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer.id,
            detail="fever declared",
        )
        _request_resolve_after_release(released, actor=actor, now=now)
        transaction.on_commit(
            functools.partial(
                _raise_volunteer_fever, volunteer.id, temperature, now, gate.id if gate else None
            )
        )
    return released


def _raise_volunteer_fever(
    volunteer_id: uuid.UUID, temperature: Decimal | None, now: dt.datetime, gate_id: uuid.UUID | None
) -> None:
    volunteer = Volunteer.objects.select_related("neighbourhood__street__district", "resident").get(
        id=volunteer_id
    )
    gate = Gate.objects.select_related("compound").filter(id=gate_id).first() if gate_id else None
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Volunteer %(name)s has a fever (%(t)s °C) and did not start the shift") % {
            "name": _mask(volunteer.name),
            "t": temperature if temperature is not None else "?",
        }
        alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.HIGH,
            neighbourhood=volunteer.neighbourhood,
            compound=gate.compound if gate else None,
            subject=volunteer.resident,
            subject_label=_mask(volunteer.name),
            title=title,
            dedupe_key=f"volunteer_fever:{volunteer.id}:{now.date().isoformat()}",
            evidence={
                "volunteer": str(volunteer.id),
                "temperature": str(temperature) if temperature is not None else None,
                "gate": str(gate.id) if gate else None,
            },
            at=now,
        )


def _mask(name: str) -> str:
    from gatehouse.people.models import mask_name

    return mask_name(name)


# --- availability -----------------------------------------------------------------------------------


def _window_label(weekday: int, starts: dt.time, ends: dt.time) -> str:
    return f"{Availability.Weekday(weekday).label} {starts:%H:%M}–{ends:%H:%M}"


def availability_add(
    *, scope: Scope, actor: Actor, volunteer: Volunteer, weekday: int, starts_at: dt.time, ends_at: dt.time
) -> Availability:
    """Add a weekly window. Overlapping an existing window is refused, naming it."""
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    if weekday not in Availability.Weekday.values:
        raise ValidationError({"weekday": [_("Choose a day of the week.")]})
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is not None:
            raise ValidationError({name: [_("Give the local time, without a time zone.")]})
    if starts_at == ends_at:
        raise ValidationError({"ends_at": [_("The window must not start and end at the same time.")]})
    new = P.window_minutes(weekday, starts_at, ends_at)
    for other in volunteer.availability.all():
        if P.windows_overlap(new, P.window_minutes(other.weekday, other.starts_at, other.ends_at)):
            raise ValidationError(
                {
                    "starts_at": [
                        _("This overlaps the window %(other)s already given; change that one instead.")
                        % {"other": _window_label(other.weekday, other.starts_at, other.ends_at)}
                    ]
                }
            )
    with transaction.atomic():
        window = Availability.objects.create(
            volunteer=volunteer, weekday=weekday, starts_at=starts_at, ends_at=ends_at
        )
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer.id,
            detail=f"availability added {weekday} {starts_at:%H:%M}-{ends_at:%H:%M}",
        )
    return window


def availability_remove(*, scope: Scope, actor: Actor, window: Availability) -> None:
    _require(scope, Capability.MANAGE_VOLUNTEERS)
    with transaction.atomic():
        volunteer_id = window.volunteer_id
        window.delete()
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer_id,
            detail="availability removed",
        )


def availability_hours(volunteer: Volunteer) -> int:
    """Hours a week the volunteer's windows allow in whole shifts: less than their limit is worth a word."""
    windows = [P.window_minutes(a.weekday, a.starts_at, a.ends_at) for a in volunteer.availability.all()]
    return len(P.periods_within(windows)) * P.PERIOD_HOURS


def date_off_add(
    *,
    actor: Actor,
    volunteer: Volunteer,
    date: dt.date,
    note: str = "",
    scope: Scope | None = None,
    now: dt.datetime | None = None,
) -> tuple[DateOff, list[Assignment]]:
    """Mark a day off (by an officer, or by the volunteer on their phone when `scope` is None).
    Shifts already planned that day are released and offered again."""
    if scope is not None:
        _require(scope, Capability.MANAGE_VOLUNTEERS)
    now = now or timezone.now()
    if date < _local(now).date():
        raise ValidationError({"date": [_("This day has passed.")]})
    with transaction.atomic():
        try:
            with transaction.atomic():
                day_off = DateOff.objects.create(volunteer=volunteer, date=date, note=(note or "")[:100])
        except IntegrityError:
            raise ValidationError({"date": [_("This day is already marked off.")]}) from None
        that_day = [a for a in _future_assignments(volunteer, now) if _local(a.slot.starts_at).date() == date]
        released = _release(that_day, reason="date_off", now=now)
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer.id,
            detail=f"date off {date.isoformat()}; {len(released)} shifts released",
        )
        _request_resolve_after_release(released, actor=actor, now=now)
    return day_off, released


def date_off_remove(*, actor: Actor, day_off: DateOff, scope: Scope | None = None) -> None:
    if scope is not None:
        _require(scope, Capability.MANAGE_VOLUNTEERS)
    with transaction.atomic():
        volunteer_id = day_off.volunteer_id
        day_off.delete()
        audit_record(
            actor=actor,
            action="update",
            object_type="volunteer",
            object_id=volunteer_id,
            detail="date off removed",
        )


# --- demand -----------------------------------------------------------------------------------------


def gate_staffing_set(
    *, scope: Scope, actor: Actor, gate: Gate, staff_day: int | None, staff_night: int | None, note: str = ""
) -> GateStaffing | None:
    """The street's own figure for a gate; both None goes back to the class regime."""
    _require(scope, Capability.PLAN_ROSTERS)
    if staff_day is None and staff_night is None:
        with transaction.atomic():
            GateStaffing.objects.filter(gate=gate).delete()
            audit_record(
                actor=actor, action="update", object_type="gate", object_id=gate.id, detail="staffing: regime"
            )
        return None
    errors = {}
    for name, value in (("staff_day", staff_day), ("staff_night", staff_night)):
        if value is None or not 0 <= value <= 20:
            errors[name] = [_("Between 0 and 20 people.")]
    if errors:
        raise ValidationError(errors)
    assert staff_day is not None
    assert staff_night is not None
    with transaction.atomic():
        staffing, _created = GateStaffing.objects.update_or_create(
            gate=gate,
            defaults={"staff_day": staff_day, "staff_night": staff_night, "note": (note or "")[:200]},
        )
        audit_record(
            actor=actor,
            action="update",
            object_type="gate",
            object_id=gate.id,
            detail=f"staffing: {staff_day} by day, {staff_night} by night",
        )
    return staffing


PATROL_CLASSES = {CompoundClass.OLD_LANE, CompoundClass.RELOCATION_PLOT, CompoundClass.UNOCCUPIED_AREA}


def patrol_route_create(
    *,
    scope: Scope,
    actor: Actor,
    compound: Compound,
    name: str,
    every_hours: int = 4,
    at_night: bool = False,
    round_minutes: int = 60,
    checkpoints: list[str] | None = None,
) -> PatrolRoute:
    _require(scope, Capability.PLAN_ROSTERS)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the name.")]
    if compound.compound_class not in PATROL_CLASSES:
        errors["compound"] = [_("Patrols are for old lanes, relocation plots and unoccupied areas.")]
    if every_hours not in PatrolRoute.Every.values:
        errors["every_hours"] = [_("Choose every 4, 8 or 12 hours, or once a day.")]
    if not 10 <= round_minutes <= 240:
        errors["round_minutes"] = [_("A round takes between 10 and 240 minutes.")]
    names = [c.strip() for c in checkpoints or [] if c.strip()]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            route = PatrolRoute.objects.create(
                compound=compound,
                name=name[:60],
                every_hours=every_hours,
                at_night=at_night,
                round_minutes=round_minutes,
            )
            Checkpoint.objects.bulk_create(
                [Checkpoint(route=route, position=i + 1, name=n[:60]) for i, n in enumerate(names)]
            )
            audit_record(actor=actor, action="create", object_type="patrol_route", object_id=route.id)
    except IntegrityError:
        raise ValidationError({"name": [_("This compound already has a route with this name.")]}) from None
    return route


def checkpoint_add(*, scope: Scope, actor: Actor, route: PatrolRoute, name: str) -> Checkpoint:
    _require(scope, Capability.PLAN_ROSTERS)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter the name.")]})
    with transaction.atomic():
        last = route.checkpoints.order_by("-position").values_list("position", flat=True).first() or 0
        checkpoint = Checkpoint.objects.create(route=route, position=last + 1, name=name[:60])
        audit_record(
            actor=actor,
            action="update",
            object_type="patrol_route",
            object_id=route.id,
            detail="check-point added",
        )
    return checkpoint


def gate_demand(gate: Gate, regime: GateRegime | None, staffing: GateStaffing | None) -> tuple[int, int]:
    """(by day, by night) for an open gate: the street's figure, else its class regime. Sealed: none."""
    if gate.status == Gate.Status.SEALED:
        return 0, 0
    if staffing is not None:
        return staffing.staff_day, staffing.staff_night
    if regime is None:
        return 0, 0
    return regime.staff_day, regime.staff_night


def route_periods(route: PatrolRoute) -> list[int]:
    """The periods a route is walked in: every `every_hours` from 06:00, by day unless also at night."""
    step = max(1, route.every_hours // P.PERIOD_HOURS)
    chosen = []
    for period in range(P.PERIODS):
        k = period % P.PERIODS_PER_DAY
        if k % step:
            continue
        if P.is_night(period) and not route.at_night:
            continue
        chosen.append(period)
    return chosen


# --- the roster -------------------------------------------------------------------------------------


@dataclass
class Demand:
    """What a street needs in one week: (post key, period) -> people, with each post's places."""

    needed: dict[tuple[str, int], int] = field(default_factory=dict)
    gates: dict[uuid.UUID, Gate] = field(default_factory=dict)
    routes: dict[uuid.UUID, PatrolRoute] = field(default_factory=dict)


def street_demand(street: Street) -> Demand:
    demand = Demand()
    gates = list(
        Gate.objects.select_related("compound__neighbourhood", "staffing")
        .filter(compound__neighbourhood__street=street)
        .exclude(status=Gate.Status.SEALED)
    )
    regimes = {r.compound_class: r for r in GateRegime.objects.filter(district_id=street.district_id)}
    for gate in gates:
        staffing = getattr(gate, "staffing", None)
        by_day, by_night = gate_demand(gate, regimes.get(gate.compound.compound_class), staffing)
        for period in range(P.PERIODS):
            if not P.gate_open_in(period, gate.opens_at, gate.closes_at):
                continue
            needed = by_night if P.is_night(period) else by_day
            if needed:
                demand.needed[(f"g:{gate.id}", period)] = needed
                demand.gates[gate.id] = gate
    routes = PatrolRoute.objects.select_related("compound__neighbourhood").filter(
        compound__neighbourhood__street=street, active=True
    )
    for route in routes:
        if not route.checkpoints.exists():
            continue
        for period in route_periods(route):
            demand.needed[(f"r:{route.id}", period)] = 1
            demand.routes[route.id] = route
    return demand


def _post_key(slot: Slot) -> str:
    return f"g:{slot.gate_id}" if slot.gate_id else f"r:{slot.route_id}"


def volunteer_periods(volunteer: Volunteer, week: dt.date) -> set[int]:
    """The periods of `week` a volunteer is free: their weekly windows less their dates off."""
    windows = [P.window_minutes(a.weekday, a.starts_at, a.ends_at) for a in volunteer.availability.all()]
    free = P.periods_within(windows)
    off = {d.date for d in volunteer.dates_off.all()}
    if off:
        free = {p for p in free if _local(P.period_start(week, p)).date() not in off}
    return free


def roster_for(*, street: Street, week: dt.date) -> Roster:
    roster, _created = Roster.objects.get_or_create(street=street, week_start=P.week_monday(week))
    return roster


def roster_solve_request(
    *, scope: Scope, actor: Actor, street: Street, week: dt.date, now: dt.datetime | None = None
) -> Roster:
    """Ask the worker to solve (or re-solve) a street's week; the page follows its progress."""
    _require(scope, Capability.PLAN_ROSTERS)
    now = now or timezone.now()
    week = P.week_monday(week)
    if not P.week_in_range(week):
        raise ValidationError({"week": [_("Choose a week between 2000 and 2100.")]})
    if P.period_start(week, P.PERIODS) <= now:
        raise ValidationError({"week": [_("This week is over; it can no longer be rostered.")]})
    roster = roster_for(street=street, week=week)
    with transaction.atomic():
        claimed = (
            Roster.objects.filter(id=roster.id)
            .exclude(solve_status__in=[Roster.SolveStatus.REQUESTED, Roster.SolveStatus.SOLVING])
            .update(
                solve_status=Roster.SolveStatus.REQUESTED,
                solve_requested_at=now,
                solve_requested_by=actor.label[:150],
                solve_progress={"phase": "requested"},
            )
        )
        if not claimed:
            raise ValidationError({"week": [_("The solver is already working on this week.")]})
        audit_record(
            actor=actor, action="update", object_type="roster", object_id=roster.id, detail="solve requested"
        )
    roster.refresh_from_db()
    return roster


@dataclass
class Built:
    """The solver's instance for a roster, and how to map its ids back to rows."""

    instance: solver.Instance
    slots: dict[str, Slot]
    volunteers: dict[str, Volunteer]
    ineligible: dict[str, int]


def _sync_slots(
    roster: Roster, demand: Demand, now: dt.datetime
) -> tuple[dict[tuple[str, int], Slot], list[Assignment]]:
    """Make the roster's slots match the demand: new ones created, vanished ones cancelled (their
    people released), changed counts updated. Past slots are left as they were."""
    week = roster.week_start
    existing = {(_post_key(s), s.period): s for s in roster.slots.all()}
    released: list[Assignment] = []
    keep: dict[tuple[str, int], Slot] = {}
    to_create = []
    for key, needed in demand.needed.items():
        post, period = key
        starts = P.period_start(week, period)
        slot = existing.get(key)
        if slot is not None:
            if slot.starts_at <= now:
                keep[key] = slot
                continue
            changed = []
            if slot.status != Slot.Status.ACTIVE:
                # A gate opened again: the slot comes back with its deadlines.
                slot.status, slot.cancel_reason = Slot.Status.ACTIVE, ""
                slot.check_due_at = starts + UNCOVERED_AFTER if slot.gate_id else None
                route = demand.routes.get(slot.route_id) if slot.route_id else None
                slot.round_due_at = starts + dt.timedelta(minutes=route.round_minutes) if route else None
                changed += ["status", "cancel_reason", "check_due_at", "round_due_at"]
            if slot.needed != needed:
                slot.needed = needed
                changed.append("needed")
                extra = list(
                    slot.assignments.filter(status=Assignment.Status.PLANNED).order_by(
                        "locked", "-created_at"
                    )
                )
                if len(extra) > needed:
                    released += _release(extra[: len(extra) - needed], reason="demand_lowered", now=now)
            if changed:
                slot.save(update_fields=[*changed, "updated_at"])
            keep[key] = slot
            continue
        if P.period_end(week, period) <= now:
            continue  # a roster made mid-week starts from the period in progress
        gate = demand.gates.get(uuid.UUID(post[2:])) if post.startswith("g:") else None
        route = demand.routes.get(uuid.UUID(post[2:])) if post.startswith("r:") else None
        compound = gate.compound if gate else route.compound  # type: ignore[union-attr]
        slot = Slot(
            roster=roster,
            gate=gate,
            route=route,
            compound=compound,
            neighbourhood=compound.neighbourhood,
            period=period,
            starts_at=starts,
            ends_at=P.period_end(week, period),
            needed=needed,
            # Past starts never alert: a roster made mid-week does not report the hours before it.
            check_due_at=starts + UNCOVERED_AFTER
            if gate is not None and starts + UNCOVERED_AFTER > now
            else None,
            round_due_at=(
                starts + dt.timedelta(minutes=route.round_minutes)
                if route is not None and starts > now
                else None
            ),
        )
        to_create.append(slot)
        keep[key] = slot
    Slot.objects.bulk_create(to_create)
    for key, slot in existing.items():
        if key in demand.needed or slot.status != Slot.Status.ACTIVE or slot.starts_at <= now:
            continue
        sealed = slot.gate is not None and slot.gate.status == Gate.Status.SEALED
        reason = "gate_sealed" if sealed else "no_longer_needed"
        slot.status, slot.cancel_reason = Slot.Status.CANCELLED, reason
        slot.check_due_at = slot.round_due_at = None
        slot.save(update_fields=["status", "cancel_reason", "check_due_at", "round_due_at", "updated_at"])
        released += _release(
            slot.assignments.filter(status=Assignment.Status.PLANNED), reason=reason, now=now
        )
    return keep, released


def roster_build(roster: Roster, now: dt.datetime) -> Built:
    """Bring the roster's slots up to date and turn it into the solver's plain instance."""
    street = roster.street
    week = roster.week_start
    frozen_before = P.period_at(week, now)
    frozen = 0 if now < P.week_start_at(week) else (P.PERIODS if frozen_before is None else frozen_before + 1)
    # A period already under way is past for planning: nobody new is sent to a shift that started.
    slots_by_key, _released = _sync_slots(roster, street_demand(street), now)
    # Whoever may no longer serve comes off first, locked or not, so the solve fills their places.
    for assignment in Assignment.objects.select_related("slot", "volunteer__resident").filter(
        slot__roster=roster,
        status=Assignment.Status.PLANNED,
        checked_in_at__isnull=True,
        slot__ends_at__gt=now,
    ):
        reason = ineligible_reason(assignment.volunteer)
        if reason is not None:
            _release([assignment], reason=reason, now=now)
    active = [s for s in slots_by_key.values() if s.status == Slot.Status.ACTIVE]
    volunteers_all = list(
        Volunteer.objects.select_related("resident", "neighbourhood")
        .prefetch_related("availability", "dates_off")
        .filter(neighbourhood__street=street)
    )
    ineligible: dict[str, int] = defaultdict(int)
    volunteers: dict[str, Volunteer] = {}
    people = []
    prior = _prior_periods(roster)
    for volunteer in volunteers_all:
        reason = ineligible_reason(volunteer)
        if reason is not None:
            if reason != "removed":
                ineligible[reason] += 1
            continue
        key = str(volunteer.id)
        volunteers[key] = volunteer
        people.append(
            solver.Person(
                id=key,
                neighbourhood=str(volunteer.neighbourhood_id),
                compound=str(volunteer.home_compound_id or ""),
                max_hours=volunteer.max_hours_week,
                available=frozenset(volunteer_periods(volunteer, week)),
                prior=frozenset(prior.get(volunteer.id, set())),
            )
        )
    posts = {}
    for slot in active:
        key = _post_key(slot)
        posts[key] = solver.Post(
            id=key, neighbourhood=str(slot.neighbourhood_id), compound=str(slot.compound_id)
        )
    planned = list(
        Assignment.objects.filter(
            slot__in=[s.id for s in active], status=Assignment.Status.PLANNED
        ).select_related("slot")
    )
    locks: list[tuple[str, str]] = []
    previous: list[tuple[str, str]] = []
    for assignment in planned:
        pair = (str(assignment.volunteer_id), str(assignment.slot_id))
        if pair[0] not in volunteers:
            continue
        fixed = (
            assignment.locked
            or assignment.source != Assignment.Source.SOLVER
            or assignment.slot.period < frozen
            or assignment.checked_in_at is not None
        )
        (locks if fixed else previous).append(pair)
    return Built(
        instance=solver.Instance(
            posts=tuple(posts.values()),
            slots=tuple(
                solver.Slot(id=str(s.id), post=_post_key(s), period=s.period, needed=s.needed) for s in active
            ),
            people=tuple(people),
            locks=tuple(locks),
            previous=tuple(previous),
            history=_history(roster),
            frozen_before=frozen,
        ),
        slots={str(s.id): s for s in active},
        volunteers=volunteers,
        ineligible=dict(ineligible),
    )


def _prior_periods(roster: Roster) -> dict[uuid.UUID, set[int]]:
    """Periods worked at the very end of the week before (they count for rest on Monday morning)."""
    before = roster.week_start - dt.timedelta(days=7)
    rows = Assignment.objects.filter(
        slot__roster__street_id=roster.street_id,
        slot__roster__week_start=before,
        slot__period__gte=P.PERIODS - P.REST_PERIODS - 1,
        status=Assignment.Status.PLANNED,
    ).values_list("volunteer_id", "slot__period")
    prior: dict[uuid.UUID, set[int]] = defaultdict(set)
    for volunteer_id, period in rows:
        prior[volunteer_id].add(period - P.PERIODS)
    return prior


def _history(roster: Roster) -> dict[tuple[str, str], int]:
    """Who stood where in the four weeks before: the same people at the same gate."""
    since = roster.week_start - dt.timedelta(days=28)
    rows = Assignment.objects.filter(
        slot__roster__street_id=roster.street_id,
        slot__roster__week_start__gte=since,
        slot__roster__week_start__lt=roster.week_start,
        status=Assignment.Status.PLANNED,
    ).values_list("volunteer_id", "slot__gate_id", "slot__route_id")
    history: dict[tuple[str, str], int] = defaultdict(int)
    for volunteer_id, gate_id, route_id in rows:
        post = f"g:{gate_id}" if gate_id else f"r:{route_id}"
        history[(str(volunteer_id), post)] += 1
    return dict(history)


def _reason_json(reason: solver.Reason) -> dict[str, Any]:
    return {
        "why": reason.why.value,
        "missing": reason.missing,
        "available": reason.available,
        "busy": reason.busy,
        "at_limit": reason.at_limit,
        "rest": reason.rest,
    }


def roster_solve_run(
    *,
    roster: Roster,
    now: dt.datetime | None = None,
    time_limit_s: float = SOLVE_TIME_LIMIT_S,
    actor: Actor = SYSTEM,
    on_progress: Callable[[solver.Progress], None] | None = None,
) -> solver.Result:
    """Solve and publish a roster: unlocked future assignments are replaced, locks and started
    shifts stay. Runs in the worker (or the command), not in a request."""
    now = now or timezone.now()
    with transaction.atomic():
        Roster.objects.select_for_update().get(id=roster.id)
        built = roster_build(roster, now)
    result = solver.solve(built.instance, time_limit_s=time_limit_s, on_progress=on_progress)
    problems = solver.verify(built.instance, result.assignments)
    if problems:  # pragma: no cover - the solver's own rules; fail loudly rather than publish a bad plan
        raise RuntimeError("roster breaks hard rules: " + "; ".join(problems[:5]))
    with transaction.atomic():
        Roster.objects.select_for_update().get(id=roster.id)
        fixed = set(built.instance.locks)
        replaceable = Assignment.objects.filter(
            slot__roster=roster,
            status=Assignment.Status.PLANNED,
            source=Assignment.Source.SOLVER,
            locked=False,
            checked_in_at__isnull=True,
            slot__period__gte=built.instance.frozen_before,
        )
        replaceable.delete()
        Assignment.objects.bulk_create(
            [
                Assignment(
                    slot_id=uuid.UUID(slot_id),
                    volunteer_id=uuid.UUID(person_id),
                    source=Assignment.Source.SOLVER,
                )
                for person_id, slot_id in result.assignments
                if (person_id, slot_id) not in fixed
            ]
        )
        reasons = {slot_id: _reason_json(reason) for slot_id, reason in result.uncovered.items()}
        for slot_id, slot in built.slots.items():
            value = reasons.get(slot_id, {})
            if slot.uncovered_reason != value:
                Slot.objects.filter(id=slot.id).update(uncovered_reason=value)
        loads = sorted(result.loads_h.values())
        report = {
            "status": result.status,
            "wall_s": round(result.wall_s, 1),
            "slots": len(built.slots),
            "needed": sum(s.needed for s in built.instance.slots),
            "assigned": len(result.assignments),
            "uncovered": result.uncovered_count,
            "volunteers": len(built.volunteers),
            "ineligible": built.ineligible,
            "locks": len(built.instance.locks),
            "max_hours": loads[-1] if loads else 0,
            "min_hours": loads[0] if loads else 0,
            "solved_at": now.isoformat(),
        }
        Roster.objects.filter(id=roster.id).update(
            solve_status=Roster.SolveStatus.DONE,
            solve_finished_at=timezone.now(),
            solve_report=report,
            solve_progress={"phase": "done"},
            needs_repair=False,
        )
        audit_record(
            actor=actor,
            action="update",
            object_type="roster",
            object_id=roster.id,
            detail=f"solved: {report['assigned']}/{report['needed']} placed, {report['uncovered']} uncovered",
        )
    return result


def rosters_solve_requested(now: dt.datetime, *, time_limit_s: float = SOLVE_TIME_LIMIT_S) -> int:
    """Worker job: claim the oldest requested roster (compare-and-set) and solve it."""
    candidate = (
        Roster.objects.filter(solve_status=Roster.SolveStatus.REQUESTED)
        .order_by("solve_requested_at")
        .first()
    )
    if candidate is None:
        return 0
    claimed = Roster.objects.filter(id=candidate.id, solve_status=Roster.SolveStatus.REQUESTED).update(
        solve_status=Roster.SolveStatus.SOLVING, solve_started_at=now, solve_progress={"phase": "building"}
    )
    if not claimed:
        return 0  # another worker took it

    def progress(p: solver.Progress) -> None:
        Roster.objects.filter(id=candidate.id).update(
            solve_progress={
                "phase": p.phase,
                "elapsed_s": round(p.elapsed_s, 1),
                "solutions": p.solutions,
                "uncovered": p.uncovered,
                "limit_s": time_limit_s,
            }
        )

    try:
        roster_solve_run(roster=candidate, now=now, time_limit_s=time_limit_s, on_progress=progress)
    except Exception as exc:
        logger.exception("roster %s failed to solve", candidate.id)
        Roster.objects.filter(id=candidate.id).update(
            solve_status=Roster.SolveStatus.FAILED,
            solve_finished_at=timezone.now(),
            solve_progress={"phase": "failed", "error": type(exc).__name__},
        )
    return 1


def roster_repair(*, roster: Roster, now: dt.datetime | None = None, actor: Actor = SYSTEM) -> dict[str, int]:
    """Reconcile a published roster with what changed under it: slots of sealed gates cancelled
    (people freed), new demand added, people who may no longer serve taken off (their shifts
    offered again and the week re-solved). Nothing is silently left broken."""
    now = now or timezone.now()
    if P.period_start(roster.week_start, P.PERIODS) <= now:
        return {"released": 0, "cancelled": 0}
    with transaction.atomic():
        Roster.objects.select_for_update().get(id=roster.id)
        before = roster.slots.filter(status=Slot.Status.ACTIVE).count()
        _keep, released = _sync_slots(roster, street_demand(roster.street), now)
        cancelled = max(0, before - roster.slots.filter(status=Slot.Status.ACTIVE).count())
        unfit = [
            a
            for a in Assignment.objects.select_related("slot", "volunteer__resident").filter(
                slot__roster=roster,
                status=Assignment.Status.PLANNED,
                checked_in_at__isnull=True,
                slot__ends_at__gt=now,
            )
            if ineligible_reason(a.volunteer) is not None
        ]
        holes = []
        for assignment in unfit:
            holes += _release(
                [assignment], reason=ineligible_reason(assignment.volunteer) or "ineligible", now=now
            )
        if released or holes:
            audit_record(
                actor=actor,
                action="update",
                object_type="roster",
                object_id=roster.id,
                detail=f"repaired: {len(released)} freed by demand changes, {len(holes)} people taken off",
            )
        if holes or any(a.release_reason == "demand_lowered" for a in released):
            _request_resolve_after_release(holes or released, actor=actor, now=now)
        elif released:
            Roster.objects.filter(id=roster.id).update(needs_repair=True)
    return {"released": len(released) + len(holes), "cancelled": cancelled}


def rosters_reconcile(now: dt.datetime) -> int:
    """Worker job: repair every roster whose week is not over yet."""
    acted = 0
    for roster in (
        Roster.objects.select_related("street")
        .filter(week_start__gte=P.week_of(now) - dt.timedelta(days=0))
        .exclude(solve_status__in=[Roster.SolveStatus.REQUESTED, Roster.SolveStatus.SOLVING])
    ):
        if roster.solve_status == Roster.SolveStatus.NEW:
            continue
        outcome = roster_repair(roster=roster, now=now)
        acted += outcome["released"] + outcome["cancelled"]
    return acted


# --- assignments by hand ----------------------------------------------------------------------------


def _week_periods(volunteer: Volunteer, roster: Roster, *, exclude: Slot | None = None) -> list[int]:
    rows = Assignment.objects.filter(
        volunteer=volunteer, slot__roster=roster, status=Assignment.Status.PLANNED
    )
    if exclude is not None:
        rows = rows.exclude(slot=exclude)
    return list(rows.values_list("slot__period", flat=True))


def breach_message(breach: Breach, volunteer: Volunteer) -> str:
    return {
        Breach.DOUBLE_BOOKED: _("%(name)s is already on duty elsewhere at that time."),
        Breach.TOO_LONG: _("%(name)s would work more than 8 hours in a row."),
        Breach.SHORT_REST: _("%(name)s would rest less than 8 hours between shifts."),
        Breach.OVER_LIMIT: _("%(name)s would go over the %(hours)s hours a week they give."),
        Breach.UNAVAILABLE: _("%(name)s is not available then."),
    }[breach] % {"name": volunteer.name, "hours": volunteer.max_hours_week}


def _check_fit(volunteer: Volunteer, slot: Slot, *, need_available: bool) -> None:
    reason = ineligible_reason(volunteer)
    if reason is not None:
        raise ValidationError(
            {
                "volunteer": [
                    _("%(name)s may not be rostered: %(why)s.")
                    % {"name": volunteer.name, "why": ineligible_label(reason)}
                ]
            }
        )
    periods = [*_week_periods(volunteer, slot.roster, exclude=slot), slot.period]
    if slot.period in _week_periods(volunteer, slot.roster, exclude=slot):
        raise ValidationError({"volunteer": [breach_message(Breach.DOUBLE_BOOKED, volunteer)]})
    available = volunteer_periods(volunteer, slot.roster.week_start) if need_available else None
    prior = _prior_periods(slot.roster).get(volunteer.id, set())
    problems = schedule_problems(
        periods, max_hours=volunteer.max_hours_week, available=available, prior=prior
    )
    if problems:
        raise ValidationError({"volunteer": [breach_message(problems[0].breach, volunteer)]})


def _slot_open(slot: Slot, now: dt.datetime) -> None:
    if slot.status != Slot.Status.ACTIVE:
        raise ValidationError(
            {"slot": [_("This slot is cancelled (the gate was sealed or is no longer needed).")]}
        )
    if slot.ends_at <= now:
        raise ValidationError({"slot": [_("This slot is over.")]})
    filled = slot.assignments.filter(status=Assignment.Status.PLANNED).count()
    if filled >= slot.needed:
        raise ValidationError({"slot": [_("This slot already has everyone it needs.")]})


def assignment_assign(
    *, scope: Scope, actor: Actor, slot: Slot, volunteer: Volunteer, now: dt.datetime | None = None
) -> Assignment:
    """An officer puts a volunteer on a slot by hand; the assignment is locked (kept on re-solve)."""
    _require(scope, Capability.PLAN_ROSTERS)
    now = now or timezone.now()
    if volunteer.neighbourhood.street_id != slot.roster.street_id:
        raise ValidationError({"volunteer": [_("This volunteer belongs to another street.")]})
    with transaction.atomic():
        Slot.objects.select_for_update().get(id=slot.id)
        _slot_open(slot, now)
        _check_fit(volunteer, slot, need_available=True)
        assignment = Assignment.objects.create(
            slot=slot, volunteer=volunteer, source=Assignment.Source.MANUAL, locked=True
        )
        audit_record(
            actor=actor, action="create", object_type="assignment", object_id=assignment.id, detail="by hand"
        )
    return assignment


def assignment_take(*, volunteer: Volunteer, slot: Slot, now: dt.datetime | None = None) -> Assignment:
    """A volunteer takes an open shift on their phone. Their stated availability does not bind
    them (they are offering), but the rest, length and weekly-limit rules do."""
    now = now or timezone.now()
    if slot.roster.street_id != volunteer.neighbourhood.street_id:
        raise ValidationError({"slot": [_("This shift is in another street.")]})
    if slot.starts_at <= now:
        raise ValidationError({"slot": [_("This shift has started; ask your officer.")]})
    with transaction.atomic():
        Slot.objects.select_for_update().get(id=slot.id)
        _slot_open(slot, now)
        _check_fit(volunteer, slot, need_available=False)
        assignment = Assignment.objects.create(slot=slot, volunteer=volunteer, source=Assignment.Source.TAKEN)
        audit_record(
            actor=Actor(user_id=volunteer.user_id, label=volunteer.name, role=Role.VOLUNTEER),
            action="create",
            object_type="assignment",
            object_id=assignment.id,
            detail="open shift taken",
        )
    return assignment


def assignment_lock(*, scope: Scope, actor: Actor, assignment: Assignment, locked: bool) -> Assignment:
    _require(scope, Capability.PLAN_ROSTERS)
    if assignment.status != Assignment.Status.PLANNED:
        raise ValidationError({"assignment": [_("This assignment was released.")]})
    if assignment.locked == locked:
        return assignment
    with transaction.atomic():
        assignment.locked = locked
        assignment.save(update_fields=["locked", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            object_type="assignment",
            object_id=assignment.id,
            detail="locked" if locked else "unlocked",
        )
    return assignment


def assignment_release(
    *, scope: Scope, actor: Actor, assignment: Assignment, now: dt.datetime | None = None
) -> Assignment:
    """An officer takes a volunteer off one slot; the slot is offered again."""
    _require(scope, Capability.PLAN_ROSTERS)
    now = now or timezone.now()
    if assignment.status != Assignment.Status.PLANNED:
        raise ValidationError({"assignment": [_("This assignment was already released.")]})
    if assignment.checked_in_at is not None:
        raise ValidationError({"assignment": [_("The volunteer has checked in; they check out instead.")]})
    with transaction.atomic():
        _release([assignment], reason="by_officer", now=now)
        audit_record(
            actor=actor, action="update", object_type="assignment", object_id=assignment.id, detail="released"
        )
    return assignment


# --- on the phone: check-in, check-out, patrol scans -------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    """What the volunteer's phone shows after a check-in attempt."""

    ok: bool
    message: str
    assignments: tuple[Assignment, ...] = ()


def _parse_temperature(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({"temperature": [_("Enter your temperature, for example 36.5.")]}) from None
    if not value.is_finite() or not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise ValidationError({"temperature": [_("Enter a body temperature between 34.0 and 42.0 °C.")]})
    return value.quantize(Decimal("0.1"))


def _run_of(first: Assignment) -> list[Assignment]:
    """The shift a slot belongs to: the volunteer's contiguous slots at the same post."""
    rows = list(
        Assignment.objects.select_related("slot")
        .filter(
            Q(slot__gate_id=first.slot.gate_id) if first.slot.gate_id else Q(slot__gate__isnull=True),
            Q(slot__route_id=first.slot.route_id) if first.slot.route_id else Q(slot__route__isnull=True),
            volunteer_id=first.volunteer_id,
            status=Assignment.Status.PLANNED,
            slot__roster_id=first.slot.roster_id,
            slot__period__gte=first.slot.period,
            slot__period__lte=first.slot.period + P.MAX_CONSECUTIVE,
        )
        .order_by("slot__period")
    )
    run = []
    expected = first.slot.period
    for row in rows:
        if row.slot.period != expected:
            break
        run.append(row)
        expected += 1
    return run


def _current_or_next(volunteer: Volunteer, now: dt.datetime) -> tuple[Assignment | None, Assignment | None]:
    """The planned assignment the volunteer may check into now (or is on), and their next one."""
    rows = list(
        Assignment.objects.select_related("slot__gate__compound", "slot__route__compound")
        .filter(
            volunteer=volunteer,
            status=Assignment.Status.PLANNED,
            checked_out_at__isnull=True,
            slot__status=Slot.Status.ACTIVE,
            slot__ends_at__gt=now,
        )
        .order_by("slot__starts_at")[:10]
    )
    current = next((a for a in rows if a.slot.starts_at - CHECK_IN_EARLY <= now), None)
    upcoming = next((a for a in rows if a.slot.starts_at - CHECK_IN_EARLY > now), None)
    return current, upcoming


def shift_check_in(
    *, volunteer: Volunteer, gate: Gate, temperature: Any, now: dt.datetime | None = None
) -> CheckIn:
    """Check in at `gate` (from its scanned poster) with the volunteer's own temperature.

    Wrong gate or outside the shift: a clear message and nothing recorded. A fever: the shift does
    not start, the volunteer comes off the roster and the neighbourhood gets an alert.
    """
    now = now or timezone.now()
    value = _parse_temperature(temperature)
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ValidationError({"volunteer": [_("You are no longer on the volunteer roster.")]})
    if volunteer.fever_at is not None:
        raise ValidationError(
            {"temperature": [_("You declared a fever; an officer must clear it before your next shift.")]}
        )
    current, upcoming = _current_or_next(volunteer, now)
    if current is None or current.slot.gate_id is None:
        if current is not None and current.slot.route_id is not None:
            raise ValidationError(
                {
                    "gate": [
                        _("Your duty now is the patrol %(route)s: scan its first check-point tag.")
                        % {"route": current.slot.route}
                    ]
                }
            )
        if upcoming is not None:
            raise ValidationError(
                {
                    "gate": [
                        _(
                            "You have no shift now. Your next shift is at %(post)s from %(start)s; "
                            "check in from %(early)s."
                        )
                        % {
                            "post": upcoming.slot.post,
                            "start": _hm(upcoming.slot.starts_at),
                            "early": _local(upcoming.slot.starts_at - CHECK_IN_EARLY).strftime("%H:%M"),
                        }
                    ]
                }
            )
        raise ValidationError({"gate": [_("You have no shift now or later this week.")]})
    if current.slot.gate_id != gate.id:
        raise ValidationError(
            {
                "gate": [
                    _("Wrong gate: this is %(here)s, but your shift now is at %(there)s.")
                    % {"here": gate, "there": current.slot.gate}
                ]
            }
        )
    if current.checked_in_at is not None:
        return CheckIn(
            True,
            _("You are already checked in since %(at)s.") % {"at": _hm(current.checked_in_at)},
            (current,),
        )
    fever_line = gate.compound.neighbourhood.street.district.fever_line_c
    if value >= fever_line:
        volunteer_fever_declare(
            volunteer=volunteer,
            temperature=value,
            now=now,
            actor=Actor(user_id=volunteer.user_id, label=volunteer.name, role=Role.VOLUNTEER),
            gate=gate,
        )
        return CheckIn(
            False,
            _(
                "%(t)s °C is a fever: do not start this shift. Go home and rest; "
                "your officer has been told and will find cover."
            )
            % {"t": value},
        )
    run = _run_of(current)
    with transaction.atomic():
        Assignment.objects.filter(id__in=[a.id for a in run]).update(checked_in_at=now, temperature=value)
        # The first to check in settles the slot's uncovered-check deadline.
        Slot.objects.filter(id__in=[a.slot_id for a in run]).update(check_due_at=None)
        audit_record(
            actor=Actor(user_id=volunteer.user_id, label=volunteer.name, role=Role.VOLUNTEER),
            action="update",
            object_type="assignment",
            object_id=current.id,
            detail=f"checked in at gate {gate.id}",
        )
        user = volunteer.user
        transaction.on_commit(functools.partial(_announce_duty, gate, user, now))
    until = run[-1].slot.ends_at
    return CheckIn(
        True,
        _("Checked in at %(gate)s until %(until)s. Thank you!")
        % {"gate": gate, "until": _local(until).strftime("%H:%M")},
        tuple(run),
    )


def shift_check_out(*, volunteer: Volunteer, now: dt.datetime | None = None) -> list[Assignment]:
    """End the shift the volunteer is checked into."""
    now = now or timezone.now()
    on = list(
        Assignment.objects.select_related("slot__gate")
        .filter(
            volunteer=volunteer,
            checked_in_at__isnull=False,
            checked_out_at__isnull=True,
            status=Assignment.Status.PLANNED,
        )
        .order_by("slot__starts_at")
    )
    if not on:
        raise ValidationError({"assignment": [_("You are not checked in.")]})
    with transaction.atomic():
        Assignment.objects.filter(id__in=[a.id for a in on]).update(checked_out_at=now)
        audit_record(
            actor=Actor(user_id=volunteer.user_id, label=volunteer.name, role=Role.VOLUNTEER),
            action="update",
            object_type="assignment",
            object_id=on[0].id,
            detail="checked out",
        )
        for gate in {a.slot.gate for a in on if a.slot.gate is not None}:
            transaction.on_commit(functools.partial(_announce_duty_end, gate, volunteer.user, now))
    return on


@dataclass(frozen=True)
class Scan:
    ok: bool
    message: str
    scanned: int = 0
    total: int = 0


def patrol_scan(*, volunteer: Volunteer, checkpoint: Checkpoint, now: dt.datetime | None = None) -> Scan:
    """Record a scanned check-point tag on the volunteer's current patrol round."""
    now = now or timezone.now()
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ValidationError({"volunteer": [_("You are no longer on the volunteer roster.")]})
    current, upcoming = _current_or_next(volunteer, now)
    if current is None or current.slot.route_id is None:
        if current is not None:
            raise ValidationError(
                {
                    "checkpoint": [
                        _("Your duty now is at the gate %(gate)s, not a patrol.")
                        % {"gate": current.slot.gate}
                    ]
                }
            )
        if upcoming is not None and upcoming.slot.route_id is not None:
            raise ValidationError(
                {
                    "checkpoint": [
                        _("Your patrol starts at %(start)s; scan the tags then.")
                        % {"start": _hm(upcoming.slot.starts_at)}
                    ]
                }
            )
        raise ValidationError({"checkpoint": [_("You have no patrol now.")]})
    if current.slot.route_id != checkpoint.route_id:
        raise ValidationError(
            {
                "checkpoint": [
                    _("This tag is on the route %(here)s; your patrol now is %(there)s.")
                    % {"here": checkpoint.route, "there": current.slot.route}
                ]
            }
        )
    route = checkpoint.route
    due = current.slot.starts_at + dt.timedelta(minutes=route.round_minutes)
    total = route.checkpoints.count()
    with transaction.atomic():
        if current.checked_in_at is None:
            Assignment.objects.filter(id=current.id).update(checked_in_at=now)
        try:
            with transaction.atomic():
                CheckpointScan.objects.create(
                    assignment=current, checkpoint=checkpoint, scanned_at=now, late=now > due
                )
        except IntegrityError:
            done = current.scans.count()
            return Scan(True, _("Already scanned on this round."), done, total)
        done = current.scans.count()
        if done >= total:
            Assignment.objects.filter(id=current.id).update(checked_out_at=now)
    if now > due:
        message = _("Scanned %(name)s, late (the round was due by %(due)s).") % {
            "name": checkpoint.name,
            "due": _local(due).strftime("%H:%M"),
        }
    else:
        message = _("Scanned %(name)s (%(done)s of %(total)s).") % {
            "name": checkpoint.name,
            "done": done,
            "total": total,
        }
    return Scan(True, message, done, total)


# --- worker jobs: uncovered slots and patrol rounds ---------------------------------------------------


def slots_uncovered_alert(now: dt.datetime, *, batch: int = 500) -> int:
    """Worker job: a gate slot with nobody checked in 10 minutes after it started raises
    GATE_UNCOVERED. Each due slot is claimed with compare-and-set on its deadline, so two workers
    never alert twice."""
    due = list(
        Slot.objects.filter(check_due_at__lte=now)
        .order_by("check_due_at")
        .values_list("id", "check_due_at")[:batch]
    )
    alerted = 0
    for slot_id, deadline in due:
        if not Slot.objects.filter(id=slot_id, check_due_at=deadline).update(check_due_at=None):
            continue
        slot = Slot.objects.select_related("gate__compound", "neighbourhood__street__district").get(
            id=slot_id
        )
        if slot.status != Slot.Status.ACTIVE or slot.gate is None:
            continue
        planned = list(slot.assignments.filter(status=Assignment.Status.PLANNED).select_related("volunteer"))
        if any(a.checked_in_at is not None for a in planned):
            continue
        with translation.override(settings.LANGUAGE_CODE):
            title = _("%(gate)s has nobody on duty since %(start)s") % {
                "gate": slot.gate,
                "start": _local(slot.starts_at).strftime("%H:%M"),
            }
            alert_raise(
                kind=Alert.Kind.GATE_UNCOVERED,
                severity=Alert.Severity.HIGH,
                neighbourhood=slot.neighbourhood,
                compound=slot.compound,
                title=title,
                dedupe_key=f"gate_uncovered:{slot.id}",
                evidence={
                    "slot": str(slot.id),
                    "gate": str(slot.gate_id),
                    "starts_at": slot.starts_at.isoformat(),
                    "planned": [_mask(a.volunteer.name) for a in planned],
                    "needed": slot.needed,
                },
                at=now,
            )
        alerted += 1
    return alerted


def patrol_round_result(slot: Slot) -> dict[str, Any]:
    """Per check-point: scanned on time, late, or missed (pure read of the round's scans)."""
    assert slot.route is not None
    scans = {
        s.checkpoint_id: s
        for s in CheckpointScan.objects.filter(assignment__slot=slot).order_by("scanned_at")
    }
    points = []
    for checkpoint in slot.route.checkpoints.all():
        scan = scans.get(checkpoint.id)
        state = "missed" if scan is None else ("late" if scan.late else "ok")
        points.append({"checkpoint": str(checkpoint.id), "name": checkpoint.name, "state": state})
    return {
        "points": points,
        "missed": sum(1 for p in points if p["state"] == "missed"),
        "late": sum(1 for p in points if p["state"] == "late"),
    }


def patrol_rounds_check(now: dt.datetime, *, batch: int = 500) -> int:
    """Worker job: when a round's time is up, flag missed and late check-points; missed ones raise
    PATROL_MISSED. Claimed with compare-and-set on the round's deadline."""
    due = list(
        Slot.objects.filter(round_due_at__lte=now)
        .order_by("round_due_at")
        .values_list("id", "round_due_at")[:batch]
    )
    acted = 0
    for slot_id, deadline in due:
        if not Slot.objects.filter(id=slot_id, round_due_at=deadline).update(round_due_at=None):
            continue
        slot = Slot.objects.select_related("route__compound", "neighbourhood").get(id=slot_id)
        if slot.status != Slot.Status.ACTIVE or slot.route is None:
            continue
        result = patrol_round_result(slot)
        Slot.objects.filter(id=slot.id).update(round_result=result)
        acted += 1
        if result["missed"]:
            with translation.override(settings.LANGUAGE_CODE):
                title = _("Patrol %(route)s at %(start)s: %(n)s check-points missed") % {
                    "route": slot.route,
                    "start": _local(slot.starts_at).strftime("%H:%M"),
                    "n": result["missed"],
                }
                alert_raise(
                    kind=Alert.Kind.PATROL_MISSED,
                    severity=Alert.Severity.MEDIUM,
                    neighbourhood=slot.neighbourhood,
                    compound=slot.compound,
                    title=title,
                    dedupe_key=f"patrol_missed:{slot.id}",
                    evidence={"slot": str(slot.id), "route": str(slot.route_id), **result},
                    at=now,
                )
    return acted


def open_shifts_query(volunteer: Volunteer, now: dt.datetime) -> Q:
    """Slots in the volunteer's street still short of people, not started yet."""
    return Q(
        roster__street_id=volunteer.neighbourhood.street_id, status=Slot.Status.ACTIVE, starts_at__gt=now
    )
