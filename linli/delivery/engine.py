"""Door-delivery routing: a vehicle routing problem with capacities and time windows, solved
with PyVRP (DESIGN.md: best published quality). Pure computation, no Django: fed plain data,
tested on its own, and run unchanged by `python -m bench.routing` on the Solomon instances.

Units are the caller's. The community plans in metres and seconds (a volunteer walks 1.2 m/s);
the benchmark in Solomon's units with one time unit per distance unit. Everything is made an
integer at `precision` steps per unit, distances truncated (Solomon's convention, one decimal:
precision 10), because PyVRP works on integers.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pyvrp import Activity, Client, Depot, Location, ProblemData, Route, Solution, VehicleType
from pyvrp import solve as pyvrp_solve
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

INT_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Stop:
    """One delivery: where, how much (bags), when the household can take it, how long it takes."""

    key: int | str
    x: float
    y: float
    demand: int = 1
    earliest: float = 0
    latest: float | None = None
    service: float = 0


@dataclass(frozen=True)
class Vehicle:
    """One volunteer (or van): what they carry and how long they work."""

    key: int | str
    capacity: int
    # The longest the route may take from leaving the start to coming back; None: no limit.
    shift: float | None = None
    available_from: float = 0
    available_until: float | None = None


@dataclass(frozen=True)
class Problem:
    depot_x: float
    depot_y: float
    stops: Sequence[Stop]
    vehicles: Sequence[Vehicle]
    # Distance units per time unit (metres per second for a volunteer on foot).
    speed: float = 1.0
    # Walking paths are longer than the straight line on the site plan.
    detour: float = 1.0
    precision: int = 1
    # When the start place opens and closes (every route starts and ends inside it).
    opens: float = 0
    closes: float | None = None
    # A vehicle may come back to the start to pick up more (several trips in one route).
    reload: bool = False
    # Stops that cannot fit (too few volunteers, an impossible window) are left out and
    # reported, rather than making the whole plan infeasible.
    optional: bool = False


@dataclass
class PlannedStop:
    key: int | str
    arrival: float  # when service starts
    departure: float
    trip: int  # 1-based: the trips of a route are separated by a return to the start
    load: int  # bags carried when arriving here


@dataclass
class PlannedRoute:
    vehicle: int | str
    stops: list[PlannedStop]
    distance: float
    start: float
    end: float
    load: int
    trips: int

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Plan:
    routes: list[PlannedRoute]
    unplanned: list[int | str]
    distance: float
    feasible: bool
    seconds: float
    iterations: int = 0
    vehicles_used: int = field(init=False)

    def __post_init__(self):
        self.vehicles_used = len(self.routes)


class ProblemError(ValueError):
    """The input cannot be planned as given (not a search failure)."""


def _check(problem: Problem) -> None:
    if not problem.vehicles:
        raise ProblemError("no vehicles")
    if problem.speed <= 0:
        raise ProblemError("speed must be positive")
    if problem.precision < 1:
        raise ProblemError("precision must be at least 1")
    keys = [s.key for s in problem.stops]
    if len(set(keys)) != len(keys):
        raise ProblemError("stop keys must be unique")
    for stop in problem.stops:
        if stop.demand < 0:
            raise ProblemError(f"stop {stop.key}: negative demand")
        if stop.latest is not None and stop.latest < stop.earliest:
            raise ProblemError(f"stop {stop.key}: window closes before it opens")
    for vehicle in problem.vehicles:
        if vehicle.capacity < 0:
            raise ProblemError(f"vehicle {vehicle.key}: negative capacity")


def matrices(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Integer distance and travel-time matrices, location 0 the start, then the stops.
    Distances are truncated to 1/precision (exactly as Solomon's convention asks)."""
    xs = np.array([problem.depot_x] + [s.x for s in problem.stops], dtype=float)
    ys = np.array([problem.depot_y] + [s.y for s in problem.stops], dtype=float)
    euclid = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :]) * problem.detour
    # A hair above zero so that 5.3 stored as 5.29999… truncates to 5.3, not 5.2.
    scaled = euclid * problem.precision + 1e-7
    distance = np.floor(scaled).astype(np.int64)
    duration = distance if problem.speed == 1 else np.floor(scaled / problem.speed).astype(np.int64)
    np.fill_diagonal(distance, 0)
    np.fill_diagonal(duration, 0)
    return distance, duration


