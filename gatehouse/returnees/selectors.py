"""Reads of returnee registrations and key areas, scoped to the caller."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from gatehouse.core.roles import Capability, Scope
from gatehouse.places.selectors import district_for_scope
from gatehouse.returnees.models import KeyArea, ReturneeRegistration


def registration_list(*, scope: Scope) -> QuerySet[ReturneeRegistration]:
    qs = ReturneeRegistration.objects.select_related("resident", "compound")
    if scope.resident_id is not None and scope.can(Capability.VIEW_OWN_RECORD):
        return qs.filter(resident_id=scope.resident_id)
    return scope.restrict(qs, Capability.VIEW_RESIDENTS, to_compound="compound").order_by("-created_at")


def key_area_list(*, scope: Scope) -> QuerySet[KeyArea]:
    if not (scope.can(Capability.VIEW_PLACES) or scope.can(Capability.GATE_CHECK)):
        return KeyArea.objects.none()
    district = district_for_scope(scope=scope)
    if district is None:
        return KeyArea.objects.none()
    return KeyArea.objects.filter(district=district)


def key_area_get(*, scope: Scope, area_id: uuid.UUID | str) -> KeyArea:
    try:
        return key_area_list(scope=scope).get(id=area_id)
    except (KeyArea.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
