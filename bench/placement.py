"""Solve OR-Library p-median instances with the engine that plans the pickup points, and
compare with the proven optima.

    .venv/bin/python -m bench.placement [--seconds S] [--heuristic] [NAME ...]

NAME such as pmed3 (default: pmed1-pmed5), read from ../shared/benchmarks/orlib_pmed (relative
to the repository root). Parsing follows OR-Library's rule: the first line is "n edges p", then
one "i j cost" line per undirected edge; an edge listed twice keeps the LAST cost listed; the
distance matrix is then all-pairs shortest paths. Every vertex is both a client (weight 1) and
a candidate, as in Beasley's instances. --heuristic runs the fallback alone (greedy + vertex
substitution, gap against the Lagrangian/LP bound) to show what it gives.

Prints one line per instance, then one JSON object on the last line.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from linli.supplies.placement_engine import Instance, heuristic, lagrangian_bound, solve

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks" / "orlib_pmed"
OPTIMA = {"pmed1": 5819, "pmed2": 4093, "pmed3": 4250, "pmed4": 3034, "pmed5": 1355}


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """The instance's all-pairs distance matrix and p."""
    tokens = path.read_text().split()
    n, m, p = int(tokens[0]), int(tokens[1]), int(tokens[2])
    edges: dict[tuple[int, int], float] = {}
    values = tokens[3 : 3 + 3 * m]
    for e in range(m):
        i, j, cost = int(values[3 * e]) - 1, int(values[3 * e + 1]) - 1, float(values[3 * e + 2])
        # The same edge listed again (either way round) replaces the earlier cost.
        edges[(min(i, j), max(i, j))] = cost
    rows = [a for a, _b in edges] + [b for _a, b in edges]
    cols = [b for _a, b in edges] + [a for a, _b in edges]
    costs = list(edges.values()) * 2
    graph = csr_matrix((costs, (rows, cols)), shape=(n, n))
    dist = shortest_path(graph, method="D", directed=False)
    return dist, p


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(OPTIMA))
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per instance")
    parser.add_argument("--heuristic", action="store_true", help="the fallback heuristic alone")
    args = parser.parse_args(argv)
    rows = []
    for name in args.names:
        dist, p = read_pmed(DATA / f"{name}.txt")
        inst = Instance(dist=dist, weights=np.ones(dist.shape[0]), k=p)
        started = time.perf_counter()
        if args.heuristic:
            result = heuristic(inst, time_limit=args.seconds)
            result.bound = lagrangian_bound(inst, upper=result.cost, time_limit=args.seconds)
        else:
            result = solve(inst, time_limit=args.seconds)
        seconds = time.perf_counter() - started
        optimum = OPTIMA.get(name)
        gap = (result.cost - optimum) / optimum if optimum else None
        row = {
            "instance": name,
            "n": int(dist.shape[0]),
            "p": p,
            "cost": round(result.cost, 3),
            "optimum": optimum,
            "gap_pct": round(100 * gap, 3) if gap is not None else None,
            "method": result.method,
            "status": result.status,
            "bound_gap_pct": round(100 * result.gap, 3) if result.gap is not None else None,
            "seconds": round(seconds, 3),
        }
        rows.append(row)
        print(
            f"{name:7} n={row['n']:<4} p={p:<3} cost={result.cost:<8g} optimum={optimum} "
            f"gap={row['gap_pct']}% method={result.method} ({result.status}) "
            f"bound-gap={row['bound_gap_pct']}% {seconds:.2f}s",
            flush=True,
        )
    known = [r for r in rows if r["gap_pct"] is not None]
    summary = {
        "benchmark": "placement",
        "mode": "heuristic" if args.heuristic else "engine",
        "instances": rows,
        "all_optimal": all(r["gap_pct"] == 0 for r in known),
        "mean_gap_pct": round(sum(r["gap_pct"] for r in known) / len(known), 3) if known else None,
        "total_seconds": round(sum(r["seconds"] for r in rows), 3),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
