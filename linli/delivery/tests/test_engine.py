"""The routing engine alone, on tiny instances: plain data in, routes out, no database."""

import math
import random

import pytest

from linli.delivery.engine import Problem, ProblemError, Stop, Vehicle, matrices, solve

FAST = {"seconds": 2, "stall": 2000}


def _check_feasible(problem: Problem, plan) -> None:
    """Capacity per trip, time windows, shift length, each stop at most once."""
    stops = {s.key: s for s in problem.stops}
    vehicles = {v.key: v for v in problem.vehicles}
    seen = []
    for route in plan.routes:
        vehicle = vehicles[route.vehicle]
        loads: dict[int, int] = {}
        for planned in route.stops:
            stop = stops[planned.key]
            seen.append(planned.key)
            loads[planned.trip] = loads.get(planned.trip, 0) + stop.demand
            assert planned.arrival >= stop.earliest - 1e-9
            if stop.latest is not None:
                assert planned.arrival <= stop.latest + 1e-9
        assert max(loads.values()) <= vehicle.capacity
        if vehicle.shift is not None:
            assert route.duration <= vehicle.shift + 1e-9
    assert len(seen) == len(set(seen))


def test_every_stop_is_visited_once_within_capacity():
    rng = random.Random(4)
    stops = [
        Stop(key=i, x=rng.uniform(0, 100), y=rng.uniform(0, 100), demand=rng.randint(1, 3))
        for i in range(20)
    ]
    problem = Problem(
        depot_x=50, depot_y=50, stops=stops, vehicles=[Vehicle(key=k, capacity=10) for k in "abcd"]
    )
    plan = solve(problem, **FAST)
    assert plan.feasible and not plan.unplanned
    assert sorted(s.key for r in plan.routes for s in r.stops) == list(range(20))
    assert all(sum(stops[s.key].demand for s in r.stops) <= 10 for r in plan.routes)
    assert len(plan.routes) >= math.ceil(sum(s.demand for s in stops) / 10)
    _check_feasible(problem, plan)


def test_time_windows_decide_the_order():
    # Far stop first is forced by its window, although nearest-first would be shorter.
    stops = [
        Stop(key="near", x=10, y=0, earliest=100, latest=200, service=5),
        Stop(key="far", x=50, y=0, earliest=0, latest=60, service=5),
    ]
    problem = Problem(depot_x=0, depot_y=0, stops=stops, vehicles=[Vehicle(key="v", capacity=5)])
    plan = solve(problem, **FAST)
    (route,) = plan.routes
    assert [s.key for s in route.stops] == ["far", "near"]
    # Leaves as late as it can so nobody waits: there by 60, then 40 on to "near" at 100.
    assert 50 <= route.stops[0].arrival <= 60
    assert route.stops[1].arrival == 100
    assert route.stops[0].load == 2 and route.stops[1].load == 1
    _check_feasible(problem, plan)


def test_a_stop_that_cannot_fit_is_reported_not_forced():
    stops = [
        Stop(key="ok", x=10, y=0, earliest=0, latest=100),
        Stop(key="too_late", x=500, y=0, earliest=0, latest=100),  # 500 away, window shuts at 100
    ]
    problem = Problem(
        depot_x=0, depot_y=0, stops=stops, vehicles=[Vehicle(key="v", capacity=5)], optional=True
    )
    plan = solve(problem, **FAST)
    assert plan.unplanned == ["too_late"]
    assert [s.key for r in plan.routes for s in r.stops] == ["ok"]


def test_shift_length_limits_a_route():
    stops = [Stop(key=i, x=100 * (i + 1), y=0, service=10) for i in range(3)]
    problem = Problem(
        depot_x=0,
        depot_y=0,
        stops=stops,
        vehicles=[Vehicle(key="short", capacity=10, shift=300), Vehicle(key="long", capacity=10)],
    )
    plan = solve(problem, **FAST)
    assert plan.feasible and not plan.unplanned
    _check_feasible(problem, plan)
    short = [r for r in plan.routes if r.vehicle == "short"]
    assert not short or short[0].duration <= 300


def test_a_volunteer_comes_back_for_more_bags():
    stops = [Stop(key=i, x=10 * (i + 1), y=0, demand=2) for i in range(6)]
    problem = Problem(
        depot_x=0, depot_y=0, stops=stops, vehicles=[Vehicle(key="v", capacity=4)], reload=True
    )
    plan = solve(problem, **FAST)
    (route,) = plan.routes
    assert route.trips == 3 and route.load == 12
    assert sorted(s.key for s in route.stops) == list(range(6))
    _check_feasible(problem, plan)
    # Trips come one after the other: each trip's first stop carries that trip's whole load.
    firsts = [s for i, s in enumerate(route.stops) if i == 0 or route.stops[i - 1].trip != s.trip]
    assert [s.load for s in firsts] == [4, 4, 4]


def test_distances_are_truncated_at_the_precision():
    # 3-4-5 triangle scaled: 0.53 → 5 at precision 10 (truncated, not rounded to 6).
    problem = Problem(
        depot_x=0, depot_y=0, stops=[Stop(key=1, x=0.318, y=0.424)], vehicles=[Vehicle(1, 1)]
    )
    distance, duration = matrices(Problem(**{**problem.__dict__, "precision": 10}))
    assert distance[0, 1] == 5 and duration[0, 1] == 5
    slow = matrices(Problem(**{**problem.__dict__, "precision": 10, "speed": 0.5}))[1]
    assert slow[0, 1] == 10


def test_bad_input_is_refused():
    with pytest.raises(ProblemError):
        solve(Problem(depot_x=0, depot_y=0, stops=[Stop(key=1, x=1, y=1)], vehicles=[]))
    with pytest.raises(ProblemError):
        solve(
            Problem(
                depot_x=0,
                depot_y=0,
                stops=[Stop(key=1, x=1, y=1), Stop(key=1, x=2, y=2)],
                vehicles=[Vehicle(1, 5)],
            )
        )


def test_no_stops_no_routes():
    plan = solve(Problem(depot_x=0, depot_y=0, stops=[], vehicles=[Vehicle(1, 5)]))
    assert plan.routes == [] and plan.feasible


def test_progress_is_reported_while_searching():
    rng = random.Random(1)
    stops = [Stop(key=i, x=rng.uniform(0, 100), y=rng.uniform(0, 100)) for i in range(30)]
    calls = []
    solve(
        Problem(depot_x=50, depot_y=50, stops=stops, vehicles=[Vehicle(k, 8) for k in range(5)]),
        seconds=1.2,
        progress=lambda elapsed, limit: calls.append((elapsed, limit)),
    )
    assert calls and all(0 <= e <= limit == 1.2 for e, limit in calls)
