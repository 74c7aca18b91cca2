from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gatehouse.core.roles import Capability

# Menu items web/context.py shows to roles with the capability.
NAV_ITEMS: list[tuple[Capability, str, Any]] = [
    (Capability.GATE_CHECK, "gate:home", _("Gate check")),
    (Capability.VIEW_RESIDENTS, "gate:today", _("Today at the gates")),
]


class GateConfig(AppConfig):
    name = "gatehouse.gate"
    label = "gate"
    verbose_name = _("Gate")
