"""Door-delivery routing on the Solomon VRPTW instances, with the SAME engine that plans the
community's routes (linli.delivery.engine), and the gap to the best-known distances.

    .venv/bin/python -m bench.routing [--seconds 30] [NAME ...]

NAME is an instance such as r105 (default: c101 r101 rc101 c201 r201 rc201), read from
../shared/benchmarks/solomon/problems with vrplib. The convention is the exact-methods one the
benchmarks README names: distance is the only objective (no cost per vehicle), Euclidean
distances and travel times truncated to one decimal (the engine's precision 10), every
customer required, the fleet of the instance, every route inside the depot's opening hours.
Prints one line per instance, then one JSON object on the last line.
"""

import argparse
import json
import sys
from pathlib import Path

import vrplib

from linli.delivery.engine import Problem, Stop, Vehicle, solve

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT.parent / "shared" / "benchmarks" / "solomon" / "problems"
DEFAULT = ["c101", "r101", "rc101", "c201", "r201", "rc201"]
# ../shared/benchmarks/README.md: distance-only, Euclidean truncated to 0.1.
BEST_KNOWN = {
    "c101": (827.3, 10),
    "r101": (1637.7, 20),
    "rc101": (1619.8, 15),
    "c201": (589.1, 3),
    "r201": (1143.2, 8),
    "rc201": (1261.8, 9),
}


def problem_from_solomon(path: Path) -> Problem:
    data = vrplib.read_instance(str(path), instance_format="solomon")
    coords, demand = data["node_coord"], data["demand"]
    windows, service = data["time_window"], data["service_time"]
    stops = [
        Stop(
            key=i,
            x=float(coords[i][0]),
            y=float(coords[i][1]),
            demand=int(demand[i]),
            earliest=float(windows[i][0]),
            latest=float(windows[i][1]),
            service=float(service[i]),
        )
        for i in range(1, len(coords))
    ]
    vehicles = [Vehicle(key=v, capacity=int(data["capacity"])) for v in range(data["vehicles"])]
    return Problem(
        depot_x=float(coords[0][0]),
        depot_y=float(coords[0][1]),
        stops=stops,
        vehicles=vehicles,
        speed=1.0,
        precision=10,
        opens=float(windows[0][0]),
        closes=float(windows[0][1]),
    )


def run(name: str, seconds: float, seed: int) -> dict:
    path = PROBLEMS / f"{name.lower()}.txt"
    if not path.exists():
        raise SystemExit(f"no instance {name} at {path}")
    problem = problem_from_solomon(path)
    plan = solve(problem, seconds=seconds, seed=seed)
    row = {
        "instance": name.lower(),
        "customers": len(problem.stops),
        "distance": round(plan.distance, 1),
        "vehicles": plan.vehicles_used,
        "feasible": plan.feasible and not plan.unplanned,
        "seconds": round(plan.seconds, 2),
        "iterations": plan.iterations,
    }
    best = BEST_KNOWN.get(name.lower())
    if best:
        row["best_known"], row["best_known_vehicles"] = best
        row["gap_pct"] = round(100 * (plan.distance - best[0]) / best[0], 3)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", default=DEFAULT)
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit per instance")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    for name in args.names or DEFAULT:
        row = run(name, args.seconds, args.seed)
        rows.append(row)
        gap = f"{row['gap_pct']:+.2f}%" if "gap_pct" in row else "n/a"
        print(
            f"{row['instance']:>6}  distance {row['distance']:>8.1f}  vehicles {row['vehicles']:>2}"
            f"  {row['seconds']:>5.1f} s  gap {gap}" + ("" if row["feasible"] else "  INFEASIBLE"),
            flush=True,
        )
    gaps = [r["gap_pct"] for r in rows if "gap_pct" in r]
    summary = {
        "benchmark": "routing",
        "convention": "distance only, Euclidean truncated to 0.1",
        "seconds_per_instance": args.seconds,
        "instances": rows,
        "average_gap_pct": round(sum(gaps) / len(gaps), 3) if gaps else None,
        "all_feasible": all(r["feasible"] for r in rows),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
