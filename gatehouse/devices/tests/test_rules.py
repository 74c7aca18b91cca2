"""The rules as pure functions, with hypothesis over wide streams of readings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.devices import rules
from gatehouse.devices.protocol import Reading

T0 = dt.datetime(2020, 2, 20, 0, 0, tzinfo=dt.UTC)
FENCE = rules.Fence(31.2304, 121.4737, 50.0)
METRE_LAT = 1 / 111_195.0


def reading(i: int, *, north_m: float = 0.0, accuracy: float | None = 10.0, **fields) -> Reading:
    base: dict[str, Any] = {
        "seq": i,
        "recorded_at": T0 + dt.timedelta(seconds=30 * i),
        "lat": FENCE.lat + north_m * METRE_LAT,
        "lon": FENCE.lon,
        "accuracy_m": accuracy,
        "temp_c": 36.5,
        "heart_rate": 70,
        "worn": True,
        "battery_pct": 80,
    }
    base.update(fields)
    return Reading(**base)


def run(stream: list[Reading], fever_line: float = 37.3) -> list[rules.Hit]:
    window: list[Reading] = []
    hits: list[rules.Hit] = []
    for r in stream:
        window, new = rules.evaluate(window, r, fence=FENCE, fever_line_c=fever_line)
        hits.extend(new)
    return hits


def kinds(hits: list[rules.Hit]) -> list[str]:
    return [h.kind for h in hits]


# A fix somewhere near home whose error circle reaches back inside the fence: indoor drift.
drift = st.tuples(st.floats(0, 600), st.floats(0, 600)).map(lambda p: (p[0], p[1] + p[0]))


@given(st.lists(drift, min_size=1, max_size=60))
def test_drift_whose_error_reaches_home_is_never_an_exit(fixes):
    # distance <= radius + accuracy for every fix
    stream = [
        reading(i, north_m=min(d, FENCE.radius_m + a) * 0.999, accuracy=a) for i, (a, d) in enumerate(fixes)
    ]
    assert rules.EXIT not in kinds(run(stream))


@given(st.integers(2, 40), st.floats(200, 5000))
def test_staying_out_raises_exactly_one_exit(count, distance):
    stream = [reading(0)] + [reading(i, north_m=distance) for i in range(1, count + 1)]
    assert kinds(run(stream)).count(rules.EXIT) == 1


@given(st.lists(st.booleans(), min_size=1, max_size=80))
def test_one_fix_outside_between_fixes_at_home_is_not_an_exit(outside):
    stream = []
    for i, out in enumerate(outside):
        stream.append(reading(2 * i, north_m=400 if out else 0))
        stream.append(reading(2 * i + 1))
    assert rules.EXIT not in kinds(run(stream))


def test_one_fix_outside_and_no_fix_for_a_minute_is_an_exit():
    stream = [
        reading(0),
        reading(1, north_m=500),
        reading(2, lat=None, lon=None, accuracy=None),
        reading(3, lat=None, lon=None, accuracy=None),
    ]
    hits = run(stream)
    assert kinds(hits) == [rules.EXIT]
    assert hits[0].evidence["distance_m"] >= 499


@given(st.lists(st.floats(35.0, 41.0), min_size=1, max_size=60), st.sampled_from([37.0, 37.3, 38.0]))
def test_fever_fires_once_per_episode_and_only_on_two_readings_within_ten_minutes(temps, line):
    stream = [reading(i, temp_c=t) for i, t in enumerate(temps)]
    hits = run(stream, line)
    fevers = [h for h in hits if h.kind == rules.FEVER]
    # Readings are 30 s apart, so two in ten minutes is any two fever readings 20 or fewer apart.
    for hit in fevers:
        i = hit.reading.seq
        assert temps[i] >= line
        assert any(temps[j] >= line for j in range(max(0, i - 20), i))
    if not any(
        temps[i] >= line and temps[j] >= line for i in range(len(temps)) for j in range(max(0, i - 20), i)
    ):
        assert fevers == []
    else:
        assert fevers


def test_one_hot_reading_is_not_a_fever_nor_a_reading_off_the_wrist():
    assert run([reading(0, temp_c=38.5), reading(1)]) == []
    assert kinds(run([reading(0, temp_c=38.5, worn=False), reading(1, temp_c=38.5, worn=False)])) == [
        rules.REMOVED
    ]


@given(st.lists(st.booleans(), min_size=1, max_size=60))
def test_removal_fires_on_each_taking_off(worn):
    hits = run([reading(i, worn=w) for i, w in enumerate(worn)])
    takeoffs = sum(1 for i, w in enumerate(worn) if not w and (i == 0 or worn[i - 1]))
    assert kinds(hits).count(rules.REMOVED) == takeoffs


@given(st.lists(st.integers(0, 100), min_size=1, max_size=60))
@settings(max_examples=200)
def test_battery_fires_when_it_drops_below_fifteen(levels):
    hits = run([reading(i, battery_pct=p) for i, p in enumerate(levels)])
    drops = sum(1 for i, p in enumerate(levels) if p < 15 and (i == 0 or levels[i - 1] >= 15))
    assert kinds(hits).count(rules.BATTERY) == drops


@given(st.permutations(list(range(12))))
def test_the_window_stays_in_time_order_whatever_the_arrival_order(order):
    window: list[Reading] = []
    for i in order:
        window, _ = rules.evaluate(window, reading(i), fence=FENCE, fever_line_c=37.3)
    times = [r.recorded_at for r in window]
    assert times == sorted(times)


def test_silence_is_ten_minutes_from_the_last_message_or_the_binding():
    assert not rules.silent(T0, T0, T0 + dt.timedelta(minutes=9, seconds=59))
    assert rules.silent(T0, T0, T0 + dt.timedelta(minutes=10))
    assert rules.silent(None, T0, T0 + dt.timedelta(minutes=10))


@given(st.floats(-89, 89), st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179))
def test_distance_is_symmetric_and_never_negative(a, b, c, d):
    assert rules.distance_m(a, b, c, d) >= 0
    assert abs(rules.distance_m(a, b, c, d) - rules.distance_m(c, d, a, b)) < 1e-6
