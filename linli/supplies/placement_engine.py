"""Pickup-point placement: choose k of the candidate places so that the households' total
walking distance is least (the p-median problem), and stagger pickup slots. Pure computation,
no Django: fed arrays, tested alone, and run unchanged by ``python -m bench.placement``.

Exact: a mixed-integer programme solved by HiGHS (``scipy.optimize.milp``), in the strong
formulation - ``x[i, j]`` is the share of client i served by candidate j, ``y[j]`` opens j:

    minimise    sum_ij w_i d_ij x_ij
    subject to  sum_j x_ij = 1            every client is served once
                x_ij <= y_j               only by an open point
                sum_j y_j = k             k points
                sum_i w_i x_ij <= c_j y_j (optional capacity, in households)
                y_j = 1 pinned, y_j = 0 forbidden

Without capacities x may stay continuous (with y integral an optimal x is integral anyway);
with capacities x is binary too, because a building collects at ONE point (proposal S4).

Fallback: when the instance has more cells (clients x candidates) than the exact limit, or
HiGHS reaches its time limit without proving optimality, the greedy heuristic followed by
vertex substitution (Teitz and Bart 1968) gives the plan, and the gap is stated against a lower
bound: HiGHS's own dual bound when it ran, else the Lagrangian dual of the LP relaxation
(relaxing "served once"; its optimum equals the LP relaxation's value, and every iterate is a
valid bound). With capacities the bound ignores them, which keeps it a valid (weaker) bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

EXACT = "exact"
HEURISTIC = "heuristic"
# About 200 buildings x 250 candidates solve exactly in seconds; far larger goes heuristic.
MAX_EXACT_CELLS = 250_000
# A plan is "proven optimal" when its gap to the bound is below this (relative).
PROVEN = 1e-6

Progress = Callable[[int, int, str], None]


class PlacementError(ValueError):
    """The instance cannot be solved as asked; `code` says why, `params` give the figures."""

    def __init__(self, code: str, **params):
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Instance:
    """dist[i, j]: metres from client i (a building) to candidate j; weights[i]: households.
    capacity[j]: households candidate j can serve (np.inf: no limit); None: no limits at all."""

    dist: np.ndarray
    weights: np.ndarray
    k: int
    capacity: np.ndarray | None = None
    pinned: tuple[int, ...] = ()
    forbidden: tuple[int, ...] = ()

    @property
    def n_clients(self) -> int:
        return self.dist.shape[0]

    @property
    def n_candidates(self) -> int:
        return self.dist.shape[1]


@dataclass
class Result:
    open: list[int]  # candidate indices, ascending
    assign: list[int]  # for each client, the candidate index serving it
    cost: float  # sum of weight x distance
    bound: float | None  # a proven lower bound on the optimum (None: none known)
    method: str  # EXACT or HEURISTIC
    status: str  # "optimal", "time_limit" or "too_large"
    seconds: float

    @property
    def gap(self) -> float | None:
        """(cost - bound) / cost: 0 when proven optimal; None when no bound is known."""
        if self.bound is None:
            return None
        if self.cost <= 0:
            return 0.0
        return max(0.0, (self.cost - self.bound) / self.cost)


def euclidean(ax, ay, bx, by) -> np.ndarray:
    """Straight-line metres between every point a and every point b on the site plan."""
    ax, ay, bx, by = (np.asarray(v, dtype=float) for v in (ax, ay, bx, by))
    return np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :])


# ------------------------------------------------------------------------------ checking


def check(inst: Instance) -> None:
    """Refuse an instance with no feasible plan, naming the reason."""
    n, m = inst.dist.shape
    if inst.weights.shape != (n,):
        raise PlacementError("shape", clients=n, weights=len(inst.weights))
    if n == 0:
        raise PlacementError("no_clients")
    if m == 0:
        raise PlacementError("no_candidates")
    if np.any(inst.weights < 0) or not np.all(np.isfinite(inst.dist)):
        raise PlacementError("bad_data")
    pinned, forbidden = set(inst.pinned), set(inst.forbidden)
    for j in pinned | forbidden:
        if not 0 <= j < m:
            raise PlacementError("bad_candidate", index=j)
    if pinned & forbidden:
        raise PlacementError("pinned_and_forbidden", index=min(pinned & forbidden))
    allowed = m - len(forbidden)
    if inst.k < 1:
        raise PlacementError("k_too_small", k=inst.k)
    if inst.k > allowed:
        raise PlacementError("k_too_large", k=inst.k, allowed=allowed)
    if len(pinned) > inst.k:
        raise PlacementError("too_many_pinned", k=inst.k, pinned=len(pinned))
    if inst.capacity is not None:
        cap = np.asarray(inst.capacity, dtype=float)
        if cap.shape != (m,) or np.any(cap < 0):
            raise PlacementError("bad_capacity")
        usable = np.array([j for j in range(m) if j not in forbidden])
        # Pinned points are open whatever happens; the rest at best the largest ones.
        rest = sorted((cap[j] for j in usable if j not in pinned), reverse=True)
        most = sum(cap[j] for j in pinned) + sum(rest[: inst.k - len(pinned)])
        total = float(inst.weights.sum())
        if most < total:
            raise PlacementError("capacity_short", total=total, most=most)
        biggest = float(inst.weights.max())
        if biggest > cap[usable].max():
            raise PlacementError("client_too_big", weight=biggest, capacity=cap[usable].max())


# ------------------------------------------------------------------------------ solving


def solve(
    inst: Instance,
    *,
    time_limit: float = 30.0,
    max_exact_cells: int = MAX_EXACT_CELLS,
    progress: Progress | None = None,
) -> Result:
    """The best plan: exact when the instance is small enough and HiGHS proves it within
    `time_limit` seconds, else the heuristic's plan with a stated gap."""
    check(inst)
    started = time.perf_counter()
    say = progress or (lambda done, total, message: None)
    n, m = inst.dist.shape
    # The heuristic runs first, on at most a quarter of the time: without capacities it stops
    # at its local optimum in milliseconds; with them it is the plan to beat if HiGHS cannot
    # finish, and it must not be starved by HiGHS using up the time.
    say(0, 3, "heuristic")
    try:
        heur = heuristic(inst, time_limit=max(0.5, time_limit / 4))
    except PlacementError as exc:
        # With capacities the heuristic can miss a plan that exists; HiGHS may still find one.
        if exc.code != "no_feasible_plan":
            raise
        heur = None
    exact, status = None, "too_large"
    if n * m <= max_exact_cells:
        say(1, 3, "exact")
        left = max(1.0, time_limit - (time.perf_counter() - started))
        exact = _solve_milp(inst, time_limit=left)
        if exact.status == "optimal":
            exact.seconds = time.perf_counter() - started
            say(3, 3, "done")
            return exact
        if exact.status == "infeasible":
            raise PlacementError("no_feasible_plan")
        status = "time_limit"
    found = [r for r in (heur, exact) if r is not None and r.assign]
    if not found:
        raise PlacementError("no_feasible_plan")
    best = min(found, key=lambda r: r.cost)
    say(2, 3, "bound")
    bound = exact.bound if exact is not None else None
    if bound is None or bound <= 0:
        left = max(1.0, time_limit - (time.perf_counter() - started))
        bound = lagrangian_bound(inst, upper=best.cost, time_limit=left)
    say(3, 3, "done")
    return Result(
        open=best.open,
        assign=best.assign,
        cost=best.cost,
        bound=min(bound, best.cost),
        method=HEURISTIC,
        status=status,
        seconds=time.perf_counter() - started,
    )


