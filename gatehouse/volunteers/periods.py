"""The roster week as a grid of 4-hour periods. Pure: no database, no clock.

A roster week runs from Monday 06:00 to the next Monday 06:00 (local time), so a night (22:00–06:00)
belongs to the day it starts on. The regime's two blocks split into 4-hour periods: four by day
(06–10, 10–14, 14–18, 18–22) and two by night (22–02, 02–06): short enough for volunteers, coarse
enough that a street's week solves in seconds.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PERIOD_HOURS = 4
PERIODS_PER_DAY = 24 // PERIOD_HOURS
DAYS = 7
PERIODS = DAYS * PERIODS_PER_DAY
WEEK_START_HOUR = 6
DAY_STARTS, DAY_ENDS = 6, 22  # the regime's day block; the rest is night
REST_HOURS = 8
MAX_SHIFT_HOURS = 8
REST_PERIODS = -(-REST_HOURS // PERIOD_HOURS)
MAX_CONSECUTIVE = MAX_SHIFT_HOURS // PERIOD_HOURS
TZ = ZoneInfo("Asia/Shanghai")


FIRST_YEAR, LAST_YEAR = 2000, 2100  # rosters outside these years are typing mistakes


def week_in_range(week: dt.date) -> bool:
    return FIRST_YEAR <= week.year <= LAST_YEAR


def week_monday(day: dt.date) -> dt.date:
    """The Monday of the roster week that `day` (a calendar date) starts in."""
    return day - dt.timedelta(days=day.weekday())


def week_of(moment: dt.datetime) -> dt.date:
    """The roster week (its Monday) in force at `moment`: before 06:00 Monday it is last week's."""
    local = moment.astimezone(TZ) - dt.timedelta(hours=WEEK_START_HOUR)
    return week_monday(local.date())


def week_start_at(week: dt.date) -> dt.datetime:
    return dt.datetime.combine(week, dt.time(WEEK_START_HOUR), tzinfo=TZ)


def period_start(week: dt.date, period: int) -> dt.datetime:
    # Wall-clock arithmetic in a zone without daylight saving: adding hours is exact.
    return week_start_at(week) + dt.timedelta(hours=PERIOD_HOURS * period)


def period_end(week: dt.date, period: int) -> dt.datetime:
    return period_start(week, period + 1)


def period_at(week: dt.date, moment: dt.datetime) -> int | None:
    """The period of `week` containing `moment`, or None outside the week."""
    offset = moment - week_start_at(week)
    index = int(offset.total_seconds() // (PERIOD_HOURS * 3600))
    return index if 0 <= index < PERIODS and offset.total_seconds() >= 0 else None


def start_hour(period: int) -> int:
    return (WEEK_START_HOUR + PERIOD_HOURS * period) % 24


def is_night(period: int) -> bool:
    hour = start_hour(period)
    return not (DAY_STARTS <= hour < DAY_ENDS)


def day_index(period: int) -> int:
    """0 = Monday: the day whose 06:00 the period follows."""
    return period // PERIODS_PER_DAY


def minutes_of_week(period: int) -> tuple[int, int]:
    """[start, end) of the period in minutes from Monday 00:00 (may run past the week's end)."""
    start = WEEK_START_HOUR * 60 + period * PERIOD_HOURS * 60
    return start, start + PERIOD_HOURS * 60


WEEK_MINUTES = 7 * 24 * 60


def window_minutes(weekday: int, starts: dt.time, ends: dt.time) -> tuple[int, int]:
    """A weekly window as [start, end) minutes from Monday 00:00; an end at or before the start is
    the next day."""
    start = weekday * 1440 + starts.hour * 60 + starts.minute
    end = weekday * 1440 + ends.hour * 60 + ends.minute
    if end <= start:
        end += 1440
    return start, end


def windows_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two weekly windows overlap, counting the wrap from Sunday night into Monday."""
    return any(a[0] < b[1] + shift and b[0] + shift < a[1] for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES))


def periods_within(windows: list[tuple[int, int]]) -> set[int]:
    """Periods lying wholly inside the union of weekly windows (a volunteer free 08:00–12:00 is not
    free for 06:00–10:00)."""
    covered: list[tuple[int, int]] = []
    for start, end in windows:
        for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES):
            covered.append((start + shift, end + shift))
    covered.sort()
    merged: list[list[int]] = []
    for start, end in covered:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    result = set()
    for period in range(PERIODS):
        p_start, p_end = minutes_of_week(period)
        if any(s <= p_start and p_end <= e for s, e in merged):
            result.add(period)
    return result


def gate_open_in(period: int, opens: dt.time | None, closes: dt.time | None) -> bool:
    """Whether a gate with these hours (None: all day) is open for any part of the period."""
    if opens is None or closes is None:
        return True
    p_start, p_end = minutes_of_week(period)
    day = (p_start // 1440) * 1440
    for base in (day - 1440, day):
        o_start, o_end = window_minutes(0, opens, closes)
        if p_start < base + o_end and base + o_start < p_end:
            return True
    return False
