"""Assign 2,000 open tasks to 500 workers on a 1 km site with the dispatch engine, and compare
with a greedy nearest-worker plan on the same input.

    .venv/bin/python -m bench.dispatch [--tasks 2000] [--workers 500] [--seed 3]

No database: the engine is fed plain data, built with a fixed seed to look like a locked-down
old estate - tasks at buildings, workers living in them (cadres and staff at their grid's
office), mixed skills, priorities and hour caps, some workers close to their cap already.
Prints progress lines, then one JSON object on the last line.
"""

import argparse
import json
import math
import random
import sys
import time

from linli.taskpool.dispatch_engine import Params, TaskIn, WorkerIn, build, solve, violations

SITE_M = 1000
# (kind, share, skill, minutes) - the task pool of a lockdown week.
KINDS = [
    ("delivery", 0.38, "", 30),
    ("medicine", 0.15, "", 30),
    ("check_visit", 0.20, "", 20),
    ("escort", 0.06, "driving", 120),
    ("disinfection", 0.08, "disinfection", 60),
    ("counselling", 0.05, "counselling", 40),
    ("pest", 0.05, "", 45),
    ("other", 0.03, "", 30),
]
PRIORITY = [(1, 0.10), (2, 0.20), (3, 0.50), (4, 0.20)]
# (force, count per 500, weekly cap in hours, skill odds)
FORCES = [
    ("staff", 14, 40, {"driving": 0.2, "counselling": 0.1, "disinfection": 0.2}),
    ("grid_worker", 24, 40, {"driving": 0.2, "counselling": 0.05, "disinfection": 0.2}),
    ("cadre", 40, 40, {"driving": 0.25, "counselling": 0.05}),
    ("property", 20, 40, {"driving": 0.1, "disinfection": 0.8}),
    ("volunteer", 340, 20, {"driving": 0.04, "counselling": 0.02, "disinfection": 0.05}),
    ("building_leader", 62, 15, {"driving": 0.02}),
]


def pick(rng, weighted):
    r, acc = rng.random(), 0.0
    for value, share in weighted:
        acc += share
        if r < acc:
            return value
    return weighted[-1][0]


def instance(n_tasks: int, n_workers: int, seed: int):
    rng = random.Random(seed)
    # ~150 buildings in 8 grids, on a jittered lattice like an old estate.
    buildings = []
    for i in range(150):
        gx, gy = i % 15, i // 15
        x = (gx + 0.5) * SITE_M / 15 + rng.uniform(-15, 15)
        y = (gy + 0.5) * SITE_M / 10 + rng.uniform(-15, 15)
        buildings.append((x, y, (gx // 4) + 4 * (gy // 5)))
    grids = {}
    for x, y, g in buildings:
        grids.setdefault(g, []).append((x, y))
    centres = {
        g: (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps))
        for g, ps in grids.items()
    }

    tasks = []
    kinds = [(k, share) for k, share, _s, _m in KINDS]
    spec = {k: (s, m) for k, _share, s, m in KINDS}
    for t in range(n_tasks):
        kind = pick(rng, kinds)
        skill, minutes = spec[kind]
        x, y, _g = rng.choice(buildings)
        tasks.append(
            TaskIn(
                id=t + 1,
                x=x + rng.uniform(-5, 5),
                y=y + rng.uniform(-5, 5),
                priority=pick(rng, PRIORITY),
                skill=skill,
                minutes=int(minutes * rng.choice([0.5, 1, 1, 1, 1.5])),
            )
        )

    workers = []
    scale = n_workers / sum(f[1] for f in FORCES)
    for force, count, cap_h, odds in FORCES:
        for _i in range(max(1, round(count * scale))):
            if force in ("staff", "grid_worker", "cadre"):
                x, y = centres[rng.choice(list(centres))]
            else:
                x, y, _g = rng.choice(buildings)
            skills = frozenset(s for s, p in odds.items() if rng.random() < p)
            # Minutes already given this week (Thursday): some are close to their cap.
            worked = int(cap_h * 60 * min(1.0, rng.betavariate(4, 2)))
            load = rng.choice([0, 0, 0, 1, 1, 2, 3])
            live = sum(rng.choice([20, 30, 45]) for _ in range(load))
            workers.append(
                WorkerIn(
                    id=len(workers) + 1,
                    x=x,
                    y=y,
                    skills=skills,
                    minutes_left=max(0, cap_h * 60 - worked - live),
                    load=load,
                    force=force,
                )
            )
    return tasks[:n_tasks], workers[:n_workers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=3)
    options = parser.parse_args()

    tasks, workers = instance(options.tasks, options.workers, options.seed)
    size = f"{len(tasks)} open tasks, {len(workers)} workers, {SITE_M} m site"
    print(f"instance: {size}, seed {options.seed}", flush=True)
    params = Params()
    started = time.perf_counter()
    proposal, greedy = solve(tasks, workers, params)
    wall = time.perf_counter() - started
    problem = build(tasks, workers, params)
    index_t = {t.id: i for i, t in enumerate(tasks)}
    index_w = {w.id: i for i, w in enumerate(workers)}

    def as_index(result):
        return {index_t[t]: index_w[w] for t, w in result.mapping().items()}

    bad = violations(problem, as_index(proposal)) + violations(problem, as_index(greedy))

    def walked(result):
        return sum(i.distance for i in result.items if i.worker_id is not None)

    def left_open(result, priority):
        open_ids = {i.task_id for i in result.items if i.worker_id is None}
        return sum(1 for t in tasks if t.id in open_ids and t.priority == priority)

    ratio = proposal.total_cost / greedy.total_cost if greedy.total_cost else 1.0
    print(f"assignment: {wall:.2f} s ({proposal.rounds} rounds, method {proposal.method})")
    for name, r in (("proposal", proposal), ("greedy", greedy)):
        print(
            f"  {name}: cost {r.total_cost:,.0f}, assigned {r.assigned}, walked {walked(r):,.0f} m"
        )
    print(f"greedy: {greedy.seconds:.2f} s")
    print(f"ratio (proposal / greedy): {ratio:.4f}; caps and skills respected: {not bad}")
    for line in bad[:5]:
        print("  VIOLATION", line)
    result = {
        "bench": "dispatch",
        "tasks": len(tasks),
        "workers": len(workers),
        "seed": options.seed,
        "seconds": round(wall, 3),
        "rounds": proposal.rounds,
        "method": proposal.method,
        "cost": round(proposal.total_cost, 1),
        "greedy_cost": round(greedy.total_cost, 1),
        "greedy_seconds": round(greedy.seconds, 3),
        "ratio": round(ratio, 4),
        "assigned": proposal.assigned,
        "greedy_assigned": greedy.assigned,
        "walked_m": round(walked(proposal)),
        "greedy_walked_m": round(walked(greedy)),
        "urgent_left_open": left_open(proposal, 1),
        "greedy_urgent_left_open": left_open(greedy, 1),
        "cap_ok": not bad,
    }
    print(json.dumps(result))
    if bad or not math.isfinite(proposal.total_cost):
        sys.exit(1)


if __name__ == "__main__":
    main()
