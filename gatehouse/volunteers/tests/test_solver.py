"""The solver core and its rules as pure functions: hard constraints checked on every output."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehouse.volunteers import periods as P
from gatehouse.volunteers.rules import Breach, schedulable_periods, schedule_problems
from gatehouse.volunteers.solver import (
    Instance,
    Person,
    Post,
    Slot,
    Why,
    fair_targets,
    solve,
    solve_greedy,
    spread_hours,
    verify,
)


def breaches(periods, **kwargs):
    return {p.breach for p in schedule_problems(periods, **kwargs)}


def test_rules_catch_each_breach():
    assert breaches([0, 1]) == set()  # an 8-hour shift
    assert breaches([0, 1, 2]) == {Breach.TOO_LONG}
    assert breaches([0, 2]) == {Breach.SHORT_REST}  # 4 hours between shifts
    assert breaches([0, 3]) == set()  # 8 hours between shifts
    assert breaches([5, 5]) == {Breach.DOUBLE_BOOKED}
    assert breaches([0, 3, 6], max_hours=8) == {Breach.OVER_LIMIT}
    assert breaches([4], available=[0, 1]) == {Breach.UNAVAILABLE}
    # Sunday night's last period counts for Monday morning's rest.
    assert breaches([1], prior=[-1]) == {Breach.SHORT_REST}
    assert breaches([0], prior=[-2, -1]) == {Breach.TOO_LONG}


def test_schedulable_periods_respects_shift_and_rest():
    assert schedulable_periods(range(P.PERIODS), periods=P.PERIODS) == 22  # two on, two off
    assert schedulable_periods([0, 2, 4], periods=P.PERIODS) == 2
    assert schedulable_periods([], periods=P.PERIODS) == 0


def test_weekly_windows_wrap_and_overlap():
    sunday_night = P.window_minutes(6, dt.time(22), dt.time(6))
    monday_early = P.window_minutes(0, dt.time(1), dt.time(3))
    assert P.windows_overlap(sunday_night, monday_early)
    assert not P.windows_overlap(
        P.window_minutes(0, dt.time(6), dt.time(10)), P.window_minutes(0, dt.time(10), dt.time(14))
    )
    # Free 08:00–12:00 is not free for the 06:00–10:00 period; 06:00–14:00 covers two periods.
    assert P.periods_within([P.window_minutes(0, dt.time(8), dt.time(12))]) == set()
    assert P.periods_within([P.window_minutes(0, dt.time(6), dt.time(14))]) == {0, 1}
    # Sunday 22:00 to Monday 06:00 is the week's last two periods.
    assert P.periods_within([sunday_night]) == {P.PERIODS - 2, P.PERIODS - 1}


def test_gate_hours_limit_the_periods():
    day_only = [p for p in range(6) if P.gate_open_in(p, dt.time(6), dt.time(22))]
    assert day_only == [0, 1, 2, 3]
    assert all(P.gate_open_in(p, None, None) for p in range(P.PERIODS))


def test_fair_targets_fill_evenly_below_capacity():
    targets = fair_targets({"a": 10, "b": 10, "c": 2}, total=14)
    assert targets["c"] == (2, 2)
    assert targets["a"] == targets["b"] == (6, 6)


def _instance(needed_by_period, people, **extra):
    posts = (Post("g", "n1", "c1"),)
    slots = tuple(Slot(f"s{t}", "g", t, n) for t, n in needed_by_period.items())
    return Instance(posts=posts, slots=slots, people=tuple(people), **extra)


def test_uncovered_slots_say_nobody_is_available():
    people = [Person("a", "n1", 40, frozenset({0}))]
    result = solve(_instance({0: 1, 1: 1}, people), time_limit_s=5, workers=1)
    assert result.uncovered == {"s1": result.uncovered["s1"]}
    assert result.uncovered["s1"].why is Why.NOBODY_AVAILABLE


def test_uncovered_slots_say_everybody_is_at_their_limit():
    people = [Person("a", "n1", 4, frozenset(range(6))), Person("b", "n1", 4, frozenset(range(6)))]
    result = solve(_instance({0: 1, 3: 1, 5: 1}, people), time_limit_s=5, workers=1)
    assert result.uncovered_count == 1
    (reason,) = result.uncovered.values()
    assert reason.why is Why.EVERYBODY_AT_LIMIT


def test_locks_stay_even_when_another_plan_would_be_fairer():
    people = [Person(p, "n1", 40, frozenset(range(P.PERIODS))) for p in "abc"]
    instance = _instance(
        {t: 1 for t in range(0, 24, 3)}, people, locks=(("a", "s0"), ("a", "s3"), ("a", "s6"))
    )
    result = solve(instance, time_limit_s=5, workers=1)
    assert {("a", "s0"), ("a", "s3"), ("a", "s6")} <= set(result.assignments)
    assert verify(instance, result.assignments) == []
    assert result.uncovered_count == 0


def test_people_stay_near_home_when_they_can():
    posts = (Post("ga", "north", "c1"), Post("gb", "south", "c2"))
    slots = (Slot("a0", "ga", 0, 1), Slot("b0", "gb", 0, 1))
    people = (Person("n", "north", 8, frozenset({0})), Person("s", "south", 8, frozenset({0})))
    result = solve(Instance(posts=posts, slots=slots, people=people), time_limit_s=5, workers=1)
    assert set(result.assignments) == {("n", "a0"), ("s", "b0")}


def test_cp_sat_spreads_hours_more_fairly_than_greedy():
    rng = random.Random(7)
    people = [
        Person(
            f"p{i}",
            "n1",
            rng.choice([16, 24, 32]),
            frozenset(t for t in range(P.PERIODS) if rng.random() < 0.7),
        )
        for i in range(12)
    ]
    instance = _instance({t: 1 for t in range(P.PERIODS) if not P.is_night(t)}, people)
    greedy = solve_greedy(instance)
    result = solve(instance, time_limit_s=10, workers=1)
    assert verify(instance, result.assignments) == []
    assert result.uncovered_count <= greedy.uncovered_count
    assert spread_hours(result.loads_h) <= spread_hours(greedy.loads_h)


@st.composite
def instances(draw):
    n_posts = draw(st.integers(1, 3))
    posts = tuple(Post(f"g{i}", f"n{i % 2}", f"c{i}") for i in range(n_posts))
    periods = draw(st.lists(st.integers(0, 17), min_size=1, max_size=10, unique=True))
    slots = tuple(
        Slot(f"g{i}-{t}", f"g{i}", t, draw(st.integers(0, 2))) for i in range(n_posts) for t in periods
    )
    people = tuple(
        Person(
            f"p{k}",
            f"n{draw(st.integers(0, 1))}",
            draw(st.sampled_from([4, 8, 12, 16, 40])),
            frozenset(draw(st.lists(st.integers(0, 17), max_size=14))),
            prior=frozenset(draw(st.sampled_from([(), (-1,), (-2, -1)]))),
        )
        for k in range(draw(st.integers(0, 6)))
    )
    base = Instance(posts=posts, slots=slots, people=people)
    # Locks taken from a valid plan, as an officer would lock what the solver gave them.
    plan = solve_greedy(base).assignments
    locks = tuple(pair for pair in plan if draw(st.booleans()) and draw(st.booleans()))
    frozen = draw(st.sampled_from([0, 0, 3]))
    return Instance(posts=posts, slots=slots, people=people, locks=locks, frozen_before=frozen)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_no_hard_rule_is_ever_broken(instance):
    result = solve(instance, time_limit_s=3, workers=1)
    assert verify(instance, result.assignments) == []
    assert set(instance.locks) <= set(result.assignments)
    slots = {s.id: s for s in instance.slots}
    for person_id, slot_id in result.assignments:
        if (person_id, slot_id) not in instance.locks:
            assert slots[slot_id].period >= instance.frozen_before
    placed = len(result.assignments)
    missing = sum(r.missing for r in result.uncovered.values())
    assert placed + missing == sum(s.needed for s in instance.slots)
    # Never worse than the greedy plan on coverage.
    assert result.uncovered_count <= solve_greedy(instance).uncovered_count
