"""The roster solver: volunteers to gate and patrol slots for one street's week, with OR-Tools CP-SAT.

A pure function over plain data (no ORM, no clock), so the services, the command, the tests and the
benchmark all run the same code.

Hard: availability, one place at a time, at most MAX_SHIFT_HOURS in a row, at least REST_HOURS
between shifts, weekly hours within each person's limit, locked assignments kept. Demand is covered
as far as capacity allows (an uncovered person-slot costs more than anything else).
Soft: hours spread fairly (each person near their fair share, the busiest as light as possible),
people kept in their own neighbourhood and compound, the same people at the same post, and on a
re-solve the plan already published kept where it still fits.

Why two stages: within one neighbourhood every volunteer can stand at every gate, so the model only
decides *who works when, and whether at home or elsewhere in the street* (one boolean per person
and free period); which post each worker takes is then a small matching per neighbourhood and
period that favours continuity (the same gate for the whole shift, and across the week). That keeps
a 300-gate, 1,500-volunteer week at tens of thousands of booleans instead of millions.
"""

from __future__ import annotations

import enum
import heapq
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from gatehouse.volunteers.periods import MAX_CONSECUTIVE, PERIOD_HOURS, PERIODS, REST_PERIODS
from gatehouse.volunteers.rules import Breach, schedulable_periods, schedule_problems

# Objective weights: coverage first, then fairness, then keeping a published plan, then nearness.
W_UNCOVERED = 100_000
W_DEVIATION = 60  # per period a person is away from their fair share
W_MAX_LOAD = 400  # per period the busiest person carries
W_KEEP = 25  # per previously planned period dropped on a re-solve
W_AWAY = 10  # per period worked outside one's own neighbourhood


@dataclass(frozen=True)
class Post:
    """A gate or a patrol route: where people stand."""

    id: str
    neighbourhood: str
    compound: str = ""


@dataclass(frozen=True)
class Slot:
    """`needed` people at `post` during `period`."""

    id: str
    post: str
    period: int
    needed: int


@dataclass(frozen=True)
class Person:
    id: str
    neighbourhood: str
    max_hours: int
    available: frozenset[int]
    compound: str = ""
    # Periods worked at the end of the week before (-1 = Monday 02:00–06:00): they count for rest.
    prior: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Instance:
    posts: tuple[Post, ...]
    slots: tuple[Slot, ...]
    people: tuple[Person, ...]
    # (person, slot) pairs that must stay: locked by hand, or already started on a mid-week re-solve.
    locks: tuple[tuple[str, str], ...] = ()
    # (person, slot) pairs of the plan in force, kept where they still fit.
    previous: tuple[tuple[str, str], ...] = ()
    # How often each person stood at each post before: the same people at the same gate.
    history: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Periods before this one are past: nobody new is placed there.
    frozen_before: int = 0


class Why(enum.Enum):
    NOBODY_AVAILABLE = "nobody_available"
    EVERYBODY_AT_LIMIT = "everybody_at_limit"
    EVERYBODY_BUSY = "everybody_busy"
    REST_RULE = "rest_rule"
    MIXED = "mixed"
    PAST = "past"
    TIME_LIMIT = "time_limit"


@dataclass(frozen=True)
class Reason:
    """Why a slot stays (partly) uncovered, with the counts behind it."""

    why: Why
    missing: int
    available: int = 0
    busy: int = 0
    at_limit: int = 0
    rest: int = 0
    free: int = 0


@dataclass
class Progress:
    elapsed_s: float
    solutions: int
    uncovered: int | None
    objective: float | None
    phase: str


@dataclass
class Result:
    assignments: list[tuple[str, str]]  # (person, slot), locks included
    uncovered: dict[str, Reason]
    status: str  # "optimal", "feasible", "greedy" (CP-SAT found nothing better in time), "empty"
    wall_s: float
    objective: float | None = None
    loads_h: dict[str, int] = field(default_factory=dict)

    @property
    def uncovered_count(self) -> int:
        """Places left open that could still be filled (not those already in the past)."""
        return sum(r.missing for r in self.uncovered.values() if r.why is not Why.PAST)


