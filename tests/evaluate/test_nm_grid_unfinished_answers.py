"""N x M grid: a copy still running at the end that carries an answer votes LAST in the full-depth pool
(after every finished copy), as the decoder's pool does; it never votes at a shallower depth."""
import pytest

from numina_exp.evaluate.nm_grid import compute_grid


def _rec(copies, gold, m):
    return {"problem_id": "p", "seed": 0, "gold": gold, "m": m, "copies": copies}


@pytest.mark.parametrize("kind", ["integer", "math"])
def test_answered_but_unfinished_copy_votes_after_the_finished_ones(kind):
    m = 3
    # copy 0: still running at the end but its text holds "7"; copy 1 answered "5" at the last step.
    # 1:1 tie, first seen wins: the finished copy is first in the pool, so the full run answers 5.
    copies = [{"copy": 0, "status": "unfinished", "answer": "7", "finish_step": None, "steps": m},
              {"copy": 1, "status": "answered", "answer": "5", "finish_step": m - 1, "steps": m}]
    g = compute_grid([_rec(copies, "5", m)], kind=kind, draws=20, seed=1)
    acc = dict(zip(g["ns"], g["accuracy"]))
    assert acc[2][m - 1] == 1.0  # (N, M): the run's own pool
    # the same pool with the gold on the unfinished copy's side is wrong at (N, M)
    assert dict(zip(g["ns"], compute_grid([_rec(copies, "7", m)], kind=kind, draws=20, seed=1)["accuracy"]))[2][m - 1] == 0.0
    # at depth < M nobody has answered (copy 1 finishes at the last step, copy 0 never): the fallback 0
    assert acc[2][:m - 1] == [0.0] * (m - 1)


def test_several_unfinished_answers_keep_their_copy_order_behind_the_finished():
    m = 2
    # finished: 5 (step 0, copy 2); unfinished with answers: 9 (copy 0), 9 (copy 1), 5 (copy 3).
    # Full pool: [5, 9, 9, 5] -> 2:2 tie, 5 seen first -> 5. Unfinished copies placed first would give 9.
    copies = [{"copy": 0, "status": "unfinished", "answer": "9", "steps": m},
              {"copy": 1, "status": "unfinished", "answer": "9", "steps": m},
              {"copy": 2, "status": "answered", "answer": "5", "finish_step": 0, "steps": 1},
              {"copy": 3, "status": "unfinished", "answer": "5", "steps": m}]
    g = compute_grid([_rec(copies, "5", m)], kind="integer", draws=10, seed=0)
    acc = dict(zip(g["ns"], g["accuracy"]))
    assert acc[4] == [1.0, 1.0]  # depth 1: only copy 2's vote; depth 2: the 2:2 tie goes to the finished 5
