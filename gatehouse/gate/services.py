"""Recording gate checks and gate duty.

`gate_check_record` is the hot path of the whole system: resolve who or what stands at the gate
(pass token, card, identity number, plate, visitor, courier, ambulance, staff), decide with the pure
`decision.decide`, store one event (idempotent on the client's id), and raise alerts after it is
stored. A check taken offline arrives with its provisional decision; the server decides again and
raises an alert when the outcome differs.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gatehouse.accounts.models import User
from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise
from gatehouse.core.audit import Actor, audit_record
from gatehouse.gate import decision as rules
from gatehouse.gate.models import Direction, GateDuty, GateEvent
from gatehouse.gate.selectors import GateContext, user_on_duty
from gatehouse.lib import passtoken
from gatehouse.lib.db import db_values, hot_fetchone, model_from_row, model_new
from gatehouse.lib.identity import identity_number_normalise
from gatehouse.lib.plates import plate_normalise
from gatehouse.observation.models import ObservationCase
from gatehouse.passes.services import ScanResult, card_resolve, pass_scan_resolve
from gatehouse.people.models import Household, Resident, Vehicle, mask_name
from gatehouse.places.models import Neighbourhood

logger = logging.getLogger("gatehouse.gate")

SUBJECTS = ("token", "card", "id_number", "plate", "visitor", "courier", "emergency", "staff")
TWO_GATES_WINDOW = dt.timedelta(seconds=60)
_ID_SEPARATORS = re.compile(r"[\s\-]")
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
OFFLINE_MAX_AGE = dt.timedelta(hours=24)
MAX_VALUE_CHARS = 16_384


@dataclass(frozen=True)
class CheckRequest:
    """One check as the screen or a camera sends it. `value` is the scanned or typed text."""

    client_id: str
    subject: str
    direction: str
    value: str = ""
    temperature: object = None
    declares_arrival: bool = False
    host_building: str = ""
    host_room: str = ""
    device: str = ""
    offline_decision: str = ""
    observed_at: dt.datetime | None = None


@dataclass(frozen=True)
class CheckResult:
    event: GateEvent
    created: bool
    steps: list[str]


@dataclass
class _Subject:
    facts: rules.SubjectFacts
    resident: Resident | None = None
    vehicle: Vehicle | None = None
    label: str = ""
    nonce: str | None = None


def _facts_columns(
    context: GateContext, resident_column: str, two_gates: tuple[str, dt.datetime] | None = None
) -> tuple[str, list[Any]]:
    """Two more columns for the statement that finds the person (`resident_column` is its id there):
    the kind of their open observation case, and, for a rotating pass, whether it was just let
    through at another gate. Read in the same round trip as the person (docs/benchmarks.md)."""
    # A read of the observation app's table: the gate must know of a case opened minutes ago even
    # if the colour change has not reached the pass yet. Unscoped: the caller resolved the person.
    # Raw SQL because this runs on every check and the ORM's compilation of two correlated
    # subqueries cost more than the query itself.
    cases = ObservationCase._meta.db_table
    events = GateEvent._meta.db_table
    sql = f"(SELECT kind FROM {cases} WHERE resident_id = {resident_column} AND status = %s LIMIT 1)"  # noqa: S608
    params: list[Any] = [ObservationCase.Status.ACTIVE.value]
    if two_gates is None:
        return f"{sql}, 0", params
    direction, moment = two_gates
    # Was the pass's latest let-through this way, within the window, at another gate? The newest
    # such event only, found by walking the (subject_resident, -at) index from the top: "any event at
    # another gate" would visit every check of the window, all of a busy gate's own.
    sql += (
        f", COALESCE((SELECT gate_id <> %s FROM {events} WHERE subject_resident_id = {resident_column}"  # noqa: S608
        " AND at >= %s AND direction = %s AND decision = %s ORDER BY at DESC LIMIT 1), FALSE)"
    )
    params += [
        GateEvent._meta.get_field("id").get_db_prep_value(context.gate_id, connection),
        connection.ops.adapt_datetimefield_value(moment - TWO_GATES_WINDOW),
        direction,
        GateEvent.Decision.LET_IN.value,
    ]
    return sql, params


def _resident_facts(
    resident: Resident, context: GateContext, *, has_host: bool, case_kind: str | None
) -> rules.SubjectFacts:
    same = resident.compound_id == context.compound_id
    kind = rules.SubjectKind.RESIDENT if same else rules.SubjectKind.OTHER_RESIDENT
    return rules.SubjectFacts(
        kind=kind, colour=resident.health_colour, open_case=case_kind, has_host_household=has_host
    )


def _open_case_kind(resident: Resident, context: GateContext) -> str | None:
    """For a person found without the facts columns (a printed card): the same columns, alone."""
    sql, params = _facts_columns(context, "%s")
    key = Resident._meta.pk.get_db_prep_value(resident.id, connection)
    row = hot_fetchone(f"SELECT {sql}", [key, *params])
    return row[0] if row is not None else None


def _unidentified(reason: str, label: str = "") -> _Subject:
    return _Subject(rules.SubjectFacts(kind=rules.SubjectKind.UNIDENTIFIED, refusal=reason), label=label)


def _from_scan(scan: ScanResult, context: GateContext, has_host: bool) -> _Subject:
    if not scan.ok or scan.resident is None:
        label = mask_name(scan.resident.name) if scan.resident is not None else ""
        return _unidentified(scan.reason or "pass_unknown", label)
    label = mask_name(scan.resident.name)
    # A rotating pass brings the facts columns along (scan.also); a card does not.
    case_kind, used_elsewhere = scan.also if scan.also else (_open_case_kind(scan.resident, context), False)
    if used_elsewhere:
        return _unidentified("pass_used_at_two_gates", label)
    facts = _resident_facts(scan.resident, context, has_host=has_host, case_kind=case_kind)
    return _Subject(facts, resident=scan.resident, label=label)


def _resolve(
    request: CheckRequest, context: GateContext, *, staff: User | None, moment: dt.datetime
) -> _Subject:
    value = request.value if isinstance(request.value, str) else ""
    has_host = bool(
        request.host_building.strip()
        and request.host_room.strip()
        and Household.objects.filter(
            compound_id=context.compound_id,
            building=request.host_building.strip()[:20],
            room=request.host_room.strip()[:20],
        ).exists()
    )
    kind = request.subject
    if kind == "token":
        if len(value) > MAX_VALUE_CHARS:
            return _unidentified(passtoken.TokenError.MALFORMED.value)
        # The event's unique nonce column claims the code in the event's own INSERT (a replay
        # conflicts there and is recorded as a refusal), so the pass app need not claim it too.
        scan = pass_scan_resolve(
            token=value.strip(),
            now=moment,
            gate_id=context.gate_id,
            claim_nonce=False,
            also=_facts_columns(context, "r.id", two_gates=(request.direction, moment)),
        )
        subject = _from_scan(scan, context, has_host)
        if subject.resident is not None:
            subject.nonce = scan.nonce
        return subject
    if kind == "card":
        if not value.strip() or len(value) > 64:
            return _unidentified("card_unknown")
        return _from_scan(card_resolve(serial=value), context, has_host)
    if kind == "id_number":
        from gatehouse.people.services import identity_number_lookup_hash

        # The exact hash look-up comes first: a number that matches a resident was validated when
        # it was registered, so the full check (python-stdnum's region table, ~0.6 ms) runs only
        # on a miss, to say whether the number is malformed or just not ours.
        compact = _ID_SEPARATORS.sub("", value[:64]).upper()
        resident = None
        case_kind = None
        if _ID_SHAPE.match(compact):
            # Raw rather than filter(): on every typed check the ORM's compilation cost three times
            # the query (docs/benchmarks.md). The unique index on the hash answers alone.
            facts_sql, facts_params = _facts_columns(context, "r.id")
            row = hot_fetchone(
                f"SELECT r.id, r.name, r.compound_id, r.health_colour, r.status, {facts_sql} "  # noqa: S608
                f"FROM {Resident._meta.db_table} r WHERE r.id_number_hash = %s",
                [*facts_params, identity_number_lookup_hash(compact)],
            )
            if row is not None:
                resident = model_from_row(
                    Resident, ("id", "name", "compound_id", "health_colour", "status"), row
                )
                case_kind = row[5]
        if resident is None or resident.status != Resident.Status.ACTIVE:
            try:
                identity_number_normalise(value[:64])
            except Exception:  # any malformed text: never echoed, never logged
                return _unidentified("id_number_malformed")
            return _unidentified("id_number_unknown")
        facts = _resident_facts(resident, context, has_host=has_host, case_kind=case_kind)
        return _Subject(facts, resident=resident, label=mask_name(resident.name))
    if kind == "plate":
        try:
            plate = plate_normalise(value[:32])
        except Exception:
            return _unidentified("plate_malformed")
        # Raw for the same reason as the identity number look-up above; plate is unique.
        row = hot_fetchone(
            f"SELECT id, compound_id FROM {Vehicle._meta.db_table} WHERE plate = %s",  # noqa: S608
            [plate],
        )
        vehicle = model_from_row(Vehicle, ("id", "compound_id", "plate"), (*row, plate)) if row else None
        if vehicle is not None and vehicle.compound_id == context.compound_id:
            return _Subject(rules.SubjectFacts(kind=rules.SubjectKind.VEHICLE), vehicle=vehicle, label=plate)
        facts = rules.SubjectFacts(kind=rules.SubjectKind.UNKNOWN_VEHICLE, has_host_household=has_host)
        return _Subject(facts, vehicle=vehicle, label=plate)
    if kind == "staff":
        who = staff
        if value.strip():
            who = User.objects.filter(username=value.strip()[:150], is_active=True).first()
        if who is None:
            return _unidentified("staff_unknown")
        on_duty = user_on_duty(gate_id=context.gate_id, user_id=who.pk, now=moment)
        facts = rules.SubjectFacts(kind=rules.SubjectKind.STAFF, on_duty=on_duty, has_host_household=has_host)
        return _Subject(facts, label=mask_name(who.label)[:20])
    simple = {
        "visitor": rules.SubjectKind.VISITOR,
        "courier": rules.SubjectKind.COURIER,
        "emergency": rules.SubjectKind.EMERGENCY,
    }
    return _Subject(rules.SubjectFacts(kind=simple[kind], has_host_household=has_host))


def steps_for(event: GateEvent, context: GateContext) -> list[str]:
    decision = rules.Decision(
        outcome=rules.Outcome(event.decision),
        reasons=tuple(event.reasons),
        reading=rules.Reading(rules.TemperatureStatus(event.temperature)),
    )
    return rules.next_steps(decision, pickup_point=context.pickup_point)


def gate_check_record(
    *, context: GateContext, staff: User | None, request: CheckRequest, now: dt.datetime | None = None
) -> CheckResult:
    """Decide one check at `context`'s gate (reached through a scoped selector) and store it once."""
    received = now or timezone.now()
    observed = received
    provisional = bool(request.offline_decision)
    if request.observed_at is not None:
        # A check taken offline is judged at the moment it was taken, within reason.
        observed = min(max(request.observed_at, received - OFFLINE_MAX_AGE), received)
    # No look-up of the client id first: the unique constraint catches a repeat at the insert,
    # and a repeat's only earlier side effect (its pass code counted as seen) changes nothing.
    subject = _resolve(request, context, staff=staff, moment=observed)
    returnee_registered = False
    if request.declares_arrival and subject.resident is not None:
        from gatehouse.returnees.services import returnee_is_registered

        returnee_registered = returnee_is_registered(
            resident_id=subject.resident.id, today=timezone.localdate(observed)
        )
    decided = rules.decide(
        rules.CheckFacts(
            gate=context.facts,
            regime=context.regime,
            subject=subject.facts,
            direction=request.direction,
            temperature=request.temperature,
            fever_line=context.fever_line,
            # The gate's opening hours are the district's clock (never a caller's activated zone).
            local_time=observed.astimezone(timezone.get_default_timezone()).time(),
            declares_arrival=request.declares_arrival,
            returnee_registered=returnee_registered,
        )
    )
    reading = decided.reading
    overturned = provisional and request.offline_decision != decided.outcome.value
    resident, vehicle = subject.resident, subject.vehicle
    # Built without Model.__init__ (gatehouse.lib.db.model_new): this runs for every check.
    event = model_new(
        GateEvent,
        {
            "id": uuid.uuid4(),
            "gate_id": context.gate_id,
            "compound_id": context.compound_id,
            "at": received,
            "observed_at": observed,
            "direction": request.direction,
            "subject_kind": subject.facts.kind.value,
            "subject_resident_id": resident.id if resident is not None else None,
            "subject_vehicle_id": vehicle.id if vehicle is not None else None,
            "subject_label": subject.label[:20],
            "colour": resident.health_colour if resident is not None else "",
            "decision": decided.outcome.value,
            "reasons": list(decided.reasons),
            "temperature": reading.status.value,
            "temperature_c": reading.value if reading.status == rules.TemperatureStatus.FEVER else None,
            "temperature_raw": _raw_reading(request.temperature)
            if reading.status == rules.TemperatureStatus.IMPLAUSIBLE
            else "",
            "returnee_declared": request.declares_arrival,
            "staff_id": staff.pk if staff is not None else None,
            "staff_label": staff.label[:150] if staff is not None else "",
            "device": request.device[:80],
            "client_id": request.client_id,
            "provisional": provisional,
            "offline_decision": request.offline_decision[:10],
            "overturned": overturned,
            "nonce": subject.nonce,
        },
        related={"subject_resident": resident, "subject_vehicle": vehicle, "staff": staff},
    )
    if not _event_insert(event):
        # The same client id raced in (a retried sync), or the same token code was accepted elsewhere.
        first = GateEvent.objects.filter(gate_id=context.gate_id, client_id=request.client_id).first()
        if first is not None:
            return CheckResult(first, False, steps_for(first, context))
        return _record_replay(context=context, event=event)
    _raise_alerts(context=context, event=event, decided=decided, resident=subject.resident)
    return CheckResult(event, True, steps_for(event, context))


