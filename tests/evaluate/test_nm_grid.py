"""N x M from one pass equals the closed-form expectation on scripted copies."""
from math import comb

import numpy as np
import pytest

from numina_exp.evaluate.nm_grid import compute_grid, grid_markdown, problem_grid, write_grid


def _copies(spec):
    """spec: list of (answer or None, finish_step or None, status)."""
    return [{"copy": i, "status": st, "answer": None if a is None else str(a), "finish_step": s}
            for i, (a, s, st) in enumerate(spec)]


def closed_form(spec, n, m, gold, none_correct=False):
    """Exact P(vote correct) for a uniform n-subset truncated at depth m, when only `gold` and one wrong
    value occur and every gold copy precedes every wrong copy in the pool (ties -> gold)."""
    N = len(spec)
    A = sum(1 for a, s, st in spec if st == "answered" and s < m and a == gold)
    B = sum(1 for a, s, st in spec if st == "answered" and s < m and a != gold)
    Z = N - A - B
    p = 0.0
    for a in range(0, min(A, n) + 1):
        for b in range(0, min(B, n - a) + 1):
            z = n - a - b
            if z > Z:
                continue
            w = comb(A, a) * comb(B, b) * comb(Z, z) / comb(N, n)
            if a == 0 and b == 0:
                p += w * none_correct
            elif a >= b:
                p += w
    return p


def test_grid_matches_closed_form():
    # 12 copies: gold 5 answered at steps 0..1, wrong 9 at steps 1..3 (after the gold ones in pool order),
    # plus discarded and unfinished copies.
    spec = [(5, 0, "answered"), (5, 0, "answered"), (5, 1, "answered"), (5, 1, "answered"),
            (9, 1, "answered"), (9, 2, "answered"), (9, 2, "answered"), (9, 3, "answered"), (9, 3, "answered"),
            (None, 1, "discarded"), (None, None, "unfinished"), (None, 0, "discarded")]
    copies = _copies(spec)
    ns = list(range(1, 13))
    grid = problem_grid(copies, lambda rep: rep == 5, False, ns, 4, draws=4000, rng=np.random.default_rng(0),
                        key=lambda a: int(a))
    for i, n in enumerate(ns):
        for m in range(1, 5):
            exact = closed_form(spec, n, m, 5)
            # binomial standard error of a mean of 4000 draws is at most 0.008: 4 sigma
            assert grid[i, m - 1] == pytest.approx(exact, abs=0.032), (n, m)
    # the full cell (all copies, full depth) is the run itself, no sampling noise: 4 gold vs 5 wrong -> wrong
    assert grid[-1, -1] == 0.0
    assert grid[-1, 2] == 1.0  # depth 3: 4 gold vs 3 wrong


def test_compute_grid_over_records_and_outputs(tmp_path):
    recs = []
    for k in range(6):
        spec = [(k, 0, "answered")] * 3 + [(k + 1, 1, "answered")] * 2 + [(None, None, "unfinished")]
        recs.append({"seed": 0, "problem_id": str(k), "gold": str(k), "copies": _copies(spec)})
    g1 = compute_grid(recs, kind="integer", m_max=3, draws=50, seed=3)
    g2 = compute_grid(recs, kind="integer", m_max=3, draws=50, seed=3)
    assert g1 == g2  # seeded
    assert g1["ns"] == [1, 2, 3, 4, 5, 6] and g1["ms"] == [1, 2, 3]
    assert g1["accuracy"][-1] == [1.0, 1.0, 1.0]  # 3 gold at step 0 vs 2 wrong at step 1
    assert g1["accuracy"][0][0] == pytest.approx(0.5, abs=0.2)  # n=1, m=1: 3 of 6 copies give the gold
    files = write_grid(g1, tmp_path)
    assert files["png"].stat().st_size > 1000 and "| n \\ m |" in grid_markdown(g1)
