"""Reads of observation cases, scoped to the caller's places."""

from __future__ import annotations

from django.db.models import QuerySet

from gatehouse.core.roles import Capability, Scope
from gatehouse.observation.models import ObservationCase


def case_list(
    *, scope: Scope, status: str | None = ObservationCase.Status.ACTIVE
) -> QuerySet[ObservationCase]:
    qs = scope.restrict(
        ObservationCase.objects.select_related("resident", "household", "compound"),
        Capability.VIEW_OBSERVATION,
        to_compound="compound",
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("ends_on")