def _time(value: float | None, precision: int, *, up: bool = False) -> int:
    """A time in integer steps; a window's opening rounds up and its closing down, so a
    planned time inside the integer window is inside the caller's window too."""
    if value is None:
        return INT_MAX
    scaled = value * precision
    return max(0, math.ceil(scaled - 1e-9) if up else math.floor(scaled + 1e-9))


def _vehicle_groups(problem: Problem) -> list[tuple[tuple, list[Vehicle]]]:
    """Identical vehicles share one PyVRP vehicle type (the search treats them as one fleet)."""
    groups: dict[tuple, list[Vehicle]] = {}
    for v in problem.vehicles:
        groups.setdefault((v.capacity, v.shift, v.available_from, v.available_until), []).append(v)
    return list(groups.items())


def build(problem: Problem, *, optional: bool | None = None):
    """The PyVRP problem data, and the vehicles behind each of its vehicle types. `optional`
    (default: the problem's) lets the search leave stops out, at a prize."""
    _check(problem)
    optional = problem.optional if optional is None else optional
    p = problem.precision
    distance, duration = matrices(problem)
    locations = [Location(x=problem.depot_x, y=problem.depot_y, name="start")] + [
        Location(x=s.x, y=s.y, name=str(s.key)) for s in problem.stops
    ]
    opens, closes = _time(problem.opens, p, up=True), _time(problem.closes, p)
    depots = [Depot(location=0, tw_early=opens, tw_late=closes, name="start")]
    # Leaving a stop out costs more than any detour to serve it, so the search leaves one out
    # only when it cannot be served at all.
    prize = int(min(2 * int(distance.max(initial=0)) + 1, 1 << 40) * 100) if optional else 0
    clients = [
        Client(
            location=i + 1,
            delivery=[int(s.demand)],
            service_duration=max(0, round(s.service * p)),
            tw_early=_time(s.earliest, p, up=True),
            tw_late=_time(s.latest, p),
            prize=prize,
            required=not optional,
            name=str(s.key),
        )
        for i, s in enumerate(problem.stops)
    ]
    types, fleets = [], []
    for (capacity, shift, available_from, available_until), vehicles in _vehicle_groups(problem):
        types.append(
            VehicleType(
                num_available=len(vehicles),
                capacity=[int(capacity)],
                tw_early=max(opens, _time(available_from, p, up=True)),
                tw_late=min(closes, _time(available_until, p)),
                shift_duration=_time(shift, p),
                reload_depots=[0] if problem.reload else [],
                name=",".join(str(v.key) for v in vehicles),
            )
        )
        fleets.append(list(vehicles))
    data = ProblemData(locations, clients, depots, types, [distance], [duration])
    return data, fleets


class _Stop:
    """Stop at the time limit (or once no improvement comes for a while), reporting progress
    as seconds spent out of `total` (`offset` already spent by an earlier phase)."""

    def __init__(self, seconds, stall, progress, *, total, offset=0.0, every=0.5):
        criteria = [MaxRuntime(seconds)]
        if stall:
            criteria.append(NoImprovement(stall))
        self._criterion = MultipleCriteria(criteria)
        self._total = total
        self._offset = offset
        self._progress = progress
        self._every = every
        self._started = time.perf_counter()
        self._last = self._started
        self.iterations = 0

    def __call__(self, best_cost) -> bool:
        self.iterations += 1
        now = time.perf_counter()
        if self._progress is not None and now - self._last >= self._every:
            self._last = now
            self._progress(min(self._offset + now - self._started, self._total), self._total)
        return self._criterion(best_cost)


