"""N x M from one pass equals the closed-form expectation on scripted copies."""
from math import comb

import numpy as np
import pytest

from numina_exp.evaluate.nm_grid import compute_grid, problem_grid
from numina_exp.report.nm_grid_view import grid_markdown, write_grid


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
    grid = problem_grid(copies, lambda rep: rep == 5, False, ns, 4, draws=4000, rng=np.random.default_rng(0))
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


def _full_cell(spec, gold, *overrides):
    from helpers import compose_cfg
    from omegaconf import OmegaConf

    dcfg = OmegaConf.merge(compose_cfg(["decoding=sc_tir_numina"]), OmegaConf.from_dotlist(list(overrides))).decoding
    grid = compute_grid([{"seed": 0, "problem_id": "p", "gold": gold, "copies": _copies(spec)}], kind="integer",
                        m_max=2, draws=3, seed=0, dcfg=dcfg)
    return grid["accuracy"][-1][-1]


def test_grid_votes_with_the_runs_tie_break_and_integer_mode():
    # one vote each for 9 (first in the pool) and 5 (gold): first_seen picks 9, smallest picks 5
    tie = [(9, 0, "answered"), (5, 1, "answered")]
    assert _full_cell(tie, "5") == 0.0
    assert _full_cell(tie, "5", "decoding.tie_break=smallest") == 1.0
    # two copies answer 5.5 (6 when rounded, dropped under strict), one answers 7; gold 6
    halves = [("5.5", 0, "answered"), ("5.5", 0, "answered"), (7, 1, "answered")]
    assert _full_cell(halves, "6") == 1.0
    assert _full_cell(halves, "6", "decoding.integer_mode=strict") == 0.0


# --- cross-check against real re-decoding: the decoder over the replay backend at smaller n and m ---------

class _FixedOrder:
    """An rng whose only permutation is the given one: the grid's draw becomes one chosen subset."""

    def __init__(self, perm):
        self.perm = np.asarray(perm)

    def permutation(self, n):
        assert n == len(self.perm)
        return self.perm


@pytest.mark.parametrize("tie_break", ["first_seen", "smallest"])
def test_grid_cells_equal_real_re_decoding_of_every_subset_and_depth(tie_break):
    """Record one sc_tir_numina pass at N=5, M=4 (the real decoder over replayed texts), then for EVERY
    subset of the copies and every depth m re-decode for real at width |subset| and depth m from a replay
    file holding only those copies (in their order): the grid's cell for that subset and m must equal the
    re-decoded result problem by problem; the grid's bootstrap mean must match the exact mean over all
    subsets."""
    from itertools import combinations

    from eval_scripted import replay_lines
    from helpers import compose_cfg
    from omegaconf import OmegaConf

    from numina_exp.decode import make_decoder
    from numina_exp.evaluate.seed_loop import default_grade, grade_record
    from numina_exp.generate.replay import ReplayBackend

    N, M = 5, 4
    rows = [{"id": f"p{i}", "problem": f"Problem {i}?", "answer": str(g)}
            for i, g in enumerate([7, 11, 13, 42, 5, 100])]
    lines = replay_lines(rows, n=N, m=M, p_correct=0.45)
    base = compose_cfg(["decoding=sc_tir_numina", "backend=replay", "backend.path=unused.jsonl",
                        f"decoding.tie_break={tie_break}"])

    cfgs = {}

    def decode(recs, n, m):
        if (n, m) not in cfgs:
            cfgs[n, m] = OmegaConf.merge(base, OmegaConf.from_dotlist([f"decoding.n={n}", f"decoding.m={m}"]))
        dec = make_decoder(cfgs[n, m], backend=ReplayBackend(records=recs), executor=_NoExecutor())
        by_id = {r["id"]: r for r in rows}
        return {res.problem_id: grade_record(res.to_json(), by_id[res.problem_id], 0, "integer", default_grade)
                for res in dec.decode(rows, seed=0)}

    full = decode(lines, N, M)
    exact = np.zeros((N, M))
    varied = set()
    for n in range(1, N + 1):
        subsets = list(combinations(range(N), n))
        for subset in subsets:
            remap = {old: new for new, old in enumerate(subset)}
            recs = [{**r, "copy": remap[r["copy"]]} for r in lines if r["copy"] in remap]
            perm = list(subset) + [c for c in range(N) if c not in subset]
            for m in range(1, M + 1):
                real = decode(recs, n, m)
                for pid, rec in full.items():
                    gold = rec["gold"]
                    cell = problem_grid(rec["copies"], lambda rep, g=gold: default_grade(rep, g, "integer"),
                                        default_grade(0, gold, "integer"), [n], M, draws=1, rng=_FixedOrder(perm),
                                        dcfg=cfgs[N, M].decoding)[0, m - 1]
                    assert cell == float(real[pid]["correct"]), (pid, subset, m, real[pid]["answer"])
                    exact[n - 1, m - 1] += real[pid]["correct"] / (len(subsets) * len(rows))
                    varied.add((pid, real[pid]["correct"]))
    assert len(varied) > len(rows)  # some problems are right for some subsets and wrong for others
    grid = compute_grid(list(full.values()), kind="integer", m_max=M, draws=800, seed=1, dcfg=cfgs[N, M].decoding)
    # bootstrap noise: a cell's standard error is at most 0.5 / sqrt(800) = 0.018; 3 sigma
    assert np.allclose(grid["accuracy"], exact, atol=0.055), (np.round(grid["accuracy"], 3), np.round(exact, 3))
    assert grid["accuracy"][-1][-1] == pytest.approx(exact[-1, -1])  # the full cell is the run itself


class _NoExecutor:
    """Every execution result is in the replay file: running code here would be a bug."""

    def run(self, codes):
        raise AssertionError(f"unexpected execution of {codes}")

    def submit(self, code):
        raise AssertionError(f"unexpected execution of {code}")