# --- shared helpers -------------------------------------------------------------------------------


def _fits(worked: set[int], period: int, person: Person) -> bool:
    """Whether `person`, already working `worked`, may also take `period` (local checks only)."""
    if period in worked or (len(worked) + 1) * PERIOD_HOURS > person.max_hours:
        return False
    busy = worked | person.prior
    left = period - 1
    while left in busy:
        left -= 1
    right = period + 1
    while right in busy:
        right += 1
    if right - left - 1 > MAX_CONSECUTIVE:
        return False
    # The nearest shift on either side must be adjoining or at least REST_PERIODS away.
    before = max((p for p in busy if p < period), default=None)
    if before is not None and before != period - 1 and period - before - 1 < REST_PERIODS:
        return False
    after = min((p for p in busy if p > period), default=None)
    return after is None or after == period + 1 or after - period - 1 >= REST_PERIODS


def fair_targets(capacity: Mapping[str, int], total: int) -> dict[str, tuple[int, int]]:
    """Water-filling: each person's fair share (low, high in periods) of `total`, never above their
    capacity. Everyone below the common level gets all they can give."""
    if not capacity:
        return {}
    total = min(total, sum(capacity.values()))
    lo_level, hi_level = 0.0, float(max(capacity.values()))
    for _ in range(60):
        mid = (lo_level + hi_level) / 2
        if sum(min(c, mid) for c in capacity.values()) < total:
            lo_level = mid
        else:
            hi_level = mid
    level = hi_level
    return {p: (min(c, math.floor(level)), min(c, math.ceil(level))) for p, c in capacity.items()}


def spread_hours(loads_h: Mapping[str, int]) -> int:
    return max(loads_h.values(), default=0) - min(loads_h.values(), default=0)


# --- greedy: the baseline, and the solver's first hint ----------------------------------------------


def solve_greedy(instance: Instance) -> Result:
    """Fill slots in time order; each takes the nearest people first, then the least loaded so far.

    What a coordinator does by hand with a list; the benchmark's baseline.
    """
    return _greedy(instance, scarce_first=False, targets=None)


def _greedy(
    instance: Instance, *, scarce_first: bool, targets: Mapping[str, tuple[int, int]] | None
) -> Result:
    started = time.perf_counter()
    posts = {p.id: p for p in instance.posts}
    order = {p.id: i for i, p in enumerate(instance.people)}
    worked: dict[str, set[int]] = defaultdict(set)
    assignments: list[tuple[str, str]] = []
    filled: dict[str, int] = defaultdict(int)
    slots = {s.id: s for s in instance.slots}
    for person_id, slot_id in instance.locks:
        worked[person_id].add(slots[slot_id].period)
        assignments.append((person_id, slot_id))
        filled[slot_id] += 1
    by_period: dict[int, list[Person]] = defaultdict(list)
    for person in instance.people:
        for period in person.available:
            by_period[period].append(person)
    by_slot_period: dict[int, list[Slot]] = defaultdict(list)
    for slot in instance.slots:
        if slot.period >= instance.frozen_before:
            by_slot_period[slot.period].append(slot)
    periods = sorted(by_slot_period)
    if scarce_first:
        need_at = {t: sum(s.needed for s in by_slot_period[t]) for t in periods}
        periods.sort(key=lambda t: (len(by_period.get(t, [])) / max(1, need_at[t]), t))

    def rank(person: Person) -> tuple[int, int]:
        load = len(worked[person.id])
        if targets is not None:
            load -= targets.get(person.id, (0, 0))[1]
        return (load, order[person.id])

    for t in periods:
        # Everyone who may still take period t, in a queue per neighbourhood, least loaded first.
        queues: dict[str, list[tuple[tuple[int, int], str]]] = defaultdict(list)
        people_at = {}
        for person in by_period.get(t, []):
            if _fits(worked[person.id], t, person):
                queues[person.neighbourhood].append((rank(person), person.id))
                people_at[person.id] = person
        for queue in queues.values():
            heapq.heapify(queue)
        for slot in sorted(by_slot_period[t], key=lambda s: s.id):
            home = posts[slot.post].neighbourhood
            for _ in range(slot.needed - filled[slot.id]):
                own = queues.get(home)
                if targets is None and own:
                    pick_from = home
                else:
                    heads = [
                        (queue[0][0][0], n != home, queue[0][0][1], n) for n, queue in queues.items() if queue
                    ]
                    if not heads:
                        break
                    pick_from = min(heads)[3]
                _rank, person_id = heapq.heappop(queues[pick_from])
                worked[person_id].add(t)
                assignments.append((person_id, slot.id))
                filled[slot.id] += 1
    uncovered = explain_uncovered(instance, assignments)
    return Result(
        assignments=assignments,
        uncovered=uncovered,
        status="greedy",
        wall_s=time.perf_counter() - started,
        loads_h=_loads(instance, assignments),
    )


