"""Registering returnees and editing the district's key areas.

`returnee_register` validates the answers, classifies them with the district's key areas and
lengths (rules.classify), stores the registration, and opens the observation case that changes the
pass colour (observation.services.case_open), all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_close, case_open
from gatehouse.people.models import Resident
from gatehouse.places.models import District, Gate
from gatehouse.returnees import rules
from gatehouse.returnees.models import KeyArea, ReturneeRegistration, ReturneeSymptom, Transport

SHANGHAI = {"上海", "上海市", "shanghai"}
MAX_VISITS = 20
PRE_REGISTRATION_DAYS = 14  # a resident may register up to two weeks before arriving


@dataclass
class ReturneeAnswers:
    """What the returnee is asked (必询问). Dates as dates; visits as dicts from a form or the API."""

    origin_province: str
    origin_city: str
    departed_on: dt.date | None
    arrived_on: dt.date | None
    transport: str
    transport_number: str = ""
    visits: list[dict[str, Any]] = field(default_factory=list)
    contact_confirmed: bool = False
    contact_suspected: bool = False
    symptoms: list[str] = field(default_factory=list)
    temperature: Decimal | None = None


def district_of(resident: Resident) -> District:
    return resident.compound.neighbourhood.street.district


def _clean_visits(raw: list[dict[str, Any]], errors: dict[str, list[str]]) -> list[rules.Visit]:
    visits = []
    if len(raw) > MAX_VISITS:
        errors["visits"] = [_("At most %(n)s places.") % {"n": MAX_VISITS}]
        return []
    for item in raw:
        try:
            province = str(item.get("province", "")).strip()[:20]
            city = str(item.get("city", "")).strip()[:40]
            kind = item.get("kind", "stay")
            start = item.get("from_date")
            end = item.get("to_date")
            start = dt.date.fromisoformat(start) if isinstance(start, str) else start
            end = dt.date.fromisoformat(end) if isinstance(end, str) else end
        except (AttributeError, ValueError, TypeError):
            errors["visits"] = [_("Each place needs a province, a city, stay or transit, and two dates.")]
            return []
        if not province or kind not in ("stay", "transit") or not isinstance(start, dt.date):
            errors["visits"] = [_("Each place needs a province, a city, stay or transit, and two dates.")]
            return []
        end = end if isinstance(end, dt.date) else start
        if end < start:
            errors["visits"] = [_("A place's last day must not be before its first.")]
            return []
        visits.append(rules.Visit(province, city, kind, start, end))
    return visits


def _validate(answers: ReturneeAnswers, today: dt.date) -> tuple[dict[str, list[str]], list[rules.Visit]]:
    errors: dict[str, list[str]] = {}
    if not answers.origin_province.strip():
        errors["origin_province"] = [_("Enter the province you come from.")]
    elif answers.origin_province.strip().lower() in SHANGHAI:
        errors["origin_province"] = [_("A returnee comes from outside Shanghai.")]
    if not answers.origin_city.strip():
        errors["origin_city"] = [_("Enter the city you come from.")]
    if answers.departed_on is None:
        errors["departed_on"] = [_("Enter the day you left.")]
    if answers.arrived_on is None:
        errors["arrived_on"] = [_("Enter the day you arrive.")]
    if answers.departed_on and answers.arrived_on:
        if answers.arrived_on < answers.departed_on:
            errors["arrived_on"] = [_("The arrival must not be before the departure.")]
        elif answers.arrived_on > today + dt.timedelta(days=PRE_REGISTRATION_DAYS):
            errors["arrived_on"] = [_("Register at most two weeks before you arrive.")]
        elif answers.arrived_on < today - dt.timedelta(days=60):
            errors["arrived_on"] = [_("This arrival is too long ago to register.")]
    if answers.transport not in Transport.values:
        errors["transport"] = [_("Choose the transport.")]
    if len(answers.transport_number) > 20:
        errors["transport_number"] = [_("At most 20 characters.")]
    if any(s not in ReturneeSymptom.values for s in answers.symptoms):
        errors["symptoms"] = [_("Unknown symptom.")]
    if answers.temperature is not None and not (
        answers.temperature.is_finite() and Decimal("34") <= answers.temperature <= Decimal("42.5")
    ):
        errors["temperature"] = [_("Measure again: a body temperature is between 34.0 and 42.5 °C.")]
    visits = _clean_visits(answers.visits, errors)
    return errors, visits


def key_area_facts(district: District) -> list[rules.KeyAreaFacts]:
    return [
        rules.KeyAreaFacts(a.province, a.city, a.starts_on, a.ends_on)
        for a in KeyArea.objects.filter(district=district)
    ]


def returnee_register(
    *,
    actor: Actor,
    resident: Resident,
    answers: ReturneeAnswers,
    via: str,
    gate: Gate | None = None,
    today: dt.date | None = None,
) -> ReturneeRegistration:
    """Register an arrival for `resident` (reached by the caller through a scoped read)."""
    today = today or timezone.localdate()
    if resident.status != Resident.Status.ACTIVE:
        raise ValidationError({"resident": [_("This resident no longer lives here.")]})
    errors, visits = _validate(answers, today)
    if errors:
        raise ValidationError(errors)
    assert answers.departed_on is not None
    assert answers.arrived_on is not None
    district = district_of(resident)
    result = rules.classify(
        rules.ReturneeFacts(
            origin_province=answers.origin_province.strip(),
            origin_city=answers.origin_city.strip(),
            departed_on=answers.departed_on,
            arrived_on=answers.arrived_on,
            visits=tuple(visits),
            contact_confirmed=answers.contact_confirmed,
            contact_suspected=answers.contact_suspected,
            symptoms=tuple(answers.symptoms),
            temperature=answers.temperature,
        ),
        key_areas=key_area_facts(district),
        observation_days=district.observation_days,
        monitoring_days=district.health_monitoring_days,
        fever_line=district.fever_line_c,
        today=today,
    )
    with transaction.atomic():
        registration = ReturneeRegistration.objects.create(
            resident=resident,
            compound=resident.compound,
            origin_province=answers.origin_province.strip()[:20],
            origin_city=answers.origin_city.strip()[:40],
            departed_on=answers.departed_on,
            arrived_on=answers.arrived_on,
            transport=answers.transport,
            transport_number=answers.transport_number.strip()[:20],
            visits=[
                {
                    "province": v.province,
                    "city": v.city,
                    "kind": v.kind,
                    "from_date": v.from_date.isoformat(),
                    "to_date": v.to_date.isoformat(),
                }
                for v in visits
            ],
            contact_confirmed=answers.contact_confirmed,
            contact_suspected=answers.contact_suspected,
            symptoms=sorted(set(answers.symptoms)),
            temperature_c=answers.temperature,
            classification=result.classification.value,
            starts_on=result.starts_on,
            ends_on=result.ends_on,
            reasons=list(result.reasons),
            via=via,
            registered_by=actor.label[:150],
            gate=gate,
        )
        case = _open_case(actor=actor, resident=resident, result=result, today=today)
        if case is not None:
            registration.case_id = case.id
            registration.save(update_fields=["case_id"])
        audit_record(
            actor=actor,
            action="create",
            object_type="returnee_registration",
            object_id=registration.id,
            subject_resident_id=resident.id,
            detail=f"{result.classification.value} via {via}",
        )
    return registration


def _open_case(
    *, actor: Actor, resident: Resident, result: rules.Result, today: dt.date
) -> ObservationCase | None:
    if result.classification == rules.Classification.PERIOD_OVER:
        return None
    kind = result.classification.value
    active = ObservationCase.objects.filter(resident=resident, status=ObservationCase.Status.ACTIVE).first()
    if active is not None:
        stricter = (
            kind == ObservationCase.Kind.HOME_OBSERVATION
            and active.kind == ObservationCase.Kind.HEALTH_MONITORING
        )
        if not stricter:
            return active  # already followed at least as closely
        case_close(
            actor=actor, case=active, status=ObservationCase.Status.RELEASED, note="→ home observation"
        )
    starts_on = result.starts_on
    reason = _("Returnee registration: %(reasons)s") % {"reasons": ", ".join(result.reasons)}
    return case_open(
        actor=actor,
        resident=resident,
        kind=kind,
        reason=reason,
        source=ObservationCase.Source.RETURNEE_REGISTRATION,
        starts_on=starts_on,
        days=(result.ends_on - starts_on).days,
    )


def returnee_is_registered(*, resident_id: Any, today: dt.date) -> bool:
    """Whether the resident registered an arrival whose period runs today (or lies ahead)."""
    return ReturneeRegistration.objects.filter(
        Q(ends_on__gte=today) | Q(created_at__gte=timezone.now() - dt.timedelta(days=1)),
        resident_id=resident_id,
    ).exists()


# --- key areas ----------------------------------------------------------------------------------


def _require_policy(scope: Scope) -> None:
    if not scope.can(Capability.EDIT_POLICIES):
        raise PermissionDenied(_("Your role may not do this."))


def key_area_add(
    *,
    scope: Scope,
    actor: Actor,
    district: District,
    province: str,
    city: str = "",
    starts_on: dt.date | None,
    ends_on: dt.date | None = None,
    note: str = "",
) -> KeyArea:
    _require_policy(scope)
    errors: dict[str, list[str]] = {}
    province, city = (province or "").strip(), (city or "").strip()
    if not province:
        errors["province"] = [_("Enter the province.")]
    elif len(province) > 20:
        errors["province"] = [_("At most 20 characters.")]
    if len(city) > 40:
        errors["city"] = [_("At most 40 characters.")]
    if starts_on is None:
        errors["starts_on"] = [_("Enter the first day.")]
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The end must not be before the start.")]
    if errors:
        raise ValidationError(errors)
    assert starts_on is not None
    with transaction.atomic():
        area = KeyArea.objects.create(
            district=district,
            province=province,
            city=city,
            starts_on=starts_on,
            ends_on=ends_on,
            note=(note or "")[:200],
        )
        audit_record(
            actor=actor, action="create", object_type="key_area", object_id=area.id, detail=str(area)
        )
    return area


def key_area_remove(*, scope: Scope, actor: Actor, area: KeyArea) -> None:
    _require_policy(scope)
    with transaction.atomic():
        audit_record(
            actor=actor, action="delete", object_type="key_area", object_id=area.id, detail=str(area)
        )
        area.delete()


def registrations_purge(*, now: dt.datetime, batch: int = 500) -> int:
    """Delete registrations whose observation or monitoring period ended longer ago than their
    district keeps health records (where they came from, whom they met, their symptoms). Worker job."""
    from gatehouse.core.audit import SYSTEM

    today = timezone.localdate(now)
    purged = 0
    for district in District.objects.all():
        cutoff = today - dt.timedelta(days=district.health_record_retention_days)
        while True:
            rows = list(
                ReturneeRegistration.objects.filter(
                    compound__neighbourhood__street__district=district, ends_on__lt=cutoff
                ).values_list("id", "resident_id")[:batch]
            )
            if not rows:
                break
            with transaction.atomic():
                for registration_id, resident_id in rows:
                    audit_record(
                        actor=SYSTEM,
                        action="delete",
                        object_type="returnee_registration",
                        object_id=registration_id,
                        subject_resident_id=resident_id,
                        detail="retention period ended",
                    )
                ReturneeRegistration.objects.filter(id__in=[i for i, _ in rows]).delete()
            purged += len(rows)
    return purged
