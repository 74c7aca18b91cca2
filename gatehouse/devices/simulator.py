"""A realistic wristband stream: people mostly at home, quiet at night, and now and then an exit,
a fever, a wristband taken off, a battery run flat or a stretch of silence. Pure: no I/O.

The probabilities are per person per day, chosen from what home observation looked like: most
people stay in; a few step out (rubbish, a parcel); a shower takes the band off; some forget to
charge. `eventful` multiplies them for a demo where something happens every few minutes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gatehouse.devices import rules
from gatehouse.devices.protocol import Reading

METRE_LAT = 1 / 111_195.0
DAY_S = 86_400.0

# Expected episodes per person per day.
EXITS_PER_DAY = 0.04
FEVERS_PER_DAY = 0.01
REMOVALS_PER_DAY = 0.08
SILENCES_PER_DAY = 0.02
FORGETS_TO_CHARGE = 0.05  # of charging occasions, the battery is left to run down


@dataclass
class SimBand:
    serial: str
    home_lat: float
    home_lon: float
    seq: int = 0
    battery: float = 100.0
    state: str = "home"
    state_until: float = 0.0
    offset: tuple[float, float] = (0.0, 0.0)
    fever_c: float = 0.0
    next_at: float = 0.0
    charging_until: float = 0.0
    forgot_charge: bool = False

    def metres_to_lat_lon(self, north: float, east: float) -> tuple[float, float]:
        lon_scale = METRE_LAT / max(0.1, math.cos(math.radians(self.home_lat)))
        return self.home_lat + north * METRE_LAT, self.home_lon + east * lon_scale


@dataclass
class Simulator:
    bands: list[SimBand]
    interval_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    eventful: float = 1.0
    # The demo's promise: the first wristband leaves home this many seconds in, whatever the dice say.
    first_exit_after: float | None = None
    tz: dt.tzinfo = field(default_factory=lambda: zoneinfo.ZoneInfo("Asia/Shanghai"))

    def __post_init__(self) -> None:
        for band in self.bands:
            band.next_at = self.rng.uniform(0, self.interval_s)
            band.battery = self.rng.uniform(30, 100)

    def _chance(self, per_day: float, dt_s: float) -> bool:
        return self.rng.random() < per_day * self.eventful * dt_s / DAY_S

    def _night(self, when: dt.datetime) -> bool:
        hour = when.astimezone(self.tz).hour
        return hour >= 22 or hour < 7

    def due(self, clock: float, start: dt.datetime) -> list[tuple[SimBand, dict[str, Any]]]:
        """Readings due at `clock` seconds after `start`."""
        out = []
        for band in self.bands:
            if band.next_at > clock:
                continue
            when = start + dt.timedelta(seconds=clock)
            night = self._night(when)
            # Quiet at night: a still wristband reports half as often (still well inside 10 min).
            step = self.interval_s * (2 if night else 1) * self.rng.uniform(0.9, 1.1)
            band.next_at = clock + step
            payload = self._reading(band, clock, step, when, night)
            if payload is not None:
                out.append((band, payload))
        return out

    def _reading(
        self, band: SimBand, clock: float, step: float, when: dt.datetime, night: bool
    ) -> dict[str, Any] | None:
        rng = self.rng
        if band.state != "home" and clock >= band.state_until:
            band.state, band.fever_c = "home", 0.0
        scripted = (
            self.first_exit_after is not None and band is self.bands[0] and clock >= self.first_exit_after
        )
        if scripted:
            self.first_exit_after = None
        if band.state == "home":
            if scripted or (not night and self._chance(EXITS_PER_DAY, step)):
                band.state, band.state_until = "out", clock + rng.uniform(600, 2400)
                distance, bearing = rng.uniform(150, 1500), rng.uniform(0, 2 * math.pi)
                band.offset = (distance * math.cos(bearing), distance * math.sin(bearing))
            elif self._chance(REMOVALS_PER_DAY, step):
                band.state, band.state_until = "removed", clock + rng.uniform(300, 1800)
            elif self._chance(SILENCES_PER_DAY, step):
                band.state, band.state_until = "silent", clock + rng.uniform(900, 3600)
            elif self._chance(FEVERS_PER_DAY, step):
                band.state, band.state_until = "fever", clock + rng.uniform(3600, 6 * 3600)
                band.fever_c = rng.uniform(37.4, 38.6)
        # Battery: about three days from full; charged at night unless forgotten.
        if band.charging_until > clock:
            band.battery = min(100.0, band.battery + step / 36)
        else:
            band.battery -= step * rng.uniform(0.8, 1.2) / 2600
            if band.battery < 25 and night and not band.forgot_charge:
                if rng.random() < FORGETS_TO_CHARGE * self.eventful:
                    band.forgot_charge = True
                else:
                    band.charging_until = clock + 3 * 3600
            if band.forgot_charge and band.battery < 5 and rng.random() < step / 7200:
                band.forgot_charge, band.charging_until = False, clock + 3 * 3600
        if band.battery <= 0:
            band.battery = 0.0
            return None  # flat: silent until charged
        if band.state == "silent":
            return None
        band.seq += 1
        worn = band.state != "removed"
        if band.state == "out":
            north, east = band.offset
            north, east = north + rng.gauss(0, 15), east + rng.gauss(0, 15)
            accuracy = rng.uniform(5, 25)
        elif rng.random() < 0.15:
            # Indoors the fix is often poor and drifts: off by up to its accuracy.
            accuracy = rng.uniform(40, 180)
            drift = rng.uniform(0, accuracy)
            bearing = rng.uniform(0, 2 * math.pi)
            north, east = drift * math.cos(bearing), drift * math.sin(bearing)
        else:
            accuracy = rng.uniform(5, 20)
            north, east = rng.gauss(0, 6), rng.gauss(0, 6)
        lat, lon = band.metres_to_lat_lon(north, east)
        temp = band.fever_c or rng.gauss(36.5, 0.2)
        if not worn:
            temp = rng.uniform(25, 31)  # skin sensor in the room's air
        return {
            "seq": band.seq,
            "ts": when.astimezone(self.tz).isoformat(timespec="seconds"),
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "accuracy_m": round(accuracy, 1),
            "temp_c": round(temp, 1) if worn else None,
            "heart_rate": int(rng.gauss(62 if night else 74, 6)) if worn else None,
            "worn": worn,
            "battery_pct": max(0, min(100, int(band.battery))),
        }


def alerts_per_case_day(
    *, devices: int = 200, days: int = 7, seed: int = 20200220, eventful: float = 1.0
) -> tuple[float, Counter[str]]:
    """Run the stream through the rules offline: rule firings (alerts raised, if each is resolved
    before the next) per person per day, and the count per kind."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
    bands = [SimBand(serial=f"SIM{i:05d}", home_lat=31.2304, home_lon=121.4737) for i in range(devices)]
    sim = Simulator(bands, rng=rng, eventful=eventful)
    fence = rules.Fence(31.2304, 121.4737, 50.0)
    windows: dict[str, list[Reading]] = {b.serial: [] for b in bands}
    last_heard: dict[str, float] = {b.serial: 0.0 for b in bands}
    silent_now: dict[str, bool] = {b.serial: False for b in bands}
    counts: Counter[str] = Counter()
    start = dt.datetime(2020, 2, 20, tzinfo=dt.UTC)
    clock, tick = 0.0, 5.0
    while clock < days * DAY_S:
        for band, payload in sim.due(clock, start):
            reading = Reading(
                seq=payload["seq"],
                recorded_at=dt.datetime.fromisoformat(payload["ts"]),
                lat=payload["lat"],
                lon=payload["lon"],
                accuracy_m=payload["accuracy_m"],
                temp_c=payload["temp_c"],
                heart_rate=payload["heart_rate"],
                worn=payload["worn"],
                battery_pct=payload["battery_pct"],
            )
            windows[band.serial], hits = rules.evaluate(
                windows[band.serial], reading, fence=fence, fever_line_c=37.3
            )
            counts.update(hit.kind for hit in hits)
            last_heard[band.serial], silent_now[band.serial] = clock, False
        if int(clock) % 60 == 0:
            for serial, heard in last_heard.items():
                if not silent_now[serial] and clock - heard >= rules.SILENCE.total_seconds():
                    silent_now[serial] = True
                    counts["wristband_silent"] += 1
        clock += tick
    return sum(counts.values()) / (devices * days), counts