def _rebalance(
    instance: Instance, assignments: list[tuple[str, str]], targets: Mapping[str, tuple[int, int]]
) -> list[tuple[str, str]]:
    """Hand slots from people above their fair share to people below it who are free then and
    still fit the rules: a cheap local search that gives CP-SAT a fair starting point even when
    the machine is busy and the solver gets few iterations."""
    slots = {s.id: s for s in instance.slots}
    posts = {p.id: p for p in instance.posts}
    people = {p.id: p for p in instance.people}
    locked = set(instance.locks)
    worked: dict[str, set[int]] = defaultdict(set)
    mine: dict[str, list[str]] = defaultdict(list)
    for person_id, slot_id in assignments:
        worked[person_id].add(slots[slot_id].period)
        if (person_id, slot_id) not in locked:
            mine[person_id].append(slot_id)

    def lo(pid: str) -> int:
        return targets.get(pid, (0, 0))[0]

    def hi(pid: str) -> int:
        return targets.get(pid, (0, 0))[1]

    for _round in range(8):
        moved = 0
        under = sorted(
            (pid for pid in people if len(worked[pid]) < lo(pid)), key=lambda pid: len(worked[pid])
        )
        if not under:
            break
        over = sorted((pid for pid in mine if len(worked[pid]) > lo(pid)), key=lambda pid: -len(worked[pid]))
        for giver in over:
            for slot_id in list(mine[giver]):
                if len(worked[giver]) <= lo(giver):
                    break
                slot = slots[slot_id]
                home = posts[slot.post].neighbourhood
                for taker in sorted(
                    under, key=lambda pid: (people[pid].neighbourhood != home, len(worked[pid]))
                ):
                    if len(worked[taker]) >= lo(taker) or len(worked[giver]) - len(worked[taker]) < 2:
                        continue
                    if slot.period not in people[taker].available:
                        continue
                    if not _fits(worked[taker], slot.period, people[taker]):
                        continue
                    worked[giver].discard(slot.period)
                    mine[giver].remove(slot_id)
                    worked[taker].add(slot.period)
                    mine[taker].append(slot_id)
                    moved += 1
                    break
        if not moved:
            break
    return list(locked & set(assignments)) + [(pid, sid) for pid, sids in mine.items() for sid in sids]


def _loads(instance: Instance, assignments: list[tuple[str, str]]) -> dict[str, int]:
    loads = {p.id: 0 for p in instance.people}
    for person_id, _slot in assignments:
        loads[person_id] = loads.get(person_id, 0) + PERIOD_HOURS
    return loads


# --- why a slot stays uncovered ---------------------------------------------------------------------


