"""`python -m bench.routing` runs the same engine on a Solomon instance and ends on one JSON
line with the gap to the best-known distance."""

import json

import pytest

from bench import routing

needs_data = pytest.mark.skipif(
    not (routing.PROBLEMS / "c101.txt").exists(), reason="../shared/benchmarks not present"
)


@needs_data
def test_bench_reads_solomon_and_prints_the_gap(capsys):
    assert routing.main(["--seconds", "0.5", "c101"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    (row,) = summary["instances"]
    assert row["instance"] == "c101" and row["customers"] == 100
    assert row["feasible"] and row["vehicles"] >= 10
    # Half a second is enough to be within a few percent of 827.3, never below it.
    assert 827.3 <= row["distance"] < 827.3 * 1.05
    assert summary["average_gap_pct"] == row["gap_pct"] >= 0


@needs_data
def test_solomon_convention_truncates_to_one_decimal():
    problem = routing.problem_from_solomon(routing.PROBLEMS / "c101.txt")
    assert problem.precision == 10 and problem.speed == 1
    assert (problem.opens, problem.closes) == (0, 1236)
    assert len(problem.vehicles) == 25 and problem.vehicles[0].capacity == 200
