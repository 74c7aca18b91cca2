"""Reads of residents, households and vehicles, cut to the caller's scope here and only here.

Opening a resident's record leaves an audit entry: a read of personal data is an event.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.models import AuditEntry
from gatehouse.core.roles import Capability, Scope
from gatehouse.lib.identity import identity_number_normalise
from gatehouse.lib.phones import phone_normalise
from gatehouse.lib.plates import plate_normalise
from gatehouse.people.models import HealthColourChange, Household, Resident, Vehicle

VIEW = Capability.VIEW_RESIDENTS
SEARCH_LIMIT = 50


def resident_list(*, scope: Scope, include_departed: bool = False) -> QuerySet[Resident]:
    qs = Resident.objects.select_related("compound", "household")
    if scope.resident_id is not None and scope.can(Capability.VIEW_OWN_RECORD):
        return qs.filter(id=scope.resident_id)
    qs = scope.restrict(qs, VIEW, to_compound="compound")
    if not include_departed:
        qs = qs.filter(status=Resident.Status.ACTIVE)
    return qs


def _resident_get(scope: Scope, resident_id: uuid.UUID | str) -> Resident:
    try:
        return resident_list(scope=scope, include_departed=True).get(id=resident_id)
    except (Resident.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def resident_for_edit(*, scope: Scope, resident_id: uuid.UUID | str) -> Resident:
    """For a write: the caller's service records the change itself."""
    return _resident_get(scope, resident_id)


def resident_open(*, scope: Scope, actor: Actor, resident_id: uuid.UUID | str) -> Resident:
    """Open a resident's record to read it; audited."""
    resident = _resident_get(scope, resident_id)
    audit_record(
        actor=actor,
        action="view",
        object_type="resident",
        object_id=resident.id,
        subject_resident_id=resident.id,
    )
    return resident


@dataclass(frozen=True)
class SearchResult:
    kind: str
    residents: list[Resident]


_DIGITS_ONLY = re.compile(r"^[0-9 \-+]{7,}$")


def resident_search(*, scope: Scope, actor: Actor, query: str) -> SearchResult:
    """Name (prefix or contained), phone, plate or a full identity number (exact, via the hash)."""
    from gatehouse.people.services import identity_number_lookup_hash

    query = (query or "").strip()[:64]
    base = resident_list(scope=scope)
    if not query:
        return SearchResult("empty", [])
    kind, qs = "name", base.none()
    compact = re.sub(r"[\s\-]", "", query).upper()
    if len(compact) == 18 and compact[:17].isdigit():
        kind = "id_number"
        try:
            number = identity_number_normalise(compact)
            qs = base.filter(id_number_hash=identity_number_lookup_hash(number))
        except ValidationError:
            qs = base.none()
    elif _DIGITS_ONLY.match(query):
        kind = "phone"
        try:
            qs = base.filter(phone=phone_normalise(query))
        except ValidationError:
            qs = base.filter(phone__contains=compact)
    else:
        try:
            plate = plate_normalise(query)
            kind = "plate"
            qs = base.filter(household__vehicles__plate=plate)
        except ValidationError:
            qs = base.filter(name__contains=query)
    residents = list(qs.order_by("name", "id")[:SEARCH_LIMIT])
    # What was looked for is itself personal data: record its kind and the hits, not the text.
    audit_record(
        actor=actor,
        action="search",
        object_type="resident",
        object_id="-",
        detail=f"by {kind}, {len(residents)} found",
    )
    return SearchResult(kind, residents)


def resident_colour_history(*, resident: Resident, limit: int = 20) -> QuerySet[HealthColourChange]:
    return resident.colour_changes.all()[:limit]


def household_members(*, resident: Resident) -> QuerySet[Resident]:
    return Resident.objects.filter(household_id=resident.household_id, status=Resident.Status.ACTIVE)


def vehicle_list(*, scope: Scope) -> QuerySet[Vehicle]:
    return scope.restrict(
        Vehicle.objects.select_related("household", "compound"), VIEW, to_compound="compound"
    )


def compound_plates(*, compound_id: uuid.UUID) -> list[str]:
    """The plates registered to a compound, for its gates' offline bundle (a gate volunteer reads
    plates anyway). Unscoped: the caller has checked that the asker stands at one of its gates."""
    return list(
        Vehicle.objects.filter(compound_id=compound_id).order_by("plate").values_list("plate", flat=True)
    )


def household_list(*, scope: Scope) -> QuerySet[Household]:
    return scope.restrict(Household.objects.select_related("compound"), VIEW, to_compound="compound")


def resident_counts_by(*, scope: Scope, level: str) -> dict[uuid.UUID, int]:
    """Active residents per street, neighbourhood or compound inside the scope, for the place tree."""
    key = {
        "street": "compound__neighbourhood__street_id",
        "neighbourhood": "compound__neighbourhood_id",
        "compound": "compound_id",
    }[level]
    rows = resident_list(scope=scope).order_by().values(key).annotate(n=Count("id"))
    return {row[key]: row["n"] for row in rows}


def resident_access_log(*, scope: Scope) -> QuerySet[AuditEntry]:
    """For a resident on their own phone: who looked at or changed their record, and when."""
    if scope.resident_id is None or not scope.can(Capability.VIEW_OWN_RECORD):
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(subject_resident_id=scope.resident_id).exclude(
        Q(actor_role="resident") & Q(actor_id=scope.user_id)
    )
