"""The gate check decision: one pure function over plain inputs, no database, no clock.

`decide()` takes what is true at the gate at the moment of the check (the gate, its compound class's
regime, who or what stands there, the reading, the direction, the district's fever line) and says
what the volunteer must do: let through, refuse, send to registration, escalate, or measure again,
with stable reason codes (stored with the event) and the next steps in words (translated).

Precedence, from the article and the district's rules:
1. a sealed gate or an area nobody may enter refuses everyone (a fever reading still raises its alert);
2. an implausible reading never decides: measure again;
3. a fever escalates at once, whoever it is;
4. ambulances and other emergency vehicles pass;
5. outside the gate's hours only staff on duty pass;
6. a pass that failed (forged, expired, replayed, revoked, another compound's) is refused;
7. going out: a person under home observation is refused and an alert raised; everyone else passes;
8. coming in: a person must have a reading where the regime measures everyone; then staff on duty,
   couriers (refused, pointed to the pick-up point), residents (returnees must be registered first),
   visitors and other compounds' residents (the class's visitor rule), vehicles (registered ones of
   the compound, unknown ones by the visitor rule).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("42.5")
DEFAULT_FEVER_LINE = Decimal("37.3")
_READING = re.compile(r"^\s*(\d{2}(?:\.\d{1,2})?)\s*$")


class Outcome(enum.StrEnum):
    LET_IN = "let_in"
    REFUSE = "refuse"
    REGISTER = "register"
    ESCALATE = "escalate"
    REMEASURE = "remeasure"


OUTCOME_LABELS: dict[str, Promise] = {
    Outcome.LET_IN: _("Let through"),
    Outcome.REFUSE: _("Refuse"),
    Outcome.REGISTER: _("Register first"),
    Outcome.ESCALATE: _("Fever: escalate now"),
    Outcome.REMEASURE: _("Measure again"),
}


class SubjectKind(enum.StrEnum):
    RESIDENT = "resident"  # of this compound
    OTHER_RESIDENT = "other_resident"  # a known resident of another compound
    VISITOR = "visitor"
    COURIER = "courier"
    EMERGENCY = "emergency"  # ambulance, fire engine, police on a call
    STAFF = "staff"  # gate staff or a worker of this gate
    VEHICLE = "vehicle"  # a registered vehicle of this compound
    UNKNOWN_VEHICLE = "unknown_vehicle"
    UNIDENTIFIED = "unidentified"  # a pass, card or number that did not resolve


SUBJECT_LABELS: dict[str, Promise] = {
    SubjectKind.RESIDENT: _("resident"),
    SubjectKind.OTHER_RESIDENT: _("resident of another compound"),
    SubjectKind.VISITOR: _("visitor"),
    SubjectKind.COURIER: _("courier"),
    SubjectKind.EMERGENCY: _("emergency vehicle"),
    SubjectKind.STAFF: _("staff"),
    SubjectKind.VEHICLE: _("vehicle"),
    SubjectKind.UNKNOWN_VEHICLE: _("unknown vehicle"),
    SubjectKind.UNIDENTIFIED: _("not identified"),
}

VEHICLE_KINDS = frozenset({SubjectKind.VEHICLE, SubjectKind.UNKNOWN_VEHICLE})


class TemperatureStatus(enum.StrEnum):
    NOT_TAKEN = "not_taken"
    NORMAL = "normal"
    FEVER = "fever"
    IMPLAUSIBLE = "implausible"


class AlertKind(enum.StrEnum):
    # The values are alerts.Alert.Kind values; kept as strings so this module imports no models.
    FEVER = "gate_fever"
    OBSERVATION_EXIT = "gate_observation_exit"


@dataclass(frozen=True)
class GateFacts:
    status: str = "open"  # places.Gate.Status
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    has_vehicle_lane: bool = True


@dataclass(frozen=True)
class RegimeFacts:
    closed_management: bool = True
    question_returnees: bool = True
    temperature_check: bool = True
    no_entry: bool = False
    visitor_rule: str = "registered_visit"  # places.GateRegime.VisitorRule
    registered_vehicles_only: bool = True


@dataclass(frozen=True)
class SubjectFacts:
    kind: SubjectKind
    colour: str | None = None  # green / yellow / red, for people known to us
    open_case: str | None = None  # home_observation / health_monitoring
    on_duty: bool = False
    has_host_household: bool = False
    refusal: str | None = None  # why a pass, card or number did not resolve (a reason code)


@dataclass(frozen=True)
class CheckFacts:
    gate: GateFacts
    regime: RegimeFacts
    subject: SubjectFacts
    direction: str  # "in" or "out"
    temperature: object = None  # as typed or sent: str, float, int, Decimal or None
    fever_line: Decimal = DEFAULT_FEVER_LINE
    local_time: dt.time = dt.time(12, 0)
    declares_arrival: bool = False  # says they come from outside Shanghai (必询问)
    returnee_registered: bool = False


@dataclass(frozen=True)
class Reading:
    status: TemperatureStatus
    value: Decimal | None = None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[str, ...]
    reading: Reading
    alerts: frozenset[AlertKind] = field(default_factory=frozenset)

    @property
    def fever(self) -> bool:
        return self.reading.status == TemperatureStatus.FEVER


def temperature_read(raw: object, *, fever_line: Decimal = DEFAULT_FEVER_LINE) -> Reading:
    """A reading in °C, or why it cannot be trusted. "37,5", NaN, empty or out of 34.0–42.5: implausible."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Reading(TemperatureStatus.NOT_TAKEN)
    value: Decimal | None = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int | float):
        value = None if isinstance(raw, float) and not math.isfinite(raw) else Decimal(str(raw))
    elif isinstance(raw, Decimal):
        value = raw if raw.is_finite() else None
    elif isinstance(raw, str):
        match = _READING.match(raw[:32])
        if match:
            try:
                value = Decimal(match.group(1))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                value = None
    if value is None or not Decimal(-1000) < value < Decimal(1000):
        return Reading(TemperatureStatus.IMPLAUSIBLE)
    value = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        return Reading(TemperatureStatus.IMPLAUSIBLE, value)
    if value >= fever_line:
        return Reading(TemperatureStatus.FEVER, value)
    return Reading(TemperatureStatus.NORMAL, value)


