"""Navigation for the base template: only what the user's role may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gatehouse.accounts.models import User
from gatehouse.core.roles import Capability
from gatehouse.gate.apps import NAV_ITEMS as GATE_NAV
from gatehouse.passes.views import NAV_LABEL as MY_PASS
from gatehouse.returnees.apps import NAV_ITEMS as RETURNEES_NAV
from gatehouse.volunteers import nav as volunteer_nav

NAV: list[tuple[Capability, str, Any]] = [
    (Capability.VIEW_PLACES, "web:places", _("Places")),
    (Capability.VIEW_RESIDENTS, "web:resident_search", _("Residents")),
    (Capability.VIEW_ALERTS, "alerts:board", _("Alerts")),
    (Capability.VIEW_OBSERVATION, "observation:worklist", _("Home observation")),
    (Capability.VIEW_OBSERVATION, "devices:list", _("Wristbands")),
    (Capability.EDIT_REGIMES, "web:regimes", _("Gate regimes")),
    (Capability.EDIT_POLICIES, "web:policy", _("Policy")),
    (Capability.VIEW_AUDIT, "web:audit", _("Audit trail")),
    (Capability.VIEW_OWN_RECORD, "web:me", _("My record")),
    (Capability.VIEW_OWN_RECORD, "observation:self_report", _("Health report")),
    (Capability.MANAGE_VOLUNTEERS, "volunteers:index", volunteer_nav.VOLUNTEERS),
    (Capability.VOLUNTEER_DUTY, "volunteers:my_shifts", volunteer_nav.MY_SHIFTS),
    (Capability.VIEW_OWN_RECORD, "passes:mine", MY_PASS),
    *GATE_NAV,
    *RETURNEES_NAV,
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_items": []}
    scope = user.scope
    items = [
        {"url": reverse(name), "label": label, "active": request.path.startswith(reverse(name))}
        for cap, name, label in NAV
        if scope.can(cap)
    ]
    return {"nav_items": items, "user_scope": scope}