def explain_uncovered(instance: Instance, assignments: list[tuple[str, str]]) -> dict[str, Reason]:
    slots = {s.id: s for s in instance.slots}
    filled: dict[str, int] = defaultdict(int)
    worked: dict[str, set[int]] = defaultdict(set)
    for person_id, slot_id in assignments:
        filled[slot_id] += 1
        worked[person_id].add(slots[slot_id].period)
    reasons: dict[str, Reason] = {}
    for slot in instance.slots:
        missing = slot.needed - filled[slot.id]
        if missing <= 0:
            continue
        if slot.period < instance.frozen_before:
            reasons[slot.id] = Reason(Why.PAST, missing)
            continue
        available = busy = at_limit = rest = free = 0
        for person in instance.people:
            if slot.period not in person.available:
                continue
            available += 1
            mine = worked[person.id]
            if slot.period in mine:
                busy += 1
            elif (len(mine) + 1) * PERIOD_HOURS > person.max_hours:
                at_limit += 1
            elif schedule_problems([*mine, slot.period], prior=person.prior):
                rest += 1
            else:
                free += 1
        if available == 0:
            why = Why.NOBODY_AVAILABLE
        elif free:
            why = Why.TIME_LIMIT
        elif at_limit == available:
            why = Why.EVERYBODY_AT_LIMIT
        elif busy == available:
            why = Why.EVERYBODY_BUSY
        elif rest == available:
            why = Why.REST_RULE
        else:
            why = Why.MIXED
        reasons[slot.id] = Reason(why, missing, available, busy, at_limit, rest, free)
    return reasons


def verify(instance: Instance, assignments: list[tuple[str, str]]) -> list[str]:
    """Every hard rule the assignments break, as readable lines (empty when all hold)."""
    slots = {s.id: s for s in instance.slots}
    people = {p.id: p for p in instance.people}
    errors: list[str] = []
    per_person: dict[str, list[int]] = defaultdict(list)
    per_slot: dict[str, int] = defaultdict(int)
    for person_id, slot_id in assignments:
        per_person[person_id].append(slots[slot_id].period)
        per_slot[slot_id] += 1
    locked = set(instance.locks)
    for person_id, periods in per_person.items():
        person = people[person_id]
        own_locks = {slots[s].period for p, s in locked if p == person_id}
        free = set(person.available) | own_locks
        for problem in schedule_problems(
            periods, max_hours=person.max_hours, available=free, prior=person.prior
        ):
            errors.append(f"{person_id}: {problem.breach.value} at period {problem.period}")
    for slot_id, count in per_slot.items():
        if count > slots[slot_id].needed:
            errors.append(f"{slot_id}: {count} people for {slots[slot_id].needed} places")
    missing = locked - set(assignments)
    errors += [f"lock dropped: {p} at {s}" for p, s in sorted(missing)]
    return errors