def gate_is_open_at(gate: GateFacts, moment: dt.time) -> bool:
    if gate.opens_at is None or gate.closes_at is None:
        return True
    if gate.opens_at < gate.closes_at:
        return gate.opens_at <= moment < gate.closes_at
    return moment >= gate.opens_at or moment < gate.closes_at  # open overnight, e.g. 22:00–06:00


def _is_person(kind: SubjectKind) -> bool:
    return kind not in VEHICLE_KINDS and kind != SubjectKind.EMERGENCY


def decide(facts: CheckFacts) -> Decision:
    """What the volunteer does now. Pure: the same facts always give the same decision."""
    reading = temperature_read(facts.temperature, fever_line=facts.fever_line)
    subject, regime, gate = facts.subject, facts.regime, facts.gate
    fever_alert = frozenset({AlertKind.FEVER}) if reading.status == TemperatureStatus.FEVER else frozenset()

    def result(outcome: Outcome, *reasons: str, alerts: frozenset[AlertKind] = frozenset()) -> Decision:
        return Decision(outcome, tuple(reasons), reading, alerts | fever_alert)

    fever_reasons = ("fever",) if reading.status == TemperatureStatus.FEVER else ()
    if gate.status == "sealed":
        return result(Outcome.REFUSE, "gate_sealed", *fever_reasons)
    if regime.no_entry:
        return result(Outcome.REFUSE, "area_no_entry", *fever_reasons)
    if reading.status == TemperatureStatus.IMPLAUSIBLE:
        return result(Outcome.REMEASURE, "temperature_implausible")
    if reading.status == TemperatureStatus.FEVER:
        extra = (subject.refusal,) if subject.refusal else ()
        return result(Outcome.ESCALATE, "fever", *extra)
    if subject.kind == SubjectKind.EMERGENCY:
        return result(Outcome.LET_IN, "emergency_vehicle")
    on_duty_staff = subject.kind == SubjectKind.STAFF and subject.on_duty
    if not gate_is_open_at(gate, facts.local_time) and not on_duty_staff:
        return result(Outcome.REFUSE, "gate_closed_hours")
    if subject.refusal or subject.kind == SubjectKind.UNIDENTIFIED:
        return result(Outcome.REFUSE, subject.refusal or "not_identified")
    if subject.kind in VEHICLE_KINDS and not gate.has_vehicle_lane:
        return result(Outcome.REFUSE, "no_vehicle_lane")
    home_observation = subject.colour == "red" or subject.open_case == "home_observation"

    if facts.direction == "out":
        if home_observation and _is_person(subject.kind):
            return result(
                Outcome.REFUSE, "home_observation_exit", alerts=frozenset({AlertKind.OBSERVATION_EXIT})
            )
        return result(Outcome.LET_IN, "going_out")

    if (
        _is_person(subject.kind)
        and regime.temperature_check
        and reading.status == TemperatureStatus.NOT_TAKEN
        and not on_duty_staff
    ):
        return result(Outcome.REMEASURE, "temperature_missing")
    if subject.kind == SubjectKind.STAFF:
        if on_duty_staff:
            return result(Outcome.LET_IN, "staff_on_duty")
        return _visitor(facts, result)
    if subject.kind == SubjectKind.COURIER:
        return result(Outcome.REFUSE, "courier_no_entry")
    if subject.kind == SubjectKind.RESIDENT:
        if facts.declares_arrival and regime.question_returnees and not facts.returnee_registered:
            return result(Outcome.REGISTER, "returnee_unregistered")
        if home_observation:
            # Someone under home observation was outside: bring them home, and tell the neighbourhood.
            return result(
                Outcome.LET_IN,
                "home_observation_return",
                alerts=frozenset({AlertKind.OBSERVATION_EXIT}),
            )
        if subject.colour == "yellow" or subject.open_case == "health_monitoring":
            return result(Outcome.LET_IN, "resident", "health_monitoring")
        return result(Outcome.LET_IN, "resident")
    if subject.kind == SubjectKind.VEHICLE:
        return result(Outcome.LET_IN, "registered_vehicle")
    if subject.kind == SubjectKind.UNKNOWN_VEHICLE and regime.registered_vehicles_only:
        return result(Outcome.REFUSE, "unknown_vehicle")
    return _visitor(facts, result)


