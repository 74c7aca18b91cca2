"""Demo data: a few people under home observation in worker-a's neighbourhood, each wearing a
bound wristband near their compound, plus spares in stock, so the simulator's alerts appear live
on worker-a's alert board."""

from __future__ import annotations

import random

from django.core.exceptions import ValidationError

from gatehouse.accounts.models import User
from gatehouse.core.audit import Actor
from gatehouse.core.roles import Role, Scope
from gatehouse.devices import services
from gatehouse.devices.models import Binding, Wristband
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_open
from gatehouse.people.models import Resident
from gatehouse.places.models import District, Neighbourhood, Street

SEED = Actor(user_id=None, label="demo seed", role="system")
CASES = 6
SPARES = 4
# Around People's Square; each compound gets its own spot within about two kilometres.
CENTRE = (31.2304, 121.4737)


def _neighbourhood() -> Neighbourhood | None:
    worker = User.objects.filter(username="worker-a").select_related("neighbourhood").first()
    if worker is not None and worker.neighbourhood is not None:
        return worker.neighbourhood
    street = Street.objects.order_by("code").first()
    return Neighbourhood.objects.filter(street=street).order_by("name").first() if street else None


def seed_wristbands(*, scale_name: str, rng: random.Random) -> None:
    neighbourhood = _neighbourhood()
    district = District.objects.filter(code="310101").first()
    if neighbourhood is None or district is None or Wristband.objects.exists():
        return
    scope = Scope.for_role(Role.DISTRICT_COMMAND, district_id=district.id)
    cases = list(
        ObservationCase.objects.filter(
            compound__neighbourhood=neighbourhood,
            status=ObservationCase.Status.ACTIVE,
            kind=ObservationCase.Kind.HOME_OBSERVATION,
        ).order_by("starts_on")[:CASES]
    )
    taken = {case.resident_id for case in cases}
    candidates = Resident.objects.filter(compound__neighbourhood=neighbourhood, status=Resident.Status.ACTIVE)
    for resident in candidates.exclude(id__in=taken).order_by("household__room", "name")[:50]:
        if len(cases) >= CASES:
            break
        try:
            cases.append(
                case_open(
                    actor=SEED,
                    resident=resident,
                    kind=ObservationCase.Kind.HOME_OBSERVATION,
                    reason="自湖北返沪，居家隔离医学观察",
                )
            )
        except ValidationError:
            continue
    spots: dict[object, tuple[float, float]] = {}
    for n, case in enumerate(cases, start=1):
        lat, lon = spots.setdefault(
            case.compound_id,
            (CENTRE[0] + rng.uniform(-0.015, 0.015), CENTRE[1] + rng.uniform(-0.015, 0.015)),
        )
        band = services.wristband_register(
            scope=scope,
            actor=SEED,
            neighbourhood=neighbourhood,
            serial=f"HB{district.code}{n:04d}",
            model="HB-2",
        )
        if not Binding.objects.filter(case=case, status=Binding.Status.ACTIVE).exists():
            services.wristband_bind(
                scope=scope,
                actor=SEED,
                wristband=band,
                case=case,
                home_lat=round(lat + rng.uniform(-0.0002, 0.0002), 6),
                home_lon=round(lon + rng.uniform(-0.0002, 0.0002), 6),
                radius_m=60,
            )
    for n in range(len(cases) + 1, len(cases) + 1 + SPARES):
        services.wristband_register(
            scope=scope,
            actor=SEED,
            neighbourhood=neighbourhood,
            serial=f"HB{district.code}{n:04d}",
            model="HB-2",
        )
