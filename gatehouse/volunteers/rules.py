"""The hard rules of a volunteer's week, as plain checks over period numbers. Pure: the solver's
output, a hand-made assignment and a volunteer taking an open shift are all held to these."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from gatehouse.volunteers.periods import MAX_CONSECUTIVE, PERIOD_HOURS, REST_PERIODS


class Breach(enum.Enum):
    DOUBLE_BOOKED = "double_booked"  # two places in one period
    TOO_LONG = "too_long"  # a shift longer than MAX_SHIFT_HOURS
    SHORT_REST = "short_rest"  # less than REST_HOURS between shifts
    OVER_LIMIT = "over_limit"  # more hours than the person gives a week
    UNAVAILABLE = "unavailable"  # outside the person's availability


@dataclass(frozen=True)
class Problem:
    breach: Breach
    period: int


def schedule_problems(
    periods: Iterable[int],
    *,
    max_hours: int | None = None,
    available: Iterable[int] | None = None,
    prior: Iterable[int] = (),
) -> list[Problem]:
    """Every rule a person's week breaks. `periods` may repeat (a double booking); `prior` are the
    periods (negative numbers) worked at the end of the week before, which count for rest only."""
    listed = list(periods)
    problems: list[Problem] = []
    seen: set[int] = set()
    for period in sorted(listed):
        if period in seen:
            problems.append(Problem(Breach.DOUBLE_BOOKED, period))
        seen.add(period)
    if available is not None:
        free = set(available)
        problems += [Problem(Breach.UNAVAILABLE, p) for p in sorted(seen) if p not in free]
    worked = seen | {p for p in prior if p < 0}
    run = 0
    for period in range(min(worked, default=0), max(worked, default=-1) + 1):
        if period in worked:
            run += 1
            if run > MAX_CONSECUTIVE and period >= 0:
                problems.append(Problem(Breach.TOO_LONG, period))
        else:
            if run and period >= -1:
                # A shift ended just before `period`: the next REST_PERIODS - 1 periods must stay free.
                for gap in range(1, REST_PERIODS):
                    if period + gap in worked and period + gap >= 0:
                        problems.append(Problem(Breach.SHORT_REST, period + gap))
                        break
            run = 0
    if max_hours is not None and len(seen) * PERIOD_HOURS > max_hours:
        problems.append(Problem(Breach.OVER_LIMIT, max(seen)))
    return problems


def schedulable_periods(available: Iterable[int], *, periods: int) -> int:
    """The most periods a person free in `available` can work under the shift and rest rules."""
    free = set(available)
    # state: ("run", length) while on shift, ("rest", periods since the shift ended), ("ready", 0)
    best: dict[tuple[str, int], int] = {("ready", 0): 0}
    for period in range(periods):
        nxt: dict[tuple[str, int], int] = {}

        def keep(state: tuple[str, int], value: int, nxt: dict[tuple[str, int], int] = nxt) -> None:
            if nxt.get(state, -1) < value:
                nxt[state] = value

        for (kind, n), value in best.items():
            if kind == "run":
                if n < MAX_CONSECUTIVE and period in free:
                    keep(("run", n + 1), value + 1)
                keep(("rest", 1) if REST_PERIODS > 1 else ("ready", 0), value)
            elif kind == "rest":
                keep(("rest", n + 1) if n + 1 < REST_PERIODS else ("ready", 0), value)
            else:
                keep(("ready", 0), value)
                if period in free:
                    keep(("run", 1), value + 1)
        best = nxt
    return max(best.values())
