"""Roles, what each may do (capabilities), and the jurisdiction (Scope) a user acts in.

This is the one place that says who reaches what; selectors apply it, views only ask it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_COMMAND = "district_command", _("District command")
    STREET_OFFICER = "street_officer", _("Street officer")
    NEIGHBOURHOOD_WORKER = "neighbourhood_worker", _("Neighbourhood worker")
    GATE_STAFF = "gate_staff", _("Gate staff")
    BUILDING_MANAGER = "building_manager", _("Building manager")
    MEAL_CENTRE_OPERATOR = "meal_centre_operator", _("Meal centre operator")
    COURIER = "courier", _("Courier")
    ORGANISATION_COORDINATOR = "organisation_coordinator", _("Organisation coordinator")
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer")


class Capability(enum.Enum):
    VIEW_PLACES = "view_places"
    EDIT_PLACES = "edit_places"
    EDIT_REGIMES = "edit_regimes"
    EDIT_POLICIES = "edit_policies"
    VIEW_RESIDENTS = "view_residents"
    EDIT_RESIDENTS = "edit_residents"
    EXPORT_RESIDENTS = "export_residents"
    VIEW_AUDIT = "view_audit"
    MANAGE_TOKENS = "manage_tokens"
    GATE_CHECK = "gate_check"
    VIEW_ALERTS = "view_alerts"
    HANDLE_ALERTS = "handle_alerts"
    VIEW_OBSERVATION = "view_observation"
    EDIT_OBSERVATION = "edit_observation"
    MANAGE_VOLUNTEERS = "manage_volunteers"
    VIEW_OWN_RECORD = "view_own_record"
    PLAN_ROSTERS = "plan_rosters"
    VOLUNTEER_DUTY = "volunteer_duty"


C = Capability
# PRODUCT.md's "what they need" column, as data. Meal, supply and organisation capabilities arrive
# with their issues; until then those roles reach nothing personal.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.DISTRICT_COMMAND: frozenset(
        {
            C.VIEW_PLACES,
            C.EDIT_PLACES,
            C.EDIT_REGIMES,
            C.EDIT_POLICIES,
            C.VIEW_RESIDENTS,
            C.EDIT_RESIDENTS,
            C.EXPORT_RESIDENTS,
            C.VIEW_AUDIT,
            C.MANAGE_TOKENS,
            C.VIEW_ALERTS,
            C.HANDLE_ALERTS,
            C.VIEW_OBSERVATION,
            C.EDIT_OBSERVATION,
            C.MANAGE_VOLUNTEERS,
            C.PLAN_ROSTERS,
        }
    ),
    Role.STREET_OFFICER: frozenset(
        {
            C.VIEW_PLACES,
            C.EDIT_PLACES,
            C.VIEW_RESIDENTS,
            C.EDIT_RESIDENTS,
            C.EXPORT_RESIDENTS,
            C.VIEW_ALERTS,
            C.HANDLE_ALERTS,
            C.VIEW_OBSERVATION,
            C.MANAGE_VOLUNTEERS,
            C.PLAN_ROSTERS,
        }
    ),
    Role.NEIGHBOURHOOD_WORKER: frozenset(
        {
            C.VIEW_PLACES,
            C.VIEW_RESIDENTS,
            C.EDIT_RESIDENTS,
            C.EXPORT_RESIDENTS,
            C.GATE_CHECK,
            C.VIEW_ALERTS,
            C.HANDLE_ALERTS,
            C.VIEW_OBSERVATION,
            C.EDIT_OBSERVATION,
            C.MANAGE_VOLUNTEERS,
        }
    ),
    Role.GATE_STAFF: frozenset({C.GATE_CHECK}),
    Role.BUILDING_MANAGER: frozenset(
        {C.VIEW_PLACES, C.VIEW_RESIDENTS, C.EDIT_RESIDENTS, C.GATE_CHECK, C.VIEW_ALERTS, C.HANDLE_ALERTS}
    ),
    Role.MEAL_CENTRE_OPERATOR: frozenset(),
    Role.COURIER: frozenset(),
    Role.ORGANISATION_COORDINATOR: frozenset({C.MANAGE_VOLUNTEERS}),
    Role.RESIDENT: frozenset({C.VIEW_OWN_RECORD}),
    # A volunteer signs in on their phone for their own shifts, check-ins and patrol scans only.
    Role.VOLUNTEER: frozenset({C.VOLUNTEER_DUTY}),
}

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """Who is asking and over which places. Built from the user by accounts; consumed by selectors.

    Exactly one place level is set for place-bound roles; a district command has the district.
    """

    role: str
    user_id: int | None = None
    district_id: uuid.UUID | None = None
    street_id: uuid.UUID | None = None
    neighbourhood_id: uuid.UUID | None = None
    compound_id: uuid.UUID | None = None
    gate_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    capabilities: frozenset[Capability] = field(default_factory=frozenset)

    @classmethod
    def for_role(cls, role: str, **places: Any) -> Scope:
        return cls(role=role, capabilities=ROLE_CAPABILITIES.get(role, frozenset()), **places)

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def place_q(
        self,
        *,
        to_gate: str | None = None,
        to_compound: str | None = None,
        to_neighbourhood: str | None = None,
        to_street: str | None = None,
    ) -> Q:
        """A filter keeping only rows inside this scope's places.

        The caller names the path from its model to the nearest place level it has, e.g.
        `to_compound="household__compound"`; an empty string means the model *is* that level.
        The scope is bound at one level (its narrowest id); a model that cannot reach that level
        matches nothing. Deny by default: an unbound scope matches nothing.
        """

        def join(path: str, rest: str) -> str:
            return f"{path}__{rest}" if path else rest

        paths: dict[str, str] = {}
        # A wider level is derived from a narrower one unless the model has its own path to it
        # (an alert has a neighbourhood even when it has no compound).
        if to_gate is not None:
            paths["gate"] = to_gate
            to_compound = join(to_gate, "compound") if to_compound is None else to_compound
        if to_compound is not None:
            paths["compound"] = to_compound
            to_neighbourhood = (
                join(to_compound, "neighbourhood") if to_neighbourhood is None else to_neighbourhood
            )
        if to_neighbourhood is not None:
            paths["neighbourhood"] = to_neighbourhood
            to_street = join(to_neighbourhood, "street") if to_street is None else to_street
        if to_street is not None:
            paths["street"] = to_street

        bound = self.binding()
        if bound is None:
            return Q(pk__in=[])
        level, place_id = bound
        if level == "district":
            if "street" not in paths:
                return Q(pk__in=[])
            return Q(**{join(paths["street"], "district_id"): place_id})
        if level not in paths:
            return Q(pk__in=[])
        return Q(**{join(paths[level], "id"): place_id})

    def binding(self) -> tuple[str, uuid.UUID] | None:
        """The one level this scope is bound at, narrowest first."""
        for level in ("gate", "compound", "neighbourhood", "street", "district"):
            place_id = getattr(self, f"{level}_id")
            if place_id is not None:
                return level, place_id
        return None

    def restrict(self, queryset: QuerySet[M], capability: Capability, **path: str) -> QuerySet[M]:
        """`queryset` cut to this scope, or empty when the role lacks `capability`."""
        if not self.can(capability):
            return queryset.none()
        return queryset.filter(self.place_q(**path))


ANONYMOUS = Scope(role="anonymous")