def _active(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Clients that weigh something, and the candidates that are not forbidden."""
    clients = np.flatnonzero(inst.weights > 0)
    forbidden = set(inst.forbidden)
    cands = np.array([j for j in range(inst.n_candidates) if j not in forbidden], dtype=int)
    return clients, cands


def _solve_milp(inst: Instance, *, time_limit: float) -> Result:
    started = time.perf_counter()
    clients, cands = _active(inst)
    if len(clients) == 0:
        return _trivial(inst, started)
    d = inst.dist[np.ix_(clients, cands)]
    w = inst.weights[clients].astype(float)
    n, m = d.shape
    nx = n * m
    c = np.concatenate([(w[:, None] * d).ravel(), np.zeros(m)])
    rows_i = np.repeat(np.arange(n), m)
    eye_x = sparse.identity(nx, format="csr")
    # x_ij - y_j <= 0, one row per cell.
    link = sparse.hstack(
        [eye_x, sparse.csr_matrix((-np.ones(nx), (np.arange(nx), np.tile(np.arange(m), n))))]
    )
    served = sparse.csr_matrix((np.ones(nx), (rows_i, np.arange(nx))), shape=(n, nx + m))
    count = sparse.csr_matrix(
        (np.ones(m), (np.zeros(m, dtype=int), nx + np.arange(m))), shape=(1, nx + m)
    )
    constraints = [
        LinearConstraint(served, 1, 1),
        LinearConstraint(link, -np.inf, 0),
        LinearConstraint(count, inst.k, inst.k),
    ]
    capacitated = inst.capacity is not None and np.any(np.isfinite(inst.capacity[cands]))
    if capacitated:
        cap = np.asarray(inst.capacity, dtype=float)[cands]
        finite = np.flatnonzero(np.isfinite(cap))
        load = _capacity_rows(w, cap, finite, n, m)
        constraints.append(LinearConstraint(load, -np.inf, 0))
    lower = np.zeros(nx + m)
    upper = np.ones(nx + m)
    index = {int(j): t for t, j in enumerate(cands)}
    for j in inst.pinned:
        lower[nx + index[j]] = 1
    integrality = np.concatenate([np.full(nx, 1 if capacitated else 0), np.ones(m)])
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        constraints=constraints,
        options={"time_limit": float(time_limit), "mip_rel_gap": 1e-7, "presolve": True},
    )
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(bound) if bound is not None and np.isfinite(bound) else None
    if res.x is None:
        # 2: proven infeasible (capacities that no single-point-per-building plan meets).
        status = "infeasible" if res.status == 2 else "time_limit"
        return Result([], [], math.inf, bound, EXACT, status, time.perf_counter() - started)
    y = res.x[nx:]
    open_local = np.flatnonzero(y > 0.5)
    x = res.x[:nx].reshape(n, m)
    local = np.argmax(x, axis=1)
    open_ = sorted(int(cands[t]) for t in open_local)
    assign = _assign_all(inst, open_, {int(clients[i]): int(cands[local[i]]) for i in range(n)})
    cost = _cost(inst, assign)
    proven = res.status == 0 and (bound is None or cost <= 0 or (cost - bound) / cost <= PROVEN)
    return Result(
        open=open_,
        assign=assign,
        cost=cost,
        bound=cost if proven else bound,
        method=EXACT,
        status="optimal" if proven else "time_limit",
        seconds=time.perf_counter() - started,
    )


def _capacity_rows(w, cap, finite, n, m) -> sparse.csr_matrix:
    """sum_i w_i x_ij - c_j y_j <= 0 for each candidate j with a finite capacity."""
    nx = n * m
    rows, cols, vals = [], [], []
    for r, j in enumerate(finite):
        rows.append(np.full(n, r))
        cols.append(np.arange(n) * m + j)
        vals.append(w)
        rows.append(np.array([r]))
        cols.append(np.array([nx + j]))
        vals.append(np.array([-cap[j]]))
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(finite), nx + m),
    )


def _trivial(inst: Instance, started: float) -> Result:
    """Nobody to serve: open the pinned points and fill up with the first allowed ones."""
    _, cands = _active(inst)
    open_ = list(inst.pinned)
    for j in cands:
        if len(open_) >= inst.k:
            break
        if int(j) not in open_:
            open_.append(int(j))
    open_ = sorted(open_)
    assign = _assign_all(inst, open_, {})
    return Result(open_, assign, 0.0, 0.0, EXACT, "optimal", time.perf_counter() - started)


def _assign_all(inst: Instance, open_: Sequence[int], fixed: dict[int, int]) -> list[int]:
    """Each client's point: as fixed by the solver, else (weightless clients) the nearest open."""
    cols = np.asarray(open_, dtype=int)
    nearest = cols[np.argmin(inst.dist[:, cols], axis=1)]
    return [fixed.get(i, int(nearest[i])) for i in range(inst.n_clients)]


def _cost(inst: Instance, assign: Sequence[int]) -> float:
    idx = np.arange(inst.n_clients)
    return float((inst.weights * inst.dist[idx, np.asarray(assign, dtype=int)]).sum())


# ------------------------------------------------------------------------------ heuristic


def heuristic(inst: Instance, *, time_limit: float = 10.0) -> Result:
    """Greedy adding, then vertex substitution (Teitz-Bart) until no swap improves or time is
    up. With capacities, each open set is judged by a regret assignment that respects them."""
    check(inst)
    started = time.perf_counter()
    deadline = started + time_limit
    if inst.capacity is not None and np.any(np.isfinite(inst.capacity)):
        open_, assign, cost = _capacitated_search(inst, deadline)
    else:
        open_ = _greedy(inst)
        open_ = _substitute(inst, open_, deadline)
        assign = _assign_all(inst, open_, {})
        cost = _cost(inst, assign)
    return Result(
        open=sorted(open_),
        assign=assign,
        cost=cost,
        bound=None,
        method=HEURISTIC,
        status="heuristic",
        seconds=time.perf_counter() - started,
    )


def _greedy(inst: Instance) -> list[int]:
    _, cands = _active(inst)
    w, d = inst.weights.astype(float), inst.dist
    open_ = [int(j) for j in inst.pinned]
    best = d[:, open_].min(axis=1) if open_ else np.full(inst.n_clients, np.inf)
    allowed = np.zeros(inst.n_candidates, dtype=bool)
    allowed[cands] = True
    allowed[open_] = False
    while len(open_) < inst.k:
        with np.errstate(invalid="ignore"):
            totals = (w[:, None] * np.minimum(best[:, None], d)).sum(axis=0)
        totals = np.where(np.isnan(totals), np.inf, totals)
        totals[~allowed] = np.inf
        j = int(np.argmin(totals))
        open_.append(j)
        allowed[j] = False
        best = np.minimum(best, d[:, j])
    return open_


def _nearest_two(d: np.ndarray, open_: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cols = np.asarray(open_, dtype=int)
    sub = d[:, cols]
    if len(cols) == 1:
        return np.zeros(d.shape[0], dtype=int) + cols[0], sub[:, 0], np.full(d.shape[0], np.inf)
    order = np.argpartition(sub, 1, axis=1)[:, :2]
    rows = np.arange(d.shape[0])
    a, b = sub[rows, order[:, 0]], sub[rows, order[:, 1]]
    swap = b < a
    first = np.where(swap, order[:, 1], order[:, 0])
    return cols[first], np.minimum(a, b), np.maximum(a, b)


def _substitute(inst: Instance, open_: list[int], deadline: float) -> list[int]:
    """Swap an open point for a closed one while that lowers the cost (first improvement over
    the open points, best improvement over the closed ones)."""
    _, cands = _active(inst)
    w, d = inst.weights.astype(float), inst.dist
    pinned = set(inst.pinned)
    open_ = list(open_)
    nearest, best, second = _nearest_two(d, open_)
    current = float((w * best).sum())
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for r in [j for j in open_ if j not in pinned]:
            if time.perf_counter() >= deadline:
                break
            closed = np.setdiff1d(cands, open_)
            if len(closed) == 0:
                return open_
            without = np.where(nearest == r, second, best)
            totals = (w[:, None] * np.minimum(without[:, None], d[:, closed])).sum(axis=0)
            t = int(np.argmin(totals))
            if totals[t] < current - 1e-9 * max(1.0, current):
                open_[open_.index(r)] = int(closed[t])
                nearest, best, second = _nearest_two(d, open_)
                current = float((w * best).sum())
                improved = True
    return open_


def regret_assign(inst: Instance, open_: Sequence[int]) -> list[int] | None:
    """Assign each client to an open point with room, the client whose second choice is worst
    going first. None when some client finds no point with room."""
    cap = np.asarray(inst.capacity, dtype=float)
    cols = np.asarray(sorted(open_), dtype=int)
    left = cap[cols].copy()
    w, d = inst.weights.astype(float), inst.dist[:, cols]
    assign = [-1] * inst.n_clients
    todo = np.ones(inst.n_clients, dtype=bool)
    # Weightless clients take no room: they go to the nearest open point at the end.
    todo[w <= 0] = False
    while todo.any():
        idx = np.flatnonzero(todo)
        fits = left[None, :] >= w[idx, None] - 1e-9
        sub = np.where(fits, d[idx], np.inf)
        if sub.shape[1] == 1:
            first, regret = sub[:, 0], np.zeros(len(idx))
        else:
            two = np.partition(sub, 1, axis=1)[:, :2]
            first = two[:, 0]
            with np.errstate(invalid="ignore"):
                regret = np.where(np.isinf(two[:, 1]), np.inf, two[:, 1] - two[:, 0])
        if np.any(np.isinf(first)):
            return None
        # Largest regret first; among equals, the heaviest client.
        pick = int(np.lexsort((-w[idx], -regret))[0])
        i = int(idx[pick])
        t = int(np.argmin(sub[pick]))
        assign[i] = int(cols[t])
        left[t] -= w[i]
        todo[i] = False
    nearest = cols[np.argmin(d, axis=1)]
    return [a if a >= 0 else int(nearest[i]) for i, a in enumerate(assign)]


def _capacitated_search(inst: Instance, deadline: float) -> tuple[list[int], list[int], float]:
    _, cands = _active(inst)
    pinned = set(inst.pinned)
    d = inst.dist
    # Start from the uncapacitated plan, opening the biggest points instead if it lacks room.
    plain = Instance(inst.dist, inst.weights, inst.k, None, inst.pinned, inst.forbidden)
    open_ = _greedy(plain)
    assign = regret_assign(inst, open_)
    if assign is None:
        cap = np.asarray(inst.capacity, dtype=float)
        rest = sorted((int(j) for j in cands if int(j) not in pinned), key=lambda j: -cap[j])
        open_ = list(pinned) + rest[: inst.k - len(pinned)]
        assign = regret_assign(inst, open_)
    cost = _cost(inst, assign) if assign is not None else math.inf
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for r in [j for j in open_ if j not in pinned]:
            closed = [int(j) for j in cands if int(j) not in open_]
            # Only the closed candidates nearest to r: swaps far away rarely pay.
            closed.sort(key=lambda j, r=r: _gap(d, r, j))
            for a in closed[:12]:
                if time.perf_counter() >= deadline:
                    break
                trial = [a if j == r else j for j in open_]
                trial_assign = regret_assign(inst, trial)
                if trial_assign is None:
                    continue
                trial_cost = _cost(inst, trial_assign)
                if trial_cost < cost - 1e-9 * max(1.0, cost):
                    open_, assign, cost, improved = trial, trial_assign, trial_cost, True
                    break
    if assign is None:
        raise PlacementError("no_feasible_plan")
    return open_, assign, cost


def _gap(d: np.ndarray, r: int, j: int) -> float:
    # How differently two candidates serve the clients: a proxy for their distance apart.
    return float(np.abs(d[:, r] - d[:, j]).mean())


# ------------------------------------------------------------------------------ bound


def lagrangian_bound(inst: Instance, *, upper: float, time_limit: float = 5.0) -> float:
    """A lower bound on the (uncapacitated) optimum by subgradient optimisation of the
    Lagrangian dual that relaxes "every client served once". Its limit is the LP relaxation's
    value; every iterate is already a valid bound, so stopping early is safe."""
    started = time.perf_counter()
    clients, cands = _active(inst)
    if len(clients) == 0:
        return 0.0
    c = inst.weights[clients, None] * inst.dist[np.ix_(clients, cands)]
    k = inst.k
    index = {int(j): t for t, j in enumerate(cands)}
    pinned = np.array([index[j] for j in inst.pinned], dtype=int)
    free = np.setdiff1d(np.arange(len(cands)), pinned)
    # Start: each client's price is its second-cheapest service (cheap but a sound start).
    u = np.partition(c, 1, axis=1)[:, 1] if c.shape[1] > 1 else c[:, 0].copy()
    best, theta, stall = 0.0, 2.0, 0  # 0 is a bound already: distances are not negative
    for _it in range(2000):
        reduced = np.minimum(0.0, c - u[:, None])
        rho = reduced.sum(axis=0)
        chosen = np.zeros(len(cands), dtype=bool)
        chosen[pinned] = True
        need = k - len(pinned)
        if need > 0:
            picks = free[np.argpartition(rho[free], need - 1)[:need]] if need < len(free) else free
            chosen[picks] = True
        value = float(u.sum() + rho[chosen].sum())
        if value > best + 1e-9 * max(1.0, best):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2, 0
        g = 1.0 - (reduced[:, chosen] < 0).sum(axis=1)
        norm = float((g * g).sum())
        if norm == 0 or theta < 1e-4 or time.perf_counter() - started > time_limit:
            break
        if upper - best <= 1e-9 * max(1.0, upper):
            break
        u = u + theta * (upper - value) / norm * g
    return best


# ------------------------------------------------------------------------------ slots


def stagger_slots(groups: Sequence[tuple[object, int]], capacity: int) -> dict[object, list[int]]:
    """Give each household of each building a slot index at one pickup point so that no slot
    holds more than `capacity` households, keeping a building in one slot where it fits.

    `groups`: (building key, households) in the order buildings are called down. A building
    that fits goes whole into the earliest slot with room (first fit); a larger one fills as
    few slots as it can (whole new slots, the remainder first fit). Returns, per building,
    the slot index of each of its households in order (ascending)."""
    if capacity < 1:
        raise PlacementError("bad_slot_capacity", capacity=capacity)
    left: list[int] = []
    out: dict[object, list[int]] = {}

    def first_fit(n: int) -> int:
        for s, room in enumerate(left):
            if room >= n:
                left[s] -= n
                return s
        left.append(capacity - n)
        return len(left) - 1

    for key, count in groups:
        slots: list[int] = []
        whole, rest = divmod(int(count), capacity)
        if rest == 0 and whole:
            whole, rest = whole - 1, capacity
        for _ in range(whole):
            left.append(0)
            slots += [len(left) - 1] * capacity
        if rest:
            slots += [first_fit(rest)] * rest
        out[key] = sorted(slots)
    return out
