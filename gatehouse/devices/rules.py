"""The wristband rules: pure functions over one case's recent readings. No I/O, no clock.

Each rule is a condition over a time-ordered window of readings. A rule *fires* when a new reading
turns its condition from false to true, so a condition that holds for hours raises one alert, and
the alerts app's dedupe key (case and kind) folds any repeat into the open alert.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatehouse.devices.protocol import Reading

WINDOW = dt.timedelta(minutes=10)
FEVER_WINDOW = dt.timedelta(minutes=10)
EXIT_PERSISTS = dt.timedelta(seconds=60)
BATTERY_LOW_PCT = 15
# A fix this poor says nothing about where the person is; it counts as no fix at all.
USELESS_ACCURACY_M = 1000.0
SILENCE = dt.timedelta(minutes=10)
MAX_WINDOW = 64

EXIT = "geofence_exit"
FEVER = "wristband_fever"
REMOVED = "wristband_removed"
BATTERY = "wristband_battery"


@dataclass(frozen=True, slots=True)
class Fence:
    lat: float
    lon: float
    radius_m: float
    # Metres per degree of longitude at home: a flat projection is exact to centimetres at the
    # scale of a geofence, and much cheaper than the haversine on every reading.
    lon_m: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "lon_m", METRES_PER_DEGREE * math.cos(math.radians(self.lat)))


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    reading: Reading
    evidence: dict[str, Any]


EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); exact enough for metres around a home."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def is_fix(reading: Reading) -> bool:
    return (
        reading.lat is not None
        and reading.lon is not None
        and (reading.accuracy_m is None or reading.accuracy_m < USELESS_ACCURACY_M)
    )


def is_outside(reading: Reading, fence: Fence) -> bool:
    """Beyond the radius even if the fix is off by its whole stated accuracy towards home.

    That is what makes indoor drift (a poor fix near home) not an exit.
    """
    assert reading.lat is not None
    assert reading.lon is not None
    margin = fence.radius_m + (reading.accuracy_m or 0.0)
    north = (reading.lat - fence.lat) * METRES_PER_DEGREE
    east = (reading.lon - fence.lon) * fence.lon_m
    return north * north + east * east > margin * margin


def outside_streak(window: Sequence[Reading], fence: Fence) -> list[Reading]:
    """The trailing fixes that are all outside, oldest first (readings without a fix are skipped)."""
    streak: list[Reading] = []
    for reading in reversed(window):
        if not is_fix(reading):
            continue
        if not is_outside(reading, fence):
            break
        streak.append(reading)
    streak.reverse()
    return streak


def exited(window: Sequence[Reading], fence: Fence) -> bool:
    """Out on two consecutive fixes, or out on the last fix for 60 s with no fix back inside since."""
    if not window:
        return False
    streak = outside_streak(window, fence)
    if len(streak) >= 2:
        return True
    return len(streak) == 1 and window[-1].recorded_at - streak[0].recorded_at >= EXIT_PERSISTS


def fevered(window: Sequence[Reading], fever_line_c: float) -> bool:
    """At or above the fever line on two worn readings within 10 minutes of the latest one."""
    if not window:
        return False
    since = window[-1].recorded_at - FEVER_WINDOW
    count = 0
    for reading in reversed(window):
        if reading.recorded_at < since:
            break
        if _is_fever(reading, fever_line_c):
            count += 1
            if count >= 2:
                return True
    return False


def removed(window: Sequence[Reading]) -> bool:
    return bool(window) and not window[-1].worn


def battery_low(window: Sequence[Reading]) -> bool:
    if not window:
        return False
    pct = window[-1].battery_pct
    return pct is not None and pct < BATTERY_LOW_PCT


def insert_ordered(window: Sequence[Reading], reading: Reading) -> list[Reading]:
    """`window` plus `reading`, in time order, cut to the readings the rules look at."""
    merged = [*window, reading]
    if len(merged) > 1 and merged[-2].recorded_at > reading.recorded_at:
        merged.sort(key=lambda r: (r.recorded_at, r.seq))
    since = merged[-1].recorded_at - WINDOW
    start = 0
    while start < len(merged) - 2 and merged[start].recorded_at < since:
        start += 1
    return merged[start:][-MAX_WINDOW:]


def _is_fever(reading: Reading, fever_line_c: float) -> bool:
    return reading.worn and reading.temp_c is not None and reading.temp_c >= fever_line_c


def evaluate(
    window: Sequence[Reading], reading: Reading, *, fence: Fence, fever_line_c: float
) -> tuple[list[Reading], list[Hit]]:
    """Add `reading` to `window`; return the new window and the rules it fires.

    Each condition is checked on the new window first and on the old one only when it holds:
    most readings (at home, well, worn, charged) cost a few comparisons.
    """
    after = insert_ordered(window, reading)
    hits: list[Hit] = []
    if exited(after, fence) and not exited(window, fence):
        streak = outside_streak(after, fence)
        fix = streak[-1]
        assert fix.lat is not None
        assert fix.lon is not None
        distance = distance_m(fence.lat, fence.lon, fix.lat, fix.lon)
        hits.append(
            Hit(
                EXIT,
                reading,
                {
                    "distance_m": round(distance),
                    "radius_m": fence.radius_m,
                    "accuracy_m": fix.accuracy_m,
                    "lat": fix.lat,
                    "lon": fix.lon,
                    "fixes_outside": len(streak),
                },
            )
        )
    # Only a fever reading can make the fever condition newly true.
    if (
        _is_fever(reading, fever_line_c)
        and fevered(after, fever_line_c)
        and not fevered(window, fever_line_c)
    ):
        temps = [r.temp_c for r in after if _is_fever(r, fever_line_c)]
        hits.append(
            Hit(
                FEVER,
                reading,
                {"temp_c": reading.temp_c, "fever_line_c": fever_line_c, "readings_c": temps[-5:]},
            )
        )
    if removed(after) and not removed(window):
        hits.append(Hit(REMOVED, reading, {"worn": False}))
    if battery_low(after) and not battery_low(window):
        hits.append(Hit(BATTERY, reading, {"battery_pct": reading.battery_pct}))
    return after, hits


def silent(last_heard: dt.datetime | None, bound_at: dt.datetime, now: dt.datetime) -> bool:
    """No message for SILENCE (counted from binding when the wristband never spoke)."""
    return now - (last_heard or bound_at) >= SILENCE
