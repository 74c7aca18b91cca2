"""Reads of places, each cut to the caller's scope here and nowhere else."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from gatehouse.core.roles import Capability, Scope
from gatehouse.places.models import Compound, District, Gate, GateRegime, Neighbourhood, Street

V = Capability.VIEW_PLACES


def street_list(*, scope: Scope) -> QuerySet[Street]:
    return scope.restrict(Street.objects.all(), V, to_street="").order_by("code")


def neighbourhood_list(*, scope: Scope, street_id: uuid.UUID | None = None) -> QuerySet[Neighbourhood]:
    qs = scope.restrict(Neighbourhood.objects.select_related("street"), V, to_neighbourhood="")
    if street_id is not None:
        qs = qs.filter(street_id=street_id)
    return qs.order_by("name")


def compound_list(*, scope: Scope, neighbourhood_id: uuid.UUID | None = None) -> QuerySet[Compound]:
    qs = scope.restrict(Compound.objects.select_related("neighbourhood__street"), V, to_compound="")
    if neighbourhood_id is not None:
        qs = qs.filter(neighbourhood_id=neighbourhood_id)
    return qs.order_by("name")


def gate_list(*, scope: Scope, compound_id: uuid.UUID | None = None) -> QuerySet[Gate]:
    qs = scope.restrict(Gate.objects.select_related("compound"), V, to_gate="")
    if compound_id is not None:
        qs = qs.filter(compound_id=compound_id)
    return qs.order_by("name")


def _get_or_404(qs: QuerySet[Any], place_id: uuid.UUID | str) -> Any:
    try:
        return qs.get(id=place_id)
    except (
        qs.model.DoesNotExist,
        ValueError,
        TypeError,
    ) as exc:  # a malformed id is as unknown as a foreign one
        raise Http404 from exc


def street_get(*, scope: Scope, street_id: uuid.UUID | str) -> Street:
    return _get_or_404(street_list(scope=scope), street_id)  # type: ignore[no-any-return]


def neighbourhood_get(*, scope: Scope, neighbourhood_id: uuid.UUID | str) -> Neighbourhood:
    return _get_or_404(neighbourhood_list(scope=scope), neighbourhood_id)  # type: ignore[no-any-return]


def compound_get(*, scope: Scope, compound_id: uuid.UUID | str) -> Compound:
    return _get_or_404(compound_list(scope=scope), compound_id)  # type: ignore[no-any-return]


def gate_get(*, scope: Scope, gate_id: uuid.UUID | str) -> Gate:
    return _get_or_404(gate_list(scope=scope), gate_id)  # type: ignore[no-any-return]


def district_for_scope(*, scope: Scope) -> District | None:
    """The district whose policies apply to the caller (any role bound to a place has one)."""
    level_paths = {
        "district": "id",
        "street": "streets__id",
        "neighbourhood": "streets__neighbourhoods__id",
        "compound": "streets__neighbourhoods__compounds__id",
        "gate": "streets__neighbourhoods__compounds__gates__id",
    }
    bound = scope.binding()
    if bound is None:
        return None
    level, place_id = bound
    return District.objects.filter(**{level_paths[level]: place_id}).first()


def regime_list(*, scope: Scope) -> QuerySet[GateRegime]:
    district = district_for_scope(scope=scope) if scope.can(V) else None
    if district is None:
        return GateRegime.objects.none()
    return GateRegime.objects.filter(district=district).order_by("compound_class")


def regime_for_compound(compound: Compound) -> GateRegime | None:
    """The regime a compound's gates follow; not scoped, because it is policy, not personal data."""
    return GateRegime.objects.filter(
        district__streets__neighbourhoods__compounds=compound, compound_class=compound.compound_class
    ).first()


def street_counts(*, scope: Scope) -> QuerySet[Street]:
    return street_list(scope=scope).annotate(
        neighbourhood_count=Count("neighbourhoods", distinct=True),
    )


def neighbourhood_counts(*, scope: Scope, street_id: uuid.UUID) -> QuerySet[Neighbourhood]:
    return neighbourhood_list(scope=scope, street_id=street_id).annotate(
        compound_count=Count("compounds", distinct=True)
    )


def compound_counts(*, scope: Scope, neighbourhood_id: uuid.UUID) -> QuerySet[Compound]:
    return compound_list(scope=scope, neighbourhood_id=neighbourhood_id).annotate(
        gate_count=Count("gates", distinct=True)
    )
