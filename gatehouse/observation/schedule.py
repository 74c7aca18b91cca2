"""When follow-ups are due: pure functions of local time, no I/O.

Home observation is followed up twice a day by the neighbourhood: a morning follow-up due by 12:00
and an afternoon one due by 18:00. A day splits into two windows, [00:00, 12:00) and [12:00, 24:00);
a follow-up counts for the window it falls in, and the next one is due by the next window's
deadline (a late afternoon call at 19:00 still counts for the afternoon; the next is due at 12:00
tomorrow). Health monitoring gets one self-report a day, due by 20:00.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

MORNING_DUE = dt.time(12, 0)
AFTERNOON_DUE = dt.time(18, 0)
SELF_REPORT_DUE = dt.time(20, 0)
# A case opened at 11:30 is not due at 12:00: the first follow-up gets at least this long.
FIRST_LEAD = dt.timedelta(hours=2)

HOME_OBSERVATION = "home_observation"
HEALTH_MONITORING = "health_monitoring"


def _at(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz)


def _local(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("schedule times must be time-zone aware")
    return moment.astimezone(tz)


def next_due(kind: str, after: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """When the next follow-up is due, given one recorded at `after`."""
    local = _local(after, tz)
    day = local.date()
    if kind == HEALTH_MONITORING:
        return _at(day + dt.timedelta(days=1), SELF_REPORT_DUE, tz)
    if local.time() < MORNING_DUE:
        return _at(day, AFTERNOON_DUE, tz)
    return _at(day + dt.timedelta(days=1), MORNING_DUE, tz)


def first_due(kind: str, opened: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The first deadline of a case opened at `opened`: the earliest at least FIRST_LEAD away."""
    local = _local(opened, tz)
    day = local.date()
    if kind == HEALTH_MONITORING:
        candidates = [_at(day, SELF_REPORT_DUE, tz), _at(day + dt.timedelta(days=1), SELF_REPORT_DUE, tz)]
    else:
        candidates = [
            _at(day, MORNING_DUE, tz),
            _at(day, AFTERNOON_DUE, tz),
            _at(day + dt.timedelta(days=1), MORNING_DUE, tz),
        ]
    return next(c for c in candidates if c >= local + FIRST_LEAD)


def zone(name: str) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(name)
