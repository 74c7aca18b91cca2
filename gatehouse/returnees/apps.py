from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gatehouse.core.roles import Capability

# Menu items web/context.py shows to roles with the capability.
NAV_ITEMS: list[tuple[Capability, str, Any]] = [
    (Capability.VIEW_RESIDENTS, "returnees:list", _("Returnees")),
    (Capability.EDIT_POLICIES, "returnees:key_areas", _("Key areas")),
    (Capability.VIEW_OWN_RECORD, "returnees:me", _("Register my return")),
]


class ReturneesConfig(AppConfig):
    name = "gatehouse.returnees"
    label = "returnees"
    verbose_name = _("Returnees")