@functools.cache
def _insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in GateEvent._meta.concrete_fields)
    marks = ", ".join(["%s"] * len(GateEvent._meta.concrete_fields))
    table = quote(GateEvent._meta.db_table)
    # The columns in concrete_fields order, as gatehouse.lib.db.db_values gives their values.
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING RETURNING {quote('id')}"  # noqa: S608


def _event_insert(event: GateEvent) -> bool:
    """Insert `event` unless its client id (or accepted pass code) is already stored.

    The hot path of every check: one statement, one round trip, no transaction of its own and no
    savepoint, instead of the ORM's save inside atomic() (BEGIN, INSERT, COMMIT). A conflict returns
    no row instead of raising, so it is safe inside a caller's transaction too.
    """
    inserted = hot_fetchone(_insert_sql(connections[DEFAULT_DB_ALIAS].vendor), db_values(event)) is not None
    if inserted:
        event._state.adding = False
    return inserted


def _record_replay(*, context: GateContext, event: GateEvent) -> CheckResult:
    """The token's code was already accepted at some gate (two offline gates, one screenshot)."""
    event.id = uuid.uuid4()
    event.nonce = None
    replay = rules.Decision(
        rules.Outcome.REFUSE,
        (passtoken.TokenError.REPLAYED.value,),
        rules.Reading(rules.TemperatureStatus(event.temperature)),
    )
    if event.decision == rules.Outcome.ESCALATE:
        replay = rules.Decision(
            rules.Outcome.ESCALATE, (*event.reasons, passtoken.TokenError.REPLAYED.value), replay.reading
        )
    event.decision = replay.outcome.value
    event.reasons = list(replay.reasons)
    event.overturned = event.provisional and event.offline_decision != event.decision
    event.save(force_insert=True)
    if event.overturned:
        _alert_overturned(context, event)
    return CheckResult(event, True, steps_for(event, context))


