"""Opening and closing observation cases; each changes the person's pass colour with a reason."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core.audit import Actor, audit_record
from gatehouse.observation.models import ObservationCase
from gatehouse.people.models import HealthColour, HealthColourChange, Resident
from gatehouse.people.services import resident_health_colour_set

_OPEN_COLOUR = {
    ObservationCase.Kind.HOME_OBSERVATION: (HealthColour.RED, HealthColourChange.Reason.CASE_OPENED),
    ObservationCase.Kind.HEALTH_MONITORING: (
        HealthColour.YELLOW,
        HealthColourChange.Reason.MONITORING_STARTED,
    ),
}


def case_open(
    *,
    actor: Actor,
    resident: Resident,
    kind: str,
    reason: str,
    source: str = ObservationCase.Source.MANUAL,
    starts_on: dt.date | None = None,
    days: int | None = None,
) -> ObservationCase:
    """Open a case for `resident` (already scoped by the caller). Length defaults to district policy."""
    if kind not in ObservationCase.Kind.values:
        raise ValidationError({"kind": [_("Choose home observation or health monitoring.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the case.")]})
    district = resident.compound.neighbourhood.street.district
    if days is None:
        days = (
            district.observation_days
            if kind == ObservationCase.Kind.HOME_OBSERVATION
            else district.health_monitoring_days
        )
    starts_on = starts_on or timezone.localdate()
    with transaction.atomic():
        try:
            with transaction.atomic():
                case = ObservationCase.objects.create(
                    resident=resident,
                    household=resident.household,
                    compound=resident.compound,
                    kind=kind,
                    source=source,
                    reason=reason[:300],
                    starts_on=starts_on,
                    ends_on=starts_on + dt.timedelta(days=days),
                )
        except IntegrityError:
            raise ValidationError({"resident": [_("This person already has an active case.")]}) from None
        colour, colour_reason = _OPEN_COLOUR[ObservationCase.Kind(kind)]
        resident_health_colour_set(
            actor=actor, resident=resident, colour=colour, reason=colour_reason, note=reason[:150]
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="observation_case",
            object_id=case.id,
            subject_resident_id=resident.id,
            detail=kind,
        )
    return case


def case_close(*, actor: Actor, case: ObservationCase, status: str, note: str = "") -> ObservationCase:
    """Release, or hand over to hospital or central quarantine."""
    if status not in {s for s in ObservationCase.Status.values if s != ObservationCase.Status.ACTIVE}:
        raise ValidationError({"status": [_("Choose how the case ends.")]})
    with transaction.atomic():
        locked = ObservationCase.objects.select_for_update().select_related("resident").get(id=case.id)
        if locked.status != ObservationCase.Status.ACTIVE:
            raise ValidationError({"status": [_("This case is already closed.")]})
        locked.status = status
        locked.closed_at = timezone.now()
        locked.closed_by = actor.label
        locked.close_note = note[:300]
        locked.save()
        if status == ObservationCase.Status.RELEASED:
            reason = (
                HealthColourChange.Reason.CASE_RELEASED
                if locked.kind == ObservationCase.Kind.HOME_OBSERVATION
                else HealthColourChange.Reason.MONITORING_ENDED
            )
            resident_health_colour_set(
                actor=actor,
                resident=locked.resident,
                colour=HealthColour.GREEN,
                reason=reason,
                note=note[:150],
            )
        audit_record(
            actor=actor,
            action="update",
            object_type="observation_case",
            object_id=locked.id,
            subject_resident_id=locked.resident_id,
            detail=f"closed: {status}",
        )
    return locked
