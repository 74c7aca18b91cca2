"""Reads for the gate: the gate as a check needs it (cached briefly), who is on duty, today's counts.

Every read is cut to the caller's scope: a gate staff member reaches only their gate; a
neighbourhood worker the gates of their neighbourhood; anything else is a 404.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from gatehouse.accounts.models import User
from gatehouse.core.roles import Capability, Scope
from gatehouse.gate.decision import GateFacts, RegimeFacts
from gatehouse.gate.models import GateDuty, GateEvent
from gatehouse.places.models import Compound, CompoundClass, Gate, GateRegime

DUTY_MAX_HOURS = 14  # a duty nobody ended counts no longer than a long shift
CONTEXT_TTL_SECONDS = 5.0  # a gate sealed or a fever line changed reaches the check within 5 s


@dataclass(frozen=True)
class GateContext:
    """A gate with everything a check needs, as plain values (cacheable across requests)."""

    gate_id: uuid.UUID
    gate_name: str
    compound_id: uuid.UUID
    compound_name: str
    neighbourhood_id: uuid.UUID
    street_id: uuid.UUID
    district_id: uuid.UUID
    pickup_point: str
    facts: GateFacts
    regime: RegimeFacts
    fever_line: Decimal
    retention_days: int

    @property
    def label(self) -> str:
        return f"{self.compound_name} · {self.gate_name}"

    def reached_by(self, scope: Scope) -> bool:
        """The same rule as Scope.place_q, on cached values instead of a query."""
        if not scope.can(Capability.GATE_CHECK):
            return False
        bound = scope.binding()
        if bound is None:
            return False
        level, place_id = bound
        return {
            "gate": self.gate_id,
            "compound": self.compound_id,
            "neighbourhood": self.neighbourhood_id,
            "street": self.street_id,
            "district": self.district_id,
        }[level] == place_id


_cache: dict[uuid.UUID, tuple[float, GateContext | None]] = {}
_cache_lock = threading.Lock()


def _context_load(gate_id: uuid.UUID) -> GateContext | None:
    gate = Gate.objects.select_related("compound__neighbourhood__street__district").filter(id=gate_id).first()
    if gate is None:
        return None
    compound = gate.compound
    district = compound.neighbourhood.street.district
    regime = GateRegime.objects.filter(district=district, compound_class=compound.compound_class).first()
    regime_facts = (
        RegimeFacts(
            closed_management=regime.closed_management,
            question_returnees=regime.question_returnees,
            temperature_check=regime.temperature_check,
            no_entry=regime.no_entry,
            visitor_rule=regime.visitor_rule,
            registered_vehicles_only=regime.registered_vehicles_only,
        )
        if regime is not None
        # No regime for the class: the strictest reading of the article, except an unoccupied area.
        else RegimeFacts(no_entry=compound.compound_class == CompoundClass.UNOCCUPIED_AREA)
    )
    return GateContext(
        gate_id=gate.id,
        gate_name=gate.name,
        compound_id=compound.id,
        compound_name=compound.name,
        neighbourhood_id=compound.neighbourhood_id,
        street_id=compound.neighbourhood.street_id,
        district_id=district.id,
        pickup_point=compound.pickup_point,
        facts=GateFacts(
            status=gate.status,
            opens_at=gate.opens_at,
            closes_at=gate.closes_at,
            has_vehicle_lane=gate.has_vehicle_lane,
        ),
        regime=regime_facts,
        fever_line=district.fever_line_c,
        retention_days=district.gate_event_retention_days,
    )


def gate_context(gate_id: uuid.UUID, *, fresh: bool = False) -> GateContext | None:
    now = time.monotonic()
    if not fresh:
        cached = _cache.get(gate_id)
        if cached is not None and cached[0] > now:
            return cached[1]
    context = _context_load(gate_id)
    with _cache_lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[gate_id] = (now + CONTEXT_TTL_SECONDS, context)
    return context


def gate_context_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def gate_for_check(*, scope: Scope, gate_id: uuid.UUID | str) -> GateContext:
    """The gate the caller checks at, or 404 when it is unknown or not theirs."""
    try:
        key = gate_id if isinstance(gate_id, uuid.UUID) else uuid.UUID(str(gate_id))
    except ValueError as exc:
        raise Http404 from exc
    context = gate_context(key)
    if context is None or not context.reached_by(scope):
        raise Http404
    return context


def gates_for_check(*, scope: Scope) -> QuerySet[Gate]:
    """The gates the caller may run checks at."""
    return scope.restrict(
        Gate.objects.select_related("compound"), Capability.GATE_CHECK, to_gate=""
    ).order_by("compound__name", "name")


def duty_now(*, gate_id: uuid.UUID, now: dt.datetime | None = None) -> QuerySet[GateDuty]:
    moment = now or timezone.now()
    return (
        GateDuty.objects.filter(
            gate_id=gate_id,
            ended_at__isnull=True,
            started_at__gte=moment - dt.timedelta(hours=DUTY_MAX_HOURS),
            started_at__lte=moment,
        )
        .select_related("user")
        .order_by("started_at")
    )


def user_on_duty(*, gate_id: uuid.UUID, user_id: int | None, now: dt.datetime | None = None) -> bool:
    return user_id is not None and duty_now(gate_id=gate_id, now=now).filter(user_id=user_id).exists()


def staff_user_for_gate(*, gate_id: uuid.UUID, username: str) -> User | None:
    """A user checking in or out at this gate by name: only someone who can be on duty here."""
    return User.objects.filter(username=username[:150], is_active=True, gate_duties__gate_id=gate_id).first()


def recent_events(*, context: GateContext, limit: int = 10) -> QuerySet[GateEvent]:
    """What the gate screen lists under the decision: masked labels only."""
    return GateEvent.objects.filter(gate_id=context.gate_id).only(
        "id", "at", "direction", "subject_label", "colour", "decision", "provisional", "overturned"
    )[:limit]


def event_for_registration(*, scope: Scope, event_id: uuid.UUID | str) -> tuple[GateContext, GateEvent]:
    """A recent check at one of the caller's gates that sent a resident to registration: gate staff
    reach the person to register only through it (they see no resident list)."""
    try:
        event = GateEvent.objects.select_related(
            "subject_resident__compound__neighbourhood__street__district", "subject_resident__household"
        ).get(
            id=event_id,
            decision=GateEvent.Decision.REGISTER,
            subject_resident__isnull=False,
            at__gte=timezone.now() - dt.timedelta(hours=12),
        )
    except (GateEvent.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    return gate_for_check(scope=scope, gate_id=event.gate_id), event


# --- today at this gate ------------------------------------------------------------------------


def events_in_scope(*, scope: Scope) -> QuerySet[GateEvent]:
    return scope.restrict(
        GateEvent.objects.all(), Capability.VIEW_RESIDENTS, to_gate="gate", to_compound="compound"
    )


def compounds_with_gates(*, scope: Scope) -> QuerySet[Compound]:
    return scope.restrict(
        Compound.objects.prefetch_related("gates"), Capability.VIEW_RESIDENTS, to_compound=""
    ).order_by("name")


def today_counts(
    *, scope: Scope, compound_id: uuid.UUID | None = None, gate_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """Today's checks, fevers, refusals and returnees for the caller's gates (or one compound/gate)."""
    from gatehouse.returnees.selectors import registration_list

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    events = events_in_scope(scope=scope).filter(at__gte=start)
    registrations = registration_list(scope=scope).filter(created_at__gte=start)
    if compound_id is not None:
        events = events.filter(compound_id=compound_id)
        registrations = registrations.filter(compound_id=compound_id)
    if gate_id is not None:
        events = events.filter(gate_id=gate_id)
        registrations = registrations.filter(gate_id=gate_id)
    totals = events.aggregate(
        checks=Count("id"),
        fevers=Count("id", filter=Q(temperature=GateEvent.Temperature.FEVER)),
        refusals=Count("id", filter=Q(decision=GateEvent.Decision.REFUSE)),
        registrations_asked=Count("id", filter=Q(decision=GateEvent.Decision.REGISTER)),
        overturned=Count("id", filter=Q(overturned=True)),
    )
    by_gate = list(
        events.values("gate_id", "gate__name", "compound__name")
        .annotate(
            checks=Count("id"),
            fevers=Count("id", filter=Q(temperature=GateEvent.Temperature.FEVER)),
            refusals=Count("id", filter=Q(decision=GateEvent.Decision.REFUSE)),
        )
        .order_by("compound__name", "gate__name")
    )
    returnees = registrations.count()
    return {**totals, "returnees": returnees, "by_gate": by_gate, "since": start}