def _raw_reading(raw: object) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    return text.strip()[:16]


FEVER_TITLE = gettext_noop("Fever %(temp)s °C at %(gate)s: %(who)s")
OBSERVATION_TITLE = gettext_noop("Person under home observation at %(gate)s (%(direction)s): %(who)s")
OVERTURNED_TITLE = gettext_noop("Offline check at %(gate)s decided again: %(offline)s → %(now)s")


def _title(message: str, **values: Any) -> str:
    # Alert titles are stored text read by the neighbourhood: written in the district's language.
    from django.conf import settings

    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % values


def _neighbourhood(context: GateContext) -> Neighbourhood:
    return Neighbourhood.objects.select_related("street__district").get(id=context.neighbourhood_id)


def _raise_alerts(
    *, context: GateContext, event: GateEvent, decided: rules.Decision, resident: Resident | None
) -> None:
    if not decided.alerts and not event.overturned:
        return
    neighbourhood = _neighbourhood(context)
    day = timezone.localdate(event.at).isoformat()
    who: Any = event.subject_label or rules.SUBJECT_LABELS.get(event.subject_kind, event.subject_kind)
    evidence = {
        "event_id": str(event.id),
        "gate": context.label,
        "direction": event.direction,
        "decision": event.decision,
        "staff": event.staff_label,
    }
    subject_key = str(resident.id) if resident is not None else str(event.id)
    if rules.AlertKind.FEVER in decided.alerts:
        alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.HIGH,
            neighbourhood=neighbourhood,
            compound=event.compound,
            subject=resident,
            subject_label=event.subject_label,
            title=_title(
                FEVER_TITLE,
                temp=event.temperature_c,
                gate=context.label,
                who=who,
            ),
            dedupe_key=f"gate_fever:{subject_key}:{day}",
            evidence={**evidence, "temperature_c": str(event.temperature_c)},
            at=event.at,
        )
    if rules.AlertKind.OBSERVATION_EXIT in decided.alerts:
        alert_raise(
            kind=Alert.Kind.GATE_OBSERVATION_EXIT,
            severity=Alert.Severity.HIGH,
            neighbourhood=neighbourhood,
            compound=event.compound,
            subject=resident,
            subject_label=event.subject_label,
            title=_title(
                OBSERVATION_TITLE,
                gate=context.label,
                direction=Direction(event.direction).label,
                who=who,
            ),
            dedupe_key=f"gate_observation:{subject_key}:{day}",
            evidence=evidence,
            at=event.at,
        )
    if event.overturned:
        _alert_overturned(context, event, neighbourhood)


