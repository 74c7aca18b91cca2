"""Classifying a returnee (必询问、必登记、必测温): pure functions over the registration and the
district's key areas. No database, no clock: `today` and the lengths come from the caller.

Home observation (居家隔离观察) when, in the 14 days before arrival, the person stayed in a key area
(the origin counts as a stay until departure), had contact with a confirmed or suspected case, or
has symptoms or a fever now; health monitoring otherwise (a transit through a key area is noted as
the reason). Either runs from the arrival day for the district's number of days; a period already
over by today needs nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

LOOKBACK_DAYS = 14


class Classification(enum.StrEnum):
    HOME_OBSERVATION = "home_observation"
    HEALTH_MONITORING = "health_monitoring"
    PERIOD_OVER = "period_over"


@dataclass(frozen=True)
class KeyAreaFacts:
    province: str
    city: str  # empty: the whole province
    starts_on: dt.date
    ends_on: dt.date | None  # None: still a key area


@dataclass(frozen=True)
class Visit:
    province: str
    city: str
    kind: str  # "stay" or "transit"
    from_date: dt.date
    to_date: dt.date


@dataclass(frozen=True)
class ReturneeFacts:
    origin_province: str
    origin_city: str
    departed_on: dt.date
    arrived_on: dt.date
    visits: tuple[Visit, ...] = ()
    contact_confirmed: bool = False
    contact_suspected: bool = False
    symptoms: tuple[str, ...] = ()
    temperature: Decimal | None = None


@dataclass(frozen=True)
class Result:
    classification: Classification
    starts_on: dt.date
    ends_on: dt.date
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _norm(name: str) -> str:
    # "湖北省" and "湖北", "武汉市" and "武汉" name the same place.
    name = (name or "").strip()
    for suffix in ("特别行政区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _matches(area: KeyAreaFacts, province: str, city: str) -> bool:
    if _norm(area.province) != _norm(province):
        return False
    return not area.city or _norm(area.city) == _norm(city)


def _overlaps(area: KeyAreaFacts, start: dt.date, end: dt.date) -> bool:
    area_end = area.ends_on or dt.date.max
    return area.starts_on <= end and start <= area_end


def touched_key_areas(
    facts: ReturneeFacts, areas: Iterable[KeyAreaFacts]
) -> tuple[list[KeyAreaFacts], list[KeyAreaFacts]]:
    """The key areas stayed in and those only passed through, within the 14 days before arrival."""
    window_start = facts.arrived_on - dt.timedelta(days=LOOKBACK_DAYS)
    stays = [
        Visit(facts.origin_province, facts.origin_city, "stay", window_start, facts.departed_on),
        *facts.visits,
    ]
    stayed: list[KeyAreaFacts] = []
    passed: list[KeyAreaFacts] = []
    for area in areas:
        for visit in stays:
            start, end = max(visit.from_date, window_start), min(visit.to_date, facts.arrived_on)
            if (
                start > end
                or not _matches(area, visit.province, visit.city)
                or not _overlaps(area, start, end)
            ):
                continue
            (stayed if visit.kind == "stay" else passed).append(area)
    return stayed, passed


def classify(
    facts: ReturneeFacts,
    *,
    key_areas: Iterable[KeyAreaFacts],
    observation_days: int,
    monitoring_days: int,
    fever_line: Decimal,
    today: dt.date,
) -> Result:
    stayed, passed = touched_key_areas(facts, list(key_areas))
    reasons: list[str] = []
    if stayed:
        reasons.append("key_area_stay")
    if facts.contact_confirmed:
        reasons.append("contact_confirmed")
    if facts.contact_suspected:
        reasons.append("contact_suspected")
    if [s for s in facts.symptoms if s != "none"]:
        reasons.append("symptoms")
    if facts.temperature is not None and facts.temperature >= fever_line:
        reasons.append("fever")
    if reasons:
        kind, days = Classification.HOME_OBSERVATION, observation_days
    else:
        kind, days = Classification.HEALTH_MONITORING, monitoring_days
        reasons.append("key_area_transit" if passed else "arrival_from_outside")
    ends_on = facts.arrived_on + dt.timedelta(days=days)
    if ends_on <= today:
        return Result(Classification.PERIOD_OVER, facts.arrived_on, ends_on, (*reasons, "period_over"))
    return Result(kind, facts.arrived_on, ends_on, tuple(reasons))