def _visitor(facts: CheckFacts, result: Callable[..., Decision]) -> Decision:
    subject = facts.subject
    if facts.regime.visitor_rule != "registered_visit":
        return result(Outcome.REFUSE, "visitor_refused")
    if facts.declares_arrival and _is_person(subject.kind):
        return result(Outcome.REFUSE, "visitor_from_outside")
    if subject.colour == "red" or subject.open_case == "home_observation":
        return result(Outcome.REFUSE, "visitor_under_observation")
    if not subject.has_host_household:
        if subject.kind == SubjectKind.OTHER_RESIDENT:
            return result(Outcome.REFUSE, "pass_other_compound", "visitor_needs_host")
        return result(Outcome.REFUSE, "visitor_needs_host")
    return result(Outcome.LET_IN, "visitor_registered")


# The words a volunteer reads under the decision, one per reason code. `%(pickup)s` is the
# compound's pick-up point.
REASON_LABELS: dict[str, Promise] = {
    "gate_sealed": _("This gate is sealed: nobody passes here."),
    "area_no_entry": _("Nobody may enter this area."),
    "temperature_implausible": _("The reading cannot be right."),
    "temperature_missing": _("No temperature taken."),
    "fever": _("Fever."),
    "emergency_vehicle": _("Emergency vehicle."),
    "gate_closed_hours": _("The gate is closed at this hour."),
    "not_identified": _("Not identified."),
    "no_vehicle_lane": _("This gate has no vehicle lane."),
    "home_observation_exit": _("Under home observation: must not leave."),
    "going_out": _("Going out."),
    "staff_on_duty": _("Staff on duty."),
    "courier_no_entry": _("Couriers do not enter."),
    "returnee_unregistered": _("Arriving from outside Shanghai, not registered yet."),
    "home_observation_return": _("Under home observation, was outside."),
    "resident": _("Resident of this compound."),
    "health_monitoring": _("Under health monitoring."),
    "registered_vehicle": _("Registered vehicle of this compound."),
    "unknown_vehicle": _("Vehicle not registered here."),
    "visitor_refused": _("Visitors are not admitted here."),
    "visitor_from_outside": _("Visitor arriving from outside Shanghai."),
    "visitor_under_observation": _("Under home observation."),
    "visitor_needs_host": _("Visitor without a host household."),
    "visitor_registered": _("Visit registered with the host household."),
    "token_malformed": _("Not a Gatehouse pass."),
    "token_forged": _("Forged pass: the signature is wrong."),
    "token_expired": _("Expired pass: an old picture or screenshot."),
    "token_from_the_future": _("The pass's time is wrong: check the phone's clock."),
    "token_replayed": _("This code was already used."),
    "pass_unknown": _("Unknown pass."),
    "pass_revoked": _("Revoked pass."),
    "card_unknown": _("Unknown card."),
    "card_revoked": _("Revoked card: a newer card exists or it was cancelled."),
    "pass_other_compound": _("The pass belongs to another compound."),
    "pass_used_at_two_gates": _("This pass was just used at another gate."),
    "id_number_unknown": _("No resident with this identity number."),
    "id_number_malformed": _("Not a valid identity number."),
    "plate_malformed": _("Not a valid plate."),
    "staff_unknown": _("Not staff of this gate."),
}