def _alert_overturned(
    context: GateContext, event: GateEvent, neighbourhood: Neighbourhood | None = None
) -> None:
    alert_raise(
        kind=Alert.Kind.GATE_OFFLINE_CHANGED,
        severity=Alert.Severity.MEDIUM,
        neighbourhood=neighbourhood or _neighbourhood(context),
        compound=event.compound,
        subject=event.subject_resident,
        subject_label=event.subject_label,
        title=_title(
            OVERTURNED_TITLE,
            gate=context.label,
            offline=GateEvent.Decision(event.offline_decision).label
            if event.offline_decision in GateEvent.Decision.values
            else event.offline_decision,
            now=GateEvent.Decision(event.decision).label,
        ),
        dedupe_key=f"gate_offline:{event.id}",
        evidence={
            "event_id": str(event.id),
            "gate": context.label,
            "offline_decision": event.offline_decision,
            "decision": event.decision,
            "reasons": event.reasons,
            "observed_at": event.observed_at.isoformat(),
        },
        at=event.at,
    )


# --- duty ---------------------------------------------------------------------------------------


def gate_duty_start(*, gate: Any, user: User, at: dt.datetime | None = None) -> GateDuty:
    """Put `user` on duty at `gate` (a Gate or its id); a second start returns the open duty."""
    gate_id = getattr(gate, "id", gate)
    moment = at or timezone.now()
    open_duty = GateDuty.objects.filter(gate_id=gate_id, user=user, ended_at__isnull=True).first()
    if open_duty is not None:
        return open_duty
    try:
        with transaction.atomic():
            duty = GateDuty.objects.create(gate_id=gate_id, user=user, started_at=moment)
            audit_record(
                actor=Actor(user_id=user.pk, label=user.label, role=user.role or "none"),
                action="create",
                object_type="gate_duty",
                object_id=duty.id,
                detail=f"gate {gate_id}",
            )
            return duty
    except IntegrityError:  # started twice at once
        return GateDuty.objects.get(gate_id=gate_id, user=user, ended_at__isnull=True)


