"""The placement engine alone (no database): exact p-median against brute force on tiny
instances, capacities, pins and forbids, the heuristic with its stated gap, and slot staggering."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.supplies import placement_engine as engine
from linli.supplies.placement_engine import Instance, PlacementError


def brute_force(inst: Instance) -> float:
    """The optimum by trying every set of k points and, with capacities, every assignment."""
    n, m = inst.dist.shape
    allowed = [j for j in range(m) if j not in inst.forbidden]
    best = math.inf
    for chosen in itertools.combinations(allowed, inst.k):
        if not set(inst.pinned) <= set(chosen):
            continue
        if inst.capacity is None:
            best = min(best, float((inst.weights * inst.dist[:, chosen].min(axis=1)).sum()))
            continue
        for assign in itertools.product(chosen, repeat=n):
            load = Counter()
            for i, j in enumerate(assign):
                load[j] += inst.weights[i]
            if all(load[j] <= inst.capacity[j] + 1e-9 for j in chosen):
                cost = sum(inst.weights[i] * inst.dist[i, j] for i, j in enumerate(assign))
                best = min(best, float(cost))
    return best


def assert_valid(inst: Instance, result: engine.Result) -> None:
    assert len(result.open) == inst.k
    assert set(inst.pinned) <= set(result.open)
    assert not set(inst.forbidden) & set(result.open)
    assert all(a in result.open for a in result.assign)
    cost = sum(inst.weights[i] * inst.dist[i, a] for i, a in enumerate(result.assign))
    assert result.cost == pytest.approx(cost)
    if inst.capacity is not None:
        load = Counter()
        for i, a in enumerate(result.assign):
            load[a] += inst.weights[i]
        assert all(load[j] <= inst.capacity[j] + 1e-9 for j in load)


@st.composite
def instances(draw, capacitated=False):
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 5))
    k = draw(st.integers(1, m))
    dist = np.array(
        draw(st.lists(st.integers(0, 60), min_size=n * m, max_size=n * m)), dtype=float
    ).reshape(n, m)
    weights = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float)
    js = list(range(m))
    pinned = draw(st.lists(st.sampled_from(js), unique=True, max_size=k))
    rest = [j for j in js if j not in pinned]
    forbidden = (
        draw(st.lists(st.sampled_from(rest), unique=True, max_size=len(rest) - (k - len(pinned))))
        if rest
        else []
    )
    capacity = None
    if capacitated:
        capacity = np.array(draw(st.lists(st.integers(1, 14), min_size=m, max_size=m)), dtype=float)
    return Instance(dist, weights, k, capacity, tuple(pinned), tuple(forbidden))


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(instances())
def test_the_exact_solve_matches_brute_force(inst):
    result = engine.solve(inst)
    assert result.method == engine.EXACT and result.status == "optimal" and result.gap == 0
    assert_valid(inst, result)
    assert result.cost == pytest.approx(brute_force(inst))


@FAST
@given(instances(capacitated=True))
def test_the_exact_solve_respects_capacities_and_matches_brute_force(inst):
    optimum = brute_force(inst)
    try:
        result = engine.solve(inst)
    except PlacementError as exc:
        # Refused only when there really is no plan.
        assert exc.code in {"capacity_short", "client_too_big", "no_feasible_plan"}
        assert optimum == math.inf
        return
    assert_valid(inst, result)
    assert result.cost == pytest.approx(optimum)


@FAST
@given(instances())
def test_the_heuristic_is_feasible_and_its_bound_never_passes_the_optimum(inst):
    optimum = brute_force(inst)
    result = engine.solve(inst, max_exact_cells=0)
    assert result.method == engine.HEURISTIC and result.status == "too_large"
    assert_valid(inst, result)
    assert result.cost >= optimum - 1e-6
    assert result.bound is not None and result.bound <= optimum + 1e-6
    assert 0 <= result.gap <= 1


def test_pins_and_forbids_change_the_plan_as_asked():
    # Clients on a line at 0, 10, 20, 30; candidates at the same places.
    xs = np.array([0.0, 10, 20, 30])
    dist = np.abs(xs[:, None] - xs[None, :])
    weights = np.ones(4)
    free = engine.solve(Instance(dist, weights, 1))
    assert free.open in ([1], [2]) and free.cost == 40
    pinned = engine.solve(Instance(dist, weights, 1, pinned=(0,)))
    assert pinned.open == [0] and pinned.cost == 60
    forbidden = engine.solve(Instance(dist, weights, 1, forbidden=(1, 2)))
    assert forbidden.open in ([0], [3]) and forbidden.cost == 60


def test_a_capacity_sends_a_building_to_a_further_point():
    # Three buildings of 5 households beside point 0; point 1 is 100 m away.
    dist = np.array([[0.0, 100], [1, 100], [2, 100]])
    weights = np.full(3, 5.0)
    plain = engine.solve(Instance(dist, weights, 2))
    assert plain.cost == 15  # everybody at point 0
    capped = engine.solve(Instance(dist, weights, 2, capacity=np.array([10.0, 10.0])))
    assert Counter(capped.assign) == {0: 2, 1: 1}
    assert capped.cost == pytest.approx(5 * 0 + 5 * 1 + 5 * 100)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"k": 3}, "k_too_large"),
        ({"k": 0}, "k_too_small"),
        ({"k": 1, "pinned": (0,), "forbidden": (0,)}, "pinned_and_forbidden"),
        ({"k": 1, "pinned": (0, 1)}, "too_many_pinned"),
        ({"k": 1, "capacity": np.array([3.0, 3.0])}, "capacity_short"),
        (
            {"k": 2, "capacity": np.array([3.0, 3.0]), "weights": np.array([4.0, 1.0])},
            "client_too_big",
        ),
    ],
)
def test_impossible_settings_are_refused_with_a_reason(kwargs, code):
    weights = kwargs.pop("weights", np.array([2.0, 2.0]))
    inst = Instance(np.array([[0.0, 5], [5, 0]]), weights, **kwargs)
    with pytest.raises(PlacementError) as exc:
        engine.solve(inst)
    assert exc.value.code == code


def test_a_time_limited_solve_falls_back_with_a_stated_gap():
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 1000, size=(60, 2))
    dist = engine.euclidean(pts[:, 0], pts[:, 1], pts[:, 0], pts[:, 1])
    weights = rng.integers(5, 40, 60).astype(float)
    exact = engine.solve(Instance(dist, weights, 6))
    heur = engine.solve(Instance(dist, weights, 6), max_exact_cells=100)
    assert exact.method == engine.EXACT and exact.gap == 0
    assert heur.method == engine.HEURISTIC
    assert exact.cost <= heur.cost <= exact.cost * 1.05
    # The stated gap is honest: the optimum lies between the bound and the plan's cost.
    assert heur.bound <= exact.cost + 1e-6
    assert heur.gap < 0.05


def test_progress_is_reported_in_stages():
    seen = []
    dist = np.array([[0.0, 5], [5, 0]])
    engine.solve(Instance(dist, np.ones(2), 1), progress=lambda d, t, m: seen.append(m))
    assert seen[0] == "heuristic" and "exact" in seen and seen[-1] == "done"


# ------------------------------------------------------------------------------ slots


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 35), min_size=1, max_size=25),
    st.integers(1, 12),
)
def test_slots_never_overfill_and_keep_a_building_together_when_it_fits(counts, capacity):
    groups = [(f"b{i}", n) for i, n in enumerate(counts)]
    slots = engine.stagger_slots(groups, capacity)
    per_slot = Counter(s for key, _n in groups for s in slots[key])
    assert max(per_slot.values()) <= capacity
    for key, n in groups:
        assert len(slots[key]) == n and slots[key] == sorted(slots[key])
        used = len(set(slots[key]))
        # As few slots as the building's size allows: one when it fits.
        assert used == math.ceil(n / capacity)
    # Slots are numbered from 0 without holes.
    assert sorted(per_slot) == list(range(len(per_slot)))


def test_small_buildings_share_a_slot_and_a_large_one_spreads():
    slots = engine.stagger_slots([("A", 4), ("B", 5), ("C", 23), ("D", 1)], 10)
    assert set(slots["A"]) == {0} and set(slots["B"]) == {0}
    assert Counter(slots["C"]) == {1: 10, 2: 10, 3: 3}
    assert set(slots["D"]) == {0}  # first fit: the first slot still had room
