"""Reads of wristbands, bindings and readings, scoped to the caller's places."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gatehouse.core.roles import Capability, Scope
from gatehouse.devices import credentials
from gatehouse.devices.models import Binding, Telemetry, Wristband
from gatehouse.observation.models import ObservationCase
from gatehouse.places.models import Neighbourhood


def _active_bindings() -> Any:
    return Prefetch(
        "bindings",
        queryset=Binding.objects.filter(status=Binding.Status.ACTIVE).select_related("case__resident"),
        to_attr="active_bindings",
    )


def wristband_list(*, scope: Scope, status: str | None = None) -> QuerySet[Wristband]:
    qs = scope.restrict(
        Wristband.objects.select_related("neighbourhood"),
        Capability.VIEW_OBSERVATION,
        to_neighbourhood="neighbourhood",
    ).prefetch_related(_active_bindings())
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("serial")


def wristband_get(*, scope: Scope, wristband_id: uuid.UUID | str) -> Wristband:
    try:
        return wristband_list(scope=scope).get(id=wristband_id)
    except (Wristband.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def case_get(*, scope: Scope, case_id: uuid.UUID | str) -> ObservationCase:
    """An active case in reach, for binding a wristband to it."""
    qs = scope.restrict(
        ObservationCase.objects.select_related("resident", "compound"),
        Capability.VIEW_OBSERVATION,
        to_compound="compound",
    )
    try:
        return qs.get(id=case_id)
    except (ObservationCase.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def cases_without_wristband(*, scope: Scope) -> QuerySet[ObservationCase]:
    return (
        scope.restrict(
            ObservationCase.objects.select_related("resident", "compound"),
            Capability.VIEW_OBSERVATION,
            to_compound="compound",
        )
        .filter(status=ObservationCase.Status.ACTIVE, kind=ObservationCase.Kind.HOME_OBSERVATION)
        .exclude(wristband_bindings__status=Binding.Status.ACTIVE)
        .order_by("ends_on")
    )


def binding_history(*, scope: Scope, wristband: Wristband) -> QuerySet[Binding]:
    """`wristband` must come from `wristband_get`."""
    return scope.restrict(
        Binding.objects.filter(wristband=wristband).select_related("case__resident"),
        Capability.VIEW_OBSERVATION,
        to_compound="compound",
    ).order_by("-bound_at")


def readings_recent(*, scope: Scope, wristband: Wristband, limit: int = 50) -> list[Telemetry]:
    """The latest readings of the wristband's current case (none when it is not bound)."""
    binding = binding_history(scope=scope, wristband=wristband).filter(status=Binding.Status.ACTIVE).first()
    if binding is None:
        return []
    return list(
        Telemetry.objects.filter(device_id=wristband.id, case_id=binding.case_id).order_by("-seq")[:limit]
    )


def wristband_authenticate(token: str) -> Wristband | None:
    """The wristband a device token belongs to (for the HTTP endpoint), or None."""
    parts = credentials.split_device_token(token)
    if parts is None:
        return None
    serial, secret = parts
    band = Wristband.objects.filter(serial=serial).exclude(status=Wristband.Status.RETIRED).first()
    if band is None or not credentials.secret_matches(secret, band.secret_hash):
        return None
    return band


def broker_credentials() -> list[tuple[str, str]]:
    """(serial, broker hash) of every wristband that may log in to the broker."""
    return list(
        Wristband.objects.exclude(status=Wristband.Status.RETIRED)
        .exclude(broker_hash="")
        .order_by("serial")
        .values_list("serial", "broker_hash")
    )


def neighbourhood_for_stock(*, scope: Scope, neighbourhood_id: uuid.UUID | None) -> Neighbourhood:
    """Where a new wristband goes: the given neighbourhood in reach, or the caller's own."""
    if neighbourhood_id is None:
        neighbourhood_id = scope.neighbourhood_id
    if neighbourhood_id is None:
        raise ValidationError({"neighbourhood_id": [_("Choose the neighbourhood that keeps the wristband.")]})
    qs = Neighbourhood.objects.filter(scope.place_q(to_neighbourhood="", to_street="street"))
    if not scope.can(Capability.VIEW_OBSERVATION):
        qs = qs.none()
    try:
        return qs.get(id=neighbourhood_id)
    except (Neighbourhood.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
