"""From extracted answers to votes: the value each copy votes for, and the vote over a pool."""
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
    integer equivalence: no valid value -> 0 (the notebook's get_majority_vote); math: None."""
    res = majority_vote([v for v in values if v is not None], equivalence=dcfg.vote_equivalence,
                        tie_break=dcfg.tie_break, seed=seed)
    winner = res.winner
    if winner is None and dcfg.vote_equivalence == "integer":
        winner = 0
    return winner, dict(res.histogram), res
