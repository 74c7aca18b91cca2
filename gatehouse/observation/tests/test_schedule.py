"""When follow-ups fall due: plain functions of local time."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from gatehouse.observation.schedule import FIRST_LEAD, first_due, next_due

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
HOME, MONITOR = "home_observation", "health_monitoring"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2020, 2, day, hour, minute, tzinfo=SH)


def test_a_morning_follow_up_makes_the_afternoon_due():
    assert next_due(HOME, at(20, 9, 15), SH) == at(20, 18)


def test_an_afternoon_or_late_follow_up_makes_tomorrow_morning_due():
    assert next_due(HOME, at(20, 12, 0), SH) == at(21, 12)
    assert next_due(HOME, at(20, 19, 30), SH) == at(21, 12)


def test_health_monitoring_is_due_daily_by_eight_in_the_evening():
    assert next_due(MONITOR, at(20, 8), SH) == at(21, 20)
    assert first_due(MONITOR, at(20, 8), SH) == at(20, 20)
    assert first_due(MONITOR, at(20, 19), SH) == at(21, 20)


def test_a_new_case_gets_at_least_two_hours():
    assert first_due(HOME, at(20, 8), SH) == at(20, 12)
    assert first_due(HOME, at(20, 10, 30), SH) == at(20, 18)
    assert first_due(HOME, at(20, 17), SH) == at(21, 12)


def test_utc_input_is_read_in_local_time():
    assert next_due(HOME, dt.datetime(2020, 2, 20, 1, 0, tzinfo=dt.UTC), SH) == at(20, 18)


moments = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(SH)
)


@given(moments, st.sampled_from([HOME, MONITOR]))
def test_deadlines_are_ahead_and_never_more_than_two_days_away(moment, kind):
    assert moment < next_due(kind, moment, SH) <= moment + dt.timedelta(days=2)
    first = first_due(kind, moment, SH)
    assert moment + FIRST_LEAD <= first <= moment + dt.timedelta(days=2)


@given(moments)
def test_two_home_follow_ups_a_day_keep_a_case_on_time(moment):
    day = moment.date()
    morning = dt.datetime.combine(day, dt.time(9), tzinfo=SH)
    afternoon = dt.datetime.combine(day, dt.time(15), tzinfo=SH)
    assert next_due(HOME, morning, SH) > afternoon
    assert next_due(HOME, afternoon, SH) > dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(9), tzinfo=SH
    )
