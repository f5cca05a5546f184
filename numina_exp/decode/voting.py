"""The vote, in one place: the value each copy votes for, the pool order, and the majority over a pool.

Used by the decoders (sc_tir, maj_k), early stop, the N x M grid and kaggle_sim, so every reading of a
run votes the way the run did: under its `decoding.vote_equivalence`, `integer_mode` and `tie_break`."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from numina_exp.grading import aimo_integer, majority_vote


def vote_value(answer: Optional[str], dcfg) -> Any:
    """What an extracted answer votes for (None: no vote). integer: the AIMO int (§1.7, round or strict,
    negatives and unparsable dropped, mod 1000); math: the answer text (grouped by equivalence)."""
    if answer is None:
        return None
    if dcfg.vote_equivalence == "integer":
        return aimo_integer(answer, mode=dcfg.integer_mode)
    answer = str(answer).strip()
    return answer or None


def tally(values: Sequence[Any], dcfg, seed: Optional[int] = None):
    """Majority vote over `values` in pool order -> (winner, {value: count} in first-seen order, VoteResult).
    integer equivalence: no valid value -> 0 (the notebook's get_majority_vote); math: None. None values
    are no vote (the VoteResult's `groups` stay aligned with `values`)."""
    res = majority_vote(list(values), equivalence=dcfg.vote_equivalence,
                        tie_break=dcfg.tie_break, seed=seed, integer_mode=dcfg.integer_mode)
    winner = res.winner
    if winner is None and dcfg.vote_equivalence == "integer":
        winner = 0
    return winner, dict(res.histogram), res


def no_vote_winner(dcfg) -> Any:
    """The answer of a pool without a valid vote (0 under integer equivalence, else None)."""
    return tally([], dcfg)[0]


def pool_position(status: str, finish_step: Optional[int], copy: int, m: int, finish_on_answer: bool = True) -> tuple:
    """A copy's place in the notebook's vote pool: finished copies (answered or discarded) by
    (finish step, copy index), then the copies still running at the end, by index. With
    finish_on_answer=false an answered copy keeps going, so it sits with the running ones."""
    if status == "discarded" or (status == "answered" and finish_on_answer):
        return (int(finish_step), copy)
    return (m, copy)


def copy_vote(rec: dict, copy: int, m: int, dcfg) -> tuple[int, tuple, Any]:
    """Read one copy of an M-deep run (CopyResult JSON) for a vote truncated at depth k <= m:
    (depth from which its vote is fixed, pool position, value). A run cut after k steps holds this copy's
    vote, at that position, iff k >= the depth; below it the copy was still running (no vote). A copy
    that ran to the end votes only in the whole run (k = m). `value` is the decoder's own (recorded under
    the run's integer_mode), else recomputed from the answer."""
    status = str(rec.get("status") or "unfinished")
    step = rec.get("finish_step")
    pos = pool_position(status, step, copy, m, dcfg.finish_on_answer)
    value = rec["value"] if "value" in rec else vote_value(rec.get("answer"), dcfg)
    if status == "discarded" and dcfg.finish_on_answer:
        value = None
    fixed_from = pos[0] + 1 if pos[0] < m else m
    return fixed_from, pos, value


def truncated_pool(copies: Sequence[dict], k: int, m: int, dcfg):
    """The pool a run cut after k of its m steps votes over: ([(position, value)] of the copies fixed by
    then, in pool order; [(k, index)] the earliest place each still-running copy could land)."""
    fixed, running = [], []
    for i, rec in enumerate(copies):
        fixed_from, pos, value = copy_vote(rec, i, m, dcfg)
        if fixed_from <= k:
            fixed.append((pos, value))
        else:
            running.append((k, i))
    fixed.sort(key=lambda e: e[0])
    return fixed, running
