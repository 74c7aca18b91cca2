"""Shared set-up for the devices tests: a case under home observation with a bound wristband."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.utils import timezone

from gatehouse.devices import services
from gatehouse.devices.models import Binding, Wristband
from gatehouse.devices.pipeline import Incoming
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_open
from gatehouse.people.models import Resident
from gatehouse.testing import SETUP

HOME = (31.2304, 121.4737)


def unique_serial(prefix: str = "T") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def bound_wristband(
    test: Any, resident: Resident | None = None, *, serial: str | None = None, radius_m: int = 50
) -> tuple[Wristband, Binding, ObservationCase]:
    """Open a home-observation case for `resident` (王芳 by default) and bind a new wristband."""
    resident = resident or test.wang_fang
    case = case_open(
        actor=SETUP, resident=resident, kind=ObservationCase.Kind.HOME_OBSERVATION, reason="武汉返沪"
    )
    scope = test.command.scope
    band = services.wristband_register(
        scope=scope,
        actor=SETUP,
        neighbourhood=resident.compound.neighbourhood,
        serial=serial or unique_serial(),
        model="HB-2",
    )
    binding = services.wristband_bind(
        scope=scope,
        actor=SETUP,
        wristband=band,
        case=case,
        home_lat=HOME[0],
        home_lon=HOME[1],
        radius_m=radius_m,
    )
    band.refresh_from_db()
    return band, binding, case


def payload(seq: int, *, at: dt.datetime | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seq": seq,
        "ts": (at or timezone.now()).isoformat(),
        "lat": HOME[0],
        "lon": HOME[1],
        "accuracy_m": 12,
        "temp_c": 36.6,
        "heart_rate": 72,
        "worn": True,
        "battery_pct": 81,
    }
    body.update(fields)
    return body


def message(serial: str, body: dict[str, Any] | bytes, *, now: dt.datetime | None = None) -> Incoming:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Incoming(serial=serial, payload=raw, received_at=now or timezone.now())


def north_of_home(metres: float) -> float:
    return HOME[0] + metres / 111_195.0