STEPS: dict[str, Promise] = {
    "gate_sealed": _("Send them to an open gate of the compound."),
    "area_no_entry": _("Turn them back; call the patrol if they insist."),
    "temperature_implausible": _("Wait a minute out of the wind and measure again; type it like 36.8."),
    "temperature_missing": _("Take the temperature, then check again."),
    "fever": _(
        "Keep the person apart at the temporary observation point, give them a mask, keep 1 m away. "
        "Measure again with a mercury thermometer. The neighbourhood has been alerted; wait for the "
        "worker and the community doctor. Do not let them in or send them away."
    ),
    "emergency_vehicle": _("Open the lane at once; the passage is logged."),
    "gate_closed_hours": _("Send them to a gate that is open now."),
    "home_observation_exit": _(
        "Ask them kindly to go back home. The neighbourhood has been alerted; call the worker if they insist."
    ),
    "courier_no_entry": _("Ask the courier to leave the parcel at the pick-up point: %(pickup)s."),
    "returnee_unregistered": _(
        "Ask where they come from, register them now (origin, travel, contacts, symptoms) and measure."
    ),
    "home_observation_return": _("Let them go straight home. The neighbourhood has been alerted."),
    "health_monitoring": _("Remind them to report their temperature twice a day."),
    "unknown_vehicle": _("Vehicles not registered here wait outside."),
    "visitor_refused": _("Visits are stopped here for now; ask the host to meet them at the gate."),
    "visitor_from_outside": _(
        "Visitors from outside Shanghai do not enter; the host should call the neighbourhood."
    ),
    "visitor_under_observation": _("Turn them back and call the neighbourhood worker."),
    "visitor_needs_host": _("Ask which household they visit and call the household to confirm."),
    "visitor_registered": _("Write down the host household; remind them to wear a mask."),
    "token_expired": _("Ask them to open the pass on their phone again, not a picture."),
    "token_replayed": _("Ask them to open the pass on their phone again; a code works once."),
    "token_from_the_future": _("Ask them to set the phone's clock to automatic and open the pass again."),
    "token_forged": _("Refuse and call the neighbourhood worker."),
    "token_malformed": _("Scan the Gatehouse pass, or type the card number."),
    "pass_revoked": _("Refuse; the pass holder should contact the neighbourhood."),
    "card_revoked": _("Refuse; the holder should use the newest card or contact the neighbourhood."),
    "pass_other_compound": _("They follow the visitor rule here; ask for the host household."),
    "pass_used_at_two_gates": _("Refuse; someone may be using a copy. Call the neighbourhood worker."),
    "id_number_unknown": _("Check the number, or treat them as a visitor."),
    "staff_unknown": _("Check who they are; only staff on duty pass this way."),
    "not_identified": _("Scan the pass, or type the card or identity number."),
}

DEFAULT_STEP: dict[str, Promise] = {
    Outcome.LET_IN: _("Let them through."),
    Outcome.REFUSE: _("Do not let them through."),
    Outcome.REGISTER: _("Register them before they enter."),
    Outcome.ESCALATE: _("Keep them apart and wait for the neighbourhood worker."),
    Outcome.REMEASURE: _("Measure again."),
}


def next_steps(decision: Decision, *, pickup_point: str = "") -> list[str]:
    """The instructions under the decision, in the active language."""
    return list(_steps(decision.outcome, tuple(decision.reasons), pickup_point, get_language()))


# Every check at every gate asks for the same few texts: translated once per language and set of
# reasons instead of through gettext on each check (a twentieth of a check's CPU, measured).
@functools.lru_cache(maxsize=512)
def _steps(
    outcome: Outcome, reasons: tuple[str, ...], pickup_point: str, language: str | None
) -> tuple[str, ...]:
    steps = []
    for reason in reasons:
        step = STEPS.get(reason)
        if step is not None:
            text = str(step)
            if "%(pickup)s" in text:
                text = text % {"pickup": pickup_point or str(_("the compound's pick-up point"))}
            steps.append(text)
    if not steps:
        steps.append(str(DEFAULT_STEP[outcome]))
    return tuple(steps)


def reason_labels(reasons: tuple[str, ...] | list[str]) -> list[str]:
    return list(_reason_labels(tuple(reasons), get_language()))


@functools.lru_cache(maxsize=512)
def _reason_labels(reasons: tuple[str, ...], language: str | None) -> tuple[str, ...]:
    return tuple(str(REASON_LABELS.get(r, r)) for r in reasons)
