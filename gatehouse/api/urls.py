"""Mounts each app's router on the one API. Leaf module: imports every app's api.py."""

from gatehouse.accounts.api import router as accounts_router
from gatehouse.alerts.api import router as alerts_router
from gatehouse.api.base import api
from gatehouse.core.api import router as audit_router
from gatehouse.devices.api import router as devices_router
from gatehouse.gate.api import router as gate_router
from gatehouse.observation.api import router as observation_router
from gatehouse.passes.api import router as passes_router
from gatehouse.people.api import router as residents_router
from gatehouse.people.api import vehicles_router
from gatehouse.places.api import router as places_router
from gatehouse.returnees.api import router as returnees_router
from gatehouse.volunteers.api import router as volunteers_router

# Django tries URL patterns in order: the busiest endpoints (a check at every gate, wristband
# batches) come first, so they are found without matching the other ~70 patterns before them.
api.add_router("/gate", gate_router)
api.add_router("/devices", devices_router)
api.add_router("/places", places_router)
api.add_router("/residents", residents_router)
api.add_router("/vehicles", vehicles_router)
api.add_router("/accounts", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/alerts", alerts_router)
api.add_router("/observation", observation_router)
api.add_router("/volunteers", volunteers_router)
api.add_router("/passes", passes_router)
api.add_router("/returnees", returnees_router)

urlpatterns = api.urls
