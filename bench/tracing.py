"""Contact tracing on a synthetic city, with the SAME engine the tracing jobs run
(linli.tracing.engine), and the same query on SQLite as the baseline.

    .venv/bin/python -m bench.tracing [--checkins 10000000] [--people 1000000] [--places 10000]
        [--index 1000] [--days 14] [--seed 0] [--sqlite-rows 1000000] [--second-hop] [--quick]

The city: place popularity and personal activity lognormal, stays lognormal (median 30 min,
clipped to 2 min - 12 h), entries spread over the days with morning, noon and evening peaks,
5% of check-ins with no exit recorded (the engine gives them the default stay), households of
1-5 people linked together, 1% of people with a recorded direct contact. The index cases are
people drawn at random, each infectious for the whole period (the heaviest case).

Reported: generation time (numpy, then Parquet sorted by place and entry); load time (the
check-ins and links Parquet into DuckDB's memory, once per job); first-hop time (the queries
and the list of Contact objects; wall clock, and CPU seconds of all threads, which other work
on the machine inflates less), then again --repeat times on the same store; contacts found;
the process's peak RSS over the load and the first hop (the high-water mark is reset first, so
the generation does not count; it includes the interpreter and the libraries); with
--second-hop, the second hop (cap 5000) after those. Then DuckDB and SQLite on the first
--sqlite-rows check-ins of the sorted file (every check-in at the first places, so each place
keeps its full density): both first-hop times, the ratio, and whether the contacts are
identical. Prints lines for people, then one JSON object on the last line.
"""

import argparse
import json
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from linli.tracing.engine import DuckDBStore, SQLiteStore, TraceParams

START = 1_648_742_400  # 2022-04-01 00:00 +08:00, the epoch-seconds origin of the city
DAY = 86_400


def generate(args, folder: Path) -> tuple[Path, Path, list[tuple[int, int, int]]]:
    """Write the city's check-ins and links to Parquet; return their paths and the index cases."""
    rng = np.random.default_rng(args.seed)
    n = args.checkins
    popularity = rng.lognormal(0.0, 1.0, args.places)
    activity = rng.lognormal(0.0, 0.5, args.people)
    place = _draw(rng, popularity, n)
    person = _draw(rng, activity, n)
    del popularity, activity
    # Morning, noon and evening peaks (hours), a day drawn uniformly.
    peak = rng.choice(3, size=n, p=[0.3, 0.3, 0.4])
    hour = np.array([9.0, 12.5, 18.0])[peak] + rng.normal(0, 1.8, n)
    del peak
    hour = np.clip(hour, 6, 23)
    entered = START + rng.integers(0, args.days, n) * DAY + (hour * 3600).astype(np.int64)
    del hour
    stay = np.clip(rng.lognormal(np.log(1800), 0.8, n), 120, 12 * 3600).astype(np.int64)
    left = entered + stay
    del stay
    no_exit = rng.random(n) < 0.05
    order = np.lexsort((entered, place))
    table = pa.table(
        {
            "person_id": person[order],
            "place_id": place[order],
            "entered_at": entered[order],
            "left_at": pa.array(left[order], mask=no_exit[order]),
        }
    )
    del person, place, entered, left, no_exit, order
    checkins = folder / "checkins.parquet"
    pq.write_table(table, checkins, row_group_size=1 << 20)
    del table

    links = folder / "links.parquet"
    pq.write_table(_links(rng, args), links)
    index = rng.choice(args.people, size=min(args.index, args.people), replace=False)
    until = START + args.days * DAY
    cases = [(int(p), START, until) for p in np.sort(index)]
    return checkins, links, cases