# --- CP-SAT -----------------------------------------------------------------------------------------


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Counts solutions, remembers the best uncovered total, and stops a search that has stalled."""

    def __init__(self, uncovered: cp_model.LinearExpr, stall_s: float, floor: int) -> None:
        super().__init__()
        self.uncovered_expr = uncovered
        self.stall_s = stall_s
        self.floor = floor
        self.solutions = 0
        self.uncovered: int | None = None
        self.objective: float | None = None
        self.last_improvement = time.perf_counter()
        self.lock = threading.Lock()

    def on_solution_callback(self) -> None:
        with self.lock:
            self.solutions += 1
            objective = self.objective_value
            if self.objective is None or objective < self.objective - 0.5:
                self.last_improvement = time.perf_counter()
            self.objective = objective
            self.uncovered = int(self.value(self.uncovered_expr))

    def stalled(self) -> bool:
        """No better roster for a while: stop early once coverage is as good as capacity allows,
        or after a longer wait when it is not (more search rarely fills what nobody can take)."""
        with self.lock:
            if self.solutions == 0 or self.uncovered is None:
                return False
            quiet = time.perf_counter() - self.last_improvement
            return quiet > (self.stall_s if self.uncovered <= self.floor else 2 * self.stall_s)


def solve(
    instance: Instance,
    *,
    time_limit_s: float = 50.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: Callable[[Progress], None] | None = None,
) -> Result:
    """Solve the week. `on_progress` is called about once a second from the calling thread."""
    started = time.perf_counter()
    slots = {s.id: s for s in instance.slots}
    posts = {p.id: p for p in instance.posts}
    people = {p.id: p for p in instance.people}

    locked_periods: dict[str, set[int]] = defaultdict(set)
    locked_fill: dict[str, int] = defaultdict(int)
    for person_id, slot_id in instance.locks:
        locked_periods[person_id].add(slots[slot_id].period)
        locked_fill[slot_id] += 1

    # Remaining demand per (neighbourhood, period), after locks; past periods take nobody new.
    demand: dict[tuple[str, int], int] = defaultdict(int)
    for slot in instance.slots:
        if slot.period >= instance.frozen_before:
            rest = slot.needed - locked_fill[slot.id]
            if rest > 0:
                demand[(posts[slot.post].neighbourhood, slot.period)] += rest
    if not demand:
        return Result(
            assignments=list(instance.locks),
            uncovered=explain_uncovered(instance, list(instance.locks)),
            status="empty",
            wall_s=time.perf_counter() - started,
            loads_h=_loads(instance, list(instance.locks)),
        )
    neighbourhoods = sorted({n for n, _ in demand})
    periods_with_demand = sorted({t for _, t in demand})
    demand_at: dict[int, int] = defaultdict(int)
    for (_n, t), d in demand.items():
        demand_at[t] += d

    model = cp_model.CpModel()
    works: dict[tuple[str, int], cp_model.IntVar] = {}
    for person in instance.people:
        own = locked_periods[person.id]
        for t in person.available:
            if t >= instance.frozen_before and demand_at[t] > 0 and t not in own:
                works[(person.id, t)] = model.new_bool_var(f"w_{person.id}_{t}")

    def state(person: Person, t: int) -> cp_model.IntVar | int:
        if t in locked_periods[person.id] or t in person.prior:
            return 1
        return works.get((person.id, t), 0)

    load_exprs: dict[str, cp_model.LinearExprT] = {}
    for person in instance.people:
        mine = [works[(person.id, t)] for t in sorted(person.available) if (person.id, t) in works]
        locked_n = len(locked_periods[person.id])
        if not mine and not locked_n:
            continue
        limit = person.max_hours // PERIOD_HOURS - locked_n
        if mine:
            model.add(sum(mine) <= max(0, limit))
        load_exprs[person.id] = sum(mine) + locked_n
        # Shift length and rest: no run longer than MAX_CONSECUTIVE, no gap shorter than REST_PERIODS.
        for t in range(-2, PERIODS):
            window = [state(person, t + k) for k in range(MAX_CONSECUTIVE + 1)]
            variables = [v for v in window if not isinstance(v, int)]
            constants = sum(v for v in window if isinstance(v, int))
            if variables and len(variables) + constants > MAX_CONSECUTIVE:
                # Locks that already break the rule are reported by verify(); never make it infeasible.
                model.add(sum(variables) <= max(0, MAX_CONSECUTIVE - constants))
            for gap in range(2, REST_PERIODS + 1):
                a, b, c = state(person, t), state(person, t + 1), state(person, t + gap)
                # a shift ending at t (a and not b) forbids working at t + gap
                if (isinstance(a, int) and a == 0) or (isinstance(b, int) and b == 1):
                    continue
                if isinstance(c, int) and c == 0:
                    continue
                literals = []
                if not isinstance(a, int):
                    literals.append(a.negated())
                if not isinstance(b, int):
                    literals.append(b)
                if not isinstance(c, int):
                    literals.append(c.negated())
                if literals:  # all constants: locks that break the rule, reported by verify()
                    model.add_bool_or(literals)

    # Coverage: per neighbourhood and period, people at home + people from elsewhere + uncovered = demand.
    home_workers: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for (person_id, t), var in works.items():
        home_workers[(people[person_id].neighbourhood, t)].append(var)
    stay: dict[tuple[str, int], cp_model.IntVar] = {}
    leave: dict[tuple[str, int], cp_model.IntVar] = {}
    arrive: dict[tuple[str, int], cp_model.IntVar] = {}
    short: dict[tuple[str, int], cp_model.IntVar] = {}
    all_neighbourhoods = sorted({p.neighbourhood for p in instance.people} | set(neighbourhoods))
    for t in periods_with_demand:
        arriving_total = []
        leaving_total = []
        for n in all_neighbourhoods:
            locals_ = home_workers.get((n, t), [])
            need = demand.get((n, t), 0)
            if not locals_ and not need:
                continue
            stay[(n, t)] = model.new_int_var(0, min(len(locals_), need), f"stay_{n}_{t}")
            leave[(n, t)] = model.new_int_var(0, len(locals_), f"leave_{n}_{t}")
            model.add(sum(locals_) == stay[(n, t)] + leave[(n, t)])
            leaving_total.append(leave[(n, t)])
            if need:
                arrive[(n, t)] = model.new_int_var(0, need, f"arrive_{n}_{t}")
                short[(n, t)] = model.new_int_var(0, need, f"short_{n}_{t}")
                model.add(stay[(n, t)] + arrive[(n, t)] + short[(n, t)] == need)
                arriving_total.append(arrive[(n, t)])
        model.add(sum(arriving_total) == sum(leaving_total))

    # Fairness: everyone near their fair share of the week's work, and the busiest as light as possible.
    capacity = {}
    for person_id in load_exprs:
        person = people[person_id]
        reachable = set(person.available) | locked_periods[person_id]
        capacity[person_id] = min(
            person.max_hours // PERIOD_HOURS, schedulable_periods(reachable, periods=PERIODS)
        )
    total = sum(demand.values()) + sum(locked_fill.values())
    targets = fair_targets(capacity, total)
    # The hint: scarce periods first, each to whoever is furthest below their fair share.
    greedy = _greedy(instance, scarce_first=True, targets=targets)
    greedy.assignments = _rebalance(instance, greedy.assignments, targets)
    plain = solve_greedy(instance)
    if plain.uncovered_count < greedy.uncovered_count:
        greedy = plain
    deviations = []
    top = max(capacity.values(), default=0)
    max_load = model.new_int_var(0, max(top, PERIODS), "max_load")
    # The least-loaded among those who could take a full share: what the spread is measured from.
    min_load = model.new_int_var(0, max(top, PERIODS), "min_load")
    for person_id, expr in load_exprs.items():
        lo, hi = targets[person_id]
        dev = model.new_int_var(0, PERIODS, f"dev_{person_id}")
        model.add(dev >= expr - hi)
        model.add(dev >= lo - expr)
        deviations.append(dev)
        model.add(max_load >= expr)
        if capacity[person_id] >= lo:
            model.add(min_load <= expr)

    previous_kept = []
    for person_id, slot_id in instance.previous:
        known = slots.get(slot_id)
        if known is not None and (person_id, known.period) in works:
            previous_kept.append(works[(person_id, known.period)])

    uncovered_expr = cp_model.LinearExpr.sum(list(short.values()))
    model.minimize(
        W_UNCOVERED * uncovered_expr
        + W_DEVIATION * sum(deviations)
        + W_MAX_LOAD * (max_load - min_load)
        + W_AWAY * sum(leave.values())
        - W_KEEP * sum(previous_kept)
    )

    # Start from the greedy plan, hinted in full so CP-SAT begins from a feasible point and only
    # has to improve on it.
    greedy_works: set[tuple[str, int]] = set()
    at_home: dict[tuple[str, int], int] = defaultdict(int)
    away: dict[tuple[str, int], int] = defaultdict(int)
    came: dict[tuple[str, int], int] = defaultdict(int)
    locked_pairs = set(instance.locks)
    for person_id, slot_id in greedy.assignments:
        if (person_id, slot_id) in locked_pairs:
            continue
        slot = slots[slot_id]
        greedy_works.add((person_id, slot.period))
        home, there = people[person_id].neighbourhood, posts[slot.post].neighbourhood
        if home == there:
            at_home[(home, slot.period)] += 1
        else:
            away[(home, slot.period)] += 1
            came[(there, slot.period)] += 1
    for key, var in works.items():
        model.add_hint(var, 1 if key in greedy_works else 0)
    for key, var in stay.items():
        model.add_hint(var, at_home[key])
    for key, var in leave.items():
        model.add_hint(var, away[key])
    for key, var in arrive.items():
        model.add_hint(var, came[key])
    for key, var in short.items():
        model.add_hint(var, demand[key] - at_home[key] - came[key])
    greedy_periods = {p: len(locked_periods[p]) for p in load_exprs}
    for person_id, _t in greedy_works:
        greedy_periods[person_id] = greedy_periods.get(person_id, 0) + 1
    for person_id, dev in zip(load_exprs, deviations, strict=True):
        lo, hi = targets[person_id]
        value = greedy_periods.get(person_id, 0)
        model.add_hint(dev, max(0, value - hi, lo - value))
    model.add_hint(max_load, max(greedy_periods.values(), default=0))
    model.add_hint(
        min_load,
        min(
            (v for p, v in greedy_periods.items() if capacity[p] >= targets[p][0]),
            default=0,
        ),
    )

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(1.0, time_limit_s - (time.perf_counter() - started))
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    floor = max(0, sum(demand.values()) - _capacity_bound(instance, demand, works))
    watcher = _Watcher(uncovered_expr, stall_s=max(3.0, time_limit_s / 8), floor=floor)
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["status"] = solver.solve(model, watcher)

    thread = threading.Thread(target=run, name="roster-cp-sat", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(timeout=1.0)
        if watcher.stalled():
            solver.stop_search()
        if on_progress is not None and thread.is_alive():
            on_progress(
                Progress(
                    elapsed_s=time.perf_counter() - started,
                    solutions=watcher.solutions,
                    uncovered=watcher.uncovered,
                    objective=watcher.objective,
                    phase="search",
                )
            )
    status = outcome.get("status", cp_model.UNKNOWN)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        greedy.wall_s = time.perf_counter() - started
        return greedy

    working = {key for key, var in works.items() if solver.value(var)}
    leaving = {key: solver.value(var) for key, var in leave.items()}
    arriving = {key: solver.value(var) for key, var in arrive.items()}
    assignments = _place(instance, working, leaving, arriving, locked_fill)
    result = Result(
        assignments=assignments,
        uncovered=explain_uncovered(instance, assignments),
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
        wall_s=time.perf_counter() - started,
        objective=solver.objective_value,
        loads_h=_loads(instance, assignments),
    )
    if result.uncovered_count > greedy.uncovered_count:  # pragma: no cover - the hint makes this rare
        greedy.wall_s = result.wall_s
        return greedy
    return result


def _capacity_bound(
    instance: Instance, demand: Mapping[tuple[str, int], int], works: Mapping[tuple[str, int], object]
) -> int:
    """An upper bound on coverable demand: per period, no more than the people free then."""
    free_at: dict[int, int] = defaultdict(int)
    for _person, t in works:
        free_at[t] += 1
    need_at: dict[int, int] = defaultdict(int)
    for (_n, t), d in demand.items():
        need_at[t] += d
    return sum(min(d, free_at[t]) for t, d in need_at.items())


# --- stage two: who stands where --------------------------------------------------------------------


def _place(
    instance: Instance,
    working: set[tuple[str, int]],
    leaving: Mapping[tuple[str, int], int],
    arriving: Mapping[tuple[str, int], int],
    locked_fill: Mapping[str, int],
) -> list[tuple[str, str]]:
    """Turn "who works when, at home or away" into (person, slot), favouring continuity."""
    people = {p.id: p for p in instance.people}
    posts = {p.id: p for p in instance.posts}
    previous_post: dict[tuple[str, int], str] = {}
    slots_by_id = {s.id: s for s in instance.slots}
    for person_id, slot_id in instance.previous:
        slot = slots_by_id.get(slot_id)
        if slot is not None:
            previous_post[(person_id, slot.period)] = slot.post
    history: dict[tuple[str, str], int] = defaultdict(int, instance.history)
    assignments: list[tuple[str, str]] = list(instance.locks)
    post_at: dict[tuple[str, int], str] = {}
    for person_id, slot_id in instance.locks:
        slot = slots_by_id[slot_id]
        post_at[(person_id, slot.period)] = slot.post

    open_slots: dict[tuple[str, int], list[Slot]] = defaultdict(list)
    for slot in instance.slots:
        if slot.period >= instance.frozen_before and slot.needed - locked_fill.get(slot.id, 0) > 0:
            open_slots[(posts[slot.post].neighbourhood, slot.period)].append(slot)

    by_period: dict[int, list[str]] = defaultdict(list)
    for person_id, t in sorted(working):
        by_period[t].append(person_id)

    for t in sorted(by_period):
        # Who leaves their neighbourhood: those who were away the period before go on being away.
        at_home: dict[str, list[str]] = defaultdict(list)
        for person_id in by_period[t]:
            at_home[people[person_id].neighbourhood].append(person_id)
        pool: list[str] = []
        for n, members in at_home.items():
            k = leaving.get((n, t), 0)
            if not k:
                continue

            def away_first(pid: str, n: str = n, t: int = t) -> tuple[int, int, str]:
                before = post_at.get((pid, t - 1))
                was_away = before is not None and posts[before].neighbourhood != n
                after_prev = previous_post.get((pid, t))
                prev_away = after_prev is not None and posts[after_prev].neighbourhood != n
                return (0 if was_away else 1, 0 if prev_away else 1, pid)

            members.sort(key=away_first)
            pool += members[:k]
            del members[:k]
        # Send the pool where it is wanted, keeping each person where they stood the period before.
        wanted = {n: arriving.get((n, t), 0) for n, _t in arriving if _t == t}
        destination: dict[str, str] = {}
        for person_id in sorted(pool, key=lambda pid: (0 if post_at.get((pid, t - 1)) else 1, pid)):
            before = post_at.get((person_id, t - 1))
            choices = [n for n, k in wanted.items() if k > 0]
            if not choices:
                break
            preferred = posts[before].neighbourhood if before else None
            n = (
                preferred
                if preferred in choices
                else max(
                    choices,
                    key=lambda n: (
                        sum(history[(person_id, s.post)] for s in open_slots.get((n, t), [])),
                        wanted[n],
                        n,
                    ),
                )
            )
            destination[person_id] = n
            wanted[n] -= 1
        for person_id, n in destination.items():
            at_home[n].append(person_id)
        # Within each neighbourhood: one person per slot first, so no gate stands empty while
        # another has two; then the second places. Continuity, the published plan, history and
        # the home compound decide who goes where.
        for n, members in at_home.items():
            slots = open_slots.get((n, t), [])
            left = {s.id: s.needed - locked_fill.get(s.id, 0) for s in slots}
            taken_here: dict[str, int] = defaultdict(int)
            unplaced = set(members)

            def score(pid: str, slot: Slot, t: int = t) -> tuple[int, str, str]:
                person = people[pid]
                post = posts[slot.post]
                value = 0
                if post_at.get((pid, t - 1)) == slot.post:
                    value += 10_000
                if previous_post.get((pid, t)) == slot.post:
                    value += 1_000
                value += 50 * min(history[(pid, slot.post)], 10)
                if person.compound and person.compound == post.compound:
                    value += 20
                return (value, pid, slot.id)

            for round_cap in (1, None):
                pairs = sorted(
                    ((pid, s) for pid in unplaced for s in slots),
                    key=lambda pair: score(*pair),
                    reverse=True,
                )
                for pid, slot in pairs:
                    if pid not in unplaced or left[slot.id] <= 0:
                        continue
                    if round_cap is not None and taken_here[slot.id] >= round_cap:
                        continue
                    assignments.append((pid, slot.id))
                    post_at[(pid, t)] = slot.post
                    history[(pid, slot.post)] += 1
                    left[slot.id] -= 1
                    taken_here[slot.id] += 1
                    unplaced.discard(pid)
    return assignments


def breach_label(breach: Breach) -> str:
    return breach.value
