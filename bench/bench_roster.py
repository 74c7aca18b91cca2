"""Roster benchmark: a street-size week (300 gates and patrol routes, 1,500 volunteers, 7 days).

Prints
  bench: roster_solve_s VALUE s
  bench: roster_coverage_pct VALUE %
  bench: roster_fairness_spread_h VALUE h ratio=R vs greedy
where greedy is the time-order, nearest-first, least-loaded-next assignment of the same instance in
the same run, and the spread is the hours between the most- and least-loaded volunteer.

The instance is plain data fed straight to the solver core (no database): 20 neighbourhoods, 300
posts of four kinds (side gates open 06:00–22:00 with one volunteer; all-day entrances with one by
day and one by night; busy main entrances at the regime's two by day and one by night; patrol routes
walked every four hours by day), and volunteers whose availability follows how people live (retired
people by day, office workers evenings and weekends, some who take nights), each giving 32–48 hours
in the week of a lockdown.
"""

from __future__ import annotations

import os
import random
import sys
import time

from gatehouse.volunteers.periods import PERIOD_HOURS, PERIODS, PERIODS_PER_DAY, is_night, start_hour
from gatehouse.volunteers.solver import (
    Instance,
    Person,
    Post,
    Slot,
    solve,
    solve_greedy,
    spread_hours,
    verify,
)

GATES = int(os.environ.get("BENCH_ROSTER_GATES", "300"))
PEOPLE = int(os.environ.get("BENCH_ROSTER_PEOPLE", "1500"))
NEIGHBOURHOODS = 20
TIME_LIMIT_S = float(os.environ.get("BENCH_ROSTER_LIMIT_S", "45"))

# (share of posts, people by day, people by night)
POST_KINDS = [(0.40, 1, 0), (0.35, 1, 1), (0.15, 2, 1), (0.10, 1, 0)]


def _periods(days: list[int], hours: list[int]) -> set[int]:
    """Periods starting at one of `hours` on one of `days` (0 = Monday)."""
    return {
        d * PERIODS_PER_DAY + k
        for d in days
        for k in range(PERIODS_PER_DAY)
        if start_hour(d * PERIODS_PER_DAY + k) in hours
    }


def street_instance(rng: random.Random, gates: int = GATES, people: int = PEOPLE) -> Instance:
    neighbourhoods = [f"n{i:02d}" for i in range(NEIGHBOURHOODS)]
    posts: list[Post] = []
    slots: list[Slot] = []
    kinds, weights = list(range(len(POST_KINDS))), [k[0] for k in POST_KINDS]
    for g in range(gates):
        n = neighbourhoods[g % NEIGHBOURHOODS]
        compound = f"{n}-c{(g // NEIGHBOURHOODS) // 3}"
        post = Post(id=f"g{g:03d}", neighbourhood=n, compound=compound)
        posts.append(post)
        _share, by_day, by_night = POST_KINDS[rng.choices(kinds, weights)[0]]
        for t in range(PERIODS):
            needed = by_night if is_night(t) else by_day
            if needed:
                slots.append(Slot(id=f"{post.id}-{t}", post=post.id, period=t, needed=needed))
    day_hours, evening, night = [6, 10, 14], [18], [22, 2]
    everyone: list[Person] = []
    for i in range(people):
        n = neighbourhoods[i % NEIGHBOURHOODS]
        kind = rng.random()
        if kind < 0.40:  # retired: days, most of the week
            days = sorted(rng.sample(range(7), rng.randint(5, 7)))
            free = _periods(days, day_hours + (evening if rng.random() < 0.5 else []))
        elif kind < 0.65:  # office workers at home in the lockdown: evenings, and weekends all day
            free = _periods(list(range(5)), evening + night[:1]) | _periods([5, 6], day_hours + evening)
        elif kind < 0.85:  # nights
            days = sorted(rng.sample(range(7), rng.randint(4, 6)))
            free = _periods(days, night + evening) | _periods(sorted(rng.sample(range(7), 2)), day_hours)
        else:  # flexible
            free = {t for t in range(PERIODS) if rng.random() < 0.6}
        everyone.append(
            Person(
                id=f"v{i:04d}",
                neighbourhood=n,
                compound=f"{n}-c{rng.randrange(5)}",
                max_hours=rng.choice([32, 36, 40, 40, 44, 48]),
                available=frozenset(free),
            )
        )
    return Instance(posts=tuple(posts), slots=tuple(slots), people=tuple(everyone))


def coverage_pct(instance: Instance, assignments: list[tuple[str, str]]) -> float:
    needed = sum(s.needed for s in instance.slots)
    return 100.0 * len(assignments) / needed if needed else 100.0


def main() -> None:
    rng = random.Random(20200313)
    instance = street_instance(rng)
    needed = sum(s.needed for s in instance.slots)
    print(
        f"# roster instance: {len(instance.posts)} posts, {len(instance.people)} volunteers, "
        f"{len(instance.slots)} slots, {needed * PERIOD_HOURS} person-hours needed, "
        f"{sum(p.max_hours for p in instance.people)} h offered",
        file=sys.stderr,
    )
    greedy = solve_greedy(instance)
    started = time.perf_counter()
    result = solve(instance, time_limit_s=TIME_LIMIT_S, workers=2)
    elapsed = time.perf_counter() - started
    problems = verify(instance, result.assignments)
    if problems:
        raise SystemExit(f"roster breaks hard rules: {problems[:5]}")
    spread, greedy_spread = spread_hours(result.loads_h), spread_hours(greedy.loads_h)
    print(
        f"# cp-sat {result.status}: uncovered {result.uncovered_count}; greedy uncovered "
        f"{greedy.uncovered_count}, coverage {coverage_pct(instance, greedy.assignments):.2f} %",
        file=sys.stderr,
    )
    print(f"bench: roster_solve_s {elapsed:.1f} s")
    print(f"bench: roster_coverage_pct {coverage_pct(instance, result.assignments):.2f} %")
    ratio = spread / greedy_spread if greedy_spread else 0.0
    print(f"bench: roster_fairness_spread_h {spread} h ratio={ratio:.2f} vs greedy")


if __name__ == "__main__":
    main()