def _draw(rng, weights: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(weights)
    return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").astype(np.int64)


def _links(rng, args) -> pa.Table:
    """Households of consecutive people (sizes 1-5), everyone linked with everyone at home, and
    a recorded direct contact for 1% of people."""
    sizes = rng.choice([1, 2, 3, 4, 5], size=args.people, p=[0.2, 0.3, 0.25, 0.15, 0.1])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    keep = starts[1:] <= args.people
    starts, sizes = starts[:-1][keep], sizes[keep]
    a_parts, b_parts = [], []
    for size in range(2, 6):
        first = starts[sizes == size]
        for i in range(size):
            for j in range(i + 1, size):
                a_parts.append(first + i)
                b_parts.append(first + j)
    home_a, home_b = np.concatenate(a_parts), np.concatenate(b_parts)
    n_direct = args.people // 100
    direct_a = rng.integers(0, args.people, n_direct)
    direct_b = rng.integers(0, args.people, n_direct)
    direct_at = START + rng.integers(0, args.days * DAY, n_direct)
    n_home = len(home_a)
    return pa.table(
        {
            "person_a": np.concatenate([home_a, direct_a]).astype(np.int64),
            "person_b": np.concatenate([home_b, direct_b]).astype(np.int64),
            "kind": pa.array(["household"] * n_home + ["direct"] * n_direct),
            "at": pa.array(
                np.concatenate([np.zeros(n_home, np.int64), direct_at]),
                mask=np.arange(n_home + n_direct) < n_home,
            ),
        }
    )


def rss_reset() -> bool:
    """Reset the kernel's peak-RSS mark for this process (Linux); False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    """CPU time of this process, every thread (DuckDB's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def subset(source: Path, target: Path, rows: int) -> None:
    con = duckdb.connect()
    # COPY takes no parameter for its target: a path of our own temporary folder.
    con.execute(
        "COPY (SELECT * FROM read_parquet($src) ORDER BY place_id, entered_at LIMIT $n)"  # noqa: S608
        f" TO '{target}' (FORMAT parquet)",
        {"src": str(source), "n": rows},
    )
    con.close()


def sqlite_store(path: Path, links: Path) -> tuple[SQLiteStore, float]:
    """The subset in an in-memory SQLite database; the seconds to copy it in and index it."""
    started = time.perf_counter()
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE checkins (person_id INTEGER, place_id INTEGER,"
        " entered_at INTEGER, left_at INTEGER)"
    )
    for batch in pq.ParquetFile(path).iter_batches(batch_size=100_000):
        cols = [batch.column(i).to_pylist() for i in range(4)]
        conn.executemany("INSERT INTO checkins VALUES (?, ?, ?, ?)", zip(*cols, strict=True))
    store = SQLiteStore(conn, links=links)
    return store, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkins", type=int, default=10_000_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--places", type=int, default=10_000)
    parser.add_argument("--index", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000)
    parser.add_argument("--second-hop", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="first hop runs after the first")
    parser.add_argument("--quick", action="store_true", help="a city 1/20 the size, in seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.checkins, args.people, args.places = 500_000, 50_000, 500
        args.index, args.sqlite_rows = 50, 100_000
    first_only = TraceParams()
    threads = os.cpu_count()
    out = {"benchmark": "tracing", "threads": threads, **vars(args)}
    # Other work on the machine slows every figure; this says how busy it was.
    out["load_average_at_start"] = round(os.getloadavg()[0], 2)

    with tempfile.TemporaryDirectory(prefix="linli-tracing-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        checkins, links, cases = generate(args, folder)
        out["generate_seconds"] = round(time.perf_counter() - started, 2)
        out["parquet_mb"] = round(checkins.stat().st_size / 2**20, 1)
        print(
            f"generated {args.checkins:,} check-ins, {args.people:,} people, "
            f"{args.places:,} places in {out['generate_seconds']} s",
            flush=True,
        )

        out["peak_rss_measured"] = "load and first hop" if rss_reset() else "whole process"
        out["rss_before_load_mb"] = round(rss_mb("VmRSS"), 1)
        store = DuckDBStore(checkins, links=links, threads=threads)
        cpu = cpu_seconds()
        result = store.trace(cases, params=first_only)
        out["first_hop_cpu_seconds"] = round(cpu_seconds() - cpu, 3)
        out["peak_rss_mb"] = round(rss_mb("VmHWM"), 1)
        out["load_seconds"] = result.timings["load"]
        out["first_hop_seconds"] = result.timings["first_hop"]
        out["first_hop_rows"] = len(result.contacts)
        out["first_hop_people"] = len(result.people(hop=1))
        out["first_hop_by_kind"] = {
            kind: sum(1 for c in result.contacts if c.kind == kind)
            for kind in ("place", "household", "direct")
        }
        print(
            f"DuckDB: load (check-ins and links) {out['load_seconds']} s, "
            f"first hop {out['first_hop_seconds']} s ({out['first_hop_cpu_seconds']} s CPU), "
            f"{out['first_hop_people']:,} people ({out['first_hop_rows']:,} rows), "
            f"peak RSS {out['peak_rss_mb']} MB ({out['peak_rss_measured']})",
            flush=True,
        )
        again = [
            store.trace(cases, params=first_only).timings["first_hop"] for _ in range(args.repeat)
        ]
        if again:
            out["first_hop_again_seconds"] = again
            out["first_hop_median_seconds"] = statistics.median([out["first_hop_seconds"], *again])
            print(f"first hop again: {again} s", flush=True)

        if args.second_hop:
            both = store.trace(cases, params=TraceParams(second_hop=True))
            out["second_hop_seconds"] = both.timings["second_hop"]
            out["second_hop_people"] = len(both.people(hop=2))
            out["second_hop_capped"] = both.second_hop_capped
            out["peak_rss_with_second_hop_mb"] = round(rss_mb("VmHWM"), 1)
            print(
                f"second hop {out['second_hop_seconds']} s, {out['second_hop_people']:,} people"
                + (" (capped)" if out["second_hop_capped"] else ""),
                flush=True,
            )
        del store, result

        small = folder / "subset.parquet"
        subset(checkins, small, args.sqlite_rows)
        duck = DuckDBStore(small, links=links, threads=threads)
        duck_result = duck.trace(cases, params=first_only)
        lite, lite_load = sqlite_store(small, links)
        lite_result = lite.trace(cases, params=first_only)
        out["subset_rows"] = duck.count()
        out["subset_duckdb_load_seconds"] = duck_result.timings["load"]
        out["subset_duckdb_seconds"] = duck_result.timings["first_hop"]
        out["subset_sqlite_seconds"] = lite_result.timings["first_hop"]
        out["subset_sqlite_load_seconds"] = round(lite_load, 2)
        out["subset_contacts"] = len(duck_result.contacts)
        out["sqlite_over_duckdb"] = round(
            lite_result.timings["first_hop"] / max(duck_result.timings["first_hop"], 1e-9), 1
        )
        out["identical"] = duck_result.contacts == lite_result.contacts
        print(
            f"subset of {out['subset_rows']:,} check-ins: DuckDB {out['subset_duckdb_seconds']} s, "
            f"SQLite {out['subset_sqlite_seconds']} s (x{out['sqlite_over_duckdb']}), "
            f"{out['subset_contacts']:,} contacts, identical: {out['identical']}",
            flush=True,
        )
    print(json.dumps(out, ensure_ascii=False))
    return 0 if out["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