def solve(
    problem: Problem,
    *,
    seconds: float = 10,
    seed: int = 0,
    stall: int | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> Plan:
    """Plan routes for `problem` in about `seconds` (sooner if `stall` iterations bring no
    improvement). `progress(elapsed, limit)` is called about twice a second.

    Every stop is required first: the search is much stronger that way than when it may
    leave stops out. Only when that finds no feasible plan and the problem allows it
    (`optional`) does a second search leave out the stops that cannot fit, starting from the
    first search's routes, and report them as unplanned."""
    started = time.perf_counter()
    if not problem.stops:
        _check(problem)
        return Plan(routes=[], unplanned=[], distance=0, feasible=True, seconds=0)
    data, fleets = build(problem, optional=False)
    stop = _Stop(seconds, stall, progress, total=seconds)
    best = _search(data, stop, seed)
    iterations = stop.iterations
    if not best.is_feasible() and problem.optional:
        spent = time.perf_counter() - started
        remaining = max(seconds - spent, min(seconds, 1.0) / 2)
        data, fleets = build(problem, optional=True)
        stop = _Stop(remaining, stall, progress, total=seconds, offset=spent)
        best = _search(data, stop, seed, initial=_transplant(best, data))
        iterations += stop.iterations
    plan = _plan(problem, best, fleets)
    plan.seconds = time.perf_counter() - started
    plan.iterations = iterations
    return plan


def _search(data: ProblemData, stop, seed: int, initial=None) -> Solution:
    with warnings.catch_warnings():
        # An instance with no feasible plan is expected here (too few volunteers): the second
        # search handles it, so PyVRP's warning that penalties hit their bound is noise.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp_solve(
            data,
            stop=stop,
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
        )
    return result.best


def _transplant(solution, data: ProblemData) -> Solution:
    """The same routes on another ProblemData over the same places (a warm start)."""
    routes = []
    for route in solution.routes():
        activities = list(route.schedule())[1:-1]  # without the start and the end
        routes.append(
            Route(
                data,
                [Activity(a.type, a.idx) for a in activities],
                route.vehicle_type(),
            )
        )
    return Solution(data, routes)


def _plan(problem: Problem, solution, fleets: list[list[Vehicle]]) -> Plan:
    p = problem.precision
    used = [0] * len(fleets)
    routes, visited = [], set()
    for route in solution.routes():
        type_idx = route.vehicle_type()
        vehicle = fleets[type_idx][used[type_idx]]
        used[type_idx] += 1
        stops, load = [], 0
        trip_loads = _trip_loads(problem, route)
        for activity in route.schedule():
            if activity.is_depot():  # the start, the end, or a reload in between
                continue
            stop = problem.stops[activity.idx]
            if not stops or stops[-1].trip != activity.trip + 1:
                load = trip_loads[activity.trip]
            stops.append(
                PlannedStop(
                    key=stop.key,
                    arrival=activity.start_time / p,
                    departure=activity.end_time / p,
                    trip=activity.trip + 1,
                    load=load,
                )
            )
            load -= stop.demand
            visited.add(activity.idx)
        routes.append(
            PlannedRoute(
                vehicle=vehicle.key,
                stops=stops,
                distance=route.distance() / p,
                start=route.start_time() / p,
                end=route.end_time() / p,
                load=sum(route.delivery()),
                trips=route.num_trips(),
            )
        )
    unplanned = [s.key for i, s in enumerate(problem.stops) if i not in visited]
    return Plan(
        routes=routes,
        unplanned=unplanned,
        distance=solution.distance() / p,
        feasible=solution.is_feasible(),
        seconds=0,
    )


def _trip_loads(problem: Problem, route) -> dict[int, int]:
    loads: dict[int, int] = {}
    for activity in route.schedule():
        if activity.is_client():
            loads[activity.trip] = loads.get(activity.trip, 0) + problem.stops[activity.idx].demand
    return loads


def straight_distance(ax: float, ay: float, bx: float, by: float) -> float:
    return math.hypot(ax - bx, ay - by)