def gate_duty_end(*, gate: Any, user: User, at: dt.datetime | None = None) -> int:
    """End `user`'s open duty at `gate`. Returns how many duties ended (0 or 1)."""
    gate_id = getattr(gate, "id", gate)
    moment = at or timezone.now()
    with transaction.atomic():
        ended = GateDuty.objects.filter(
            gate_id=gate_id, user=user, ended_at__isnull=True, started_at__lte=moment
        ).update(ended_at=moment)
        if ended:
            audit_record(
                actor=Actor(user_id=user.pk, label=user.label, role=user.role or "none"),
                action="update",
                object_type="gate_duty",
                object_id=str(gate_id),
                detail="ended",
            )
    return ended


# --- retention ----------------------------------------------------------------------------------


def gate_events_purge(*, now: dt.datetime | None = None, batch: int = 5000) -> int:
    """Delete gate events older than their district's retention period. Run by the worker."""
    from gatehouse.places.models import District

    moment = now or timezone.now()
    purged = 0
    for district in District.objects.all():
        cutoff = moment - dt.timedelta(days=district.gate_event_retention_days)
        while True:
            ids = list(
                GateEvent.objects.filter(
                    at__lt=cutoff, compound__neighbourhood__street__district=district
                ).values_list("id", flat=True)[:batch]
            )
            if not ids:
                break
            deleted, _ = GateEvent.objects.filter(id__in=ids).delete()
            purged += deleted
    return purged
