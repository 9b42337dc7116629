"""bench.placement reads OR-Library the way OR-Library means it and solves it with the engine."""

import numpy as np
import pytest

from bench import placement as bench


def test_the_last_listed_duplicate_edge_wins_then_shortest_paths(tmp_path):
    path = tmp_path / "tiny.txt"
    # 1-2 is listed twice (as 2-1 the second time): the later cost, 7, counts, not the cheaper 1.
    path.write_text("3 3 1\n1 2 1\n2 3 2\n2 1 7\n")
    dist, p = bench.read_pmed(path)
    assert p == 1
    assert dist[0, 1] == 7 and dist[1, 0] == 7
    assert dist[0, 2] == 9  # 1 -> 2 -> 3
    assert np.allclose(dist, dist.T)


@pytest.mark.skipif(not (bench.DATA / "pmed1.txt").exists(), reason="benchmark data not present")
def test_pmed1_is_solved_to_its_known_optimum(capsys):
    assert bench.main(["pmed1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"cost": 5819.0' in last and '"gap_pct": 0.0' in last
