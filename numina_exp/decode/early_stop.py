"""Lossless early stop for SC-TIR: stop a problem once no unfinished copy can change the vote's winner.

The final pool is ordered by position = (finish step, copy index); copies still active at the end
come last (position (M, index)). A finished copy's vote and position are fixed. An unfinished copy
adds at most one vote, to any value, at a position >= (the step it is on now, its index). The
winner L (count c_L, first position p_L) can still change iff some other value v (an existing group,
or a new one with c_v = 0) can reach, with all r unfinished votes and none going to L,
  c_v + r > c_L, or c_v + r == c_L and v can be first-seen before L (tie_break=first_seen: v's first
  position < p_L, or some unfinished copy can land before p_L; other tie-breaks: any tie may flip).
"""
from __future__ import annotations

from typing import Any, Sequence

from .voting import tally


def can_change(finished: Sequence[tuple[tuple, Any]], unfinished_min_pos: Sequence[tuple], dcfg) -> bool:
    """`finished`: [(position, value or None)] of copies whose vote is fixed; `unfinished_min_pos`: the
    earliest position each still-running copy could finish at. True if the winner may still change."""
    r = len(unfinished_min_pos)
    if r == 0:
        return False
    ordered = sorted(finished, key=lambda e: e[0])
    values = [v for _, v in ordered if v is not None]
    if not values:
        return True
    if dcfg.vote_equivalence != "integer":
        # representatives are the first members of each group; keep them fixed: an unfinished copy
        # landing before a finished one could become a representative and regroup the others
        if min(unfinished_min_pos) < ordered[-1][0]:
            return True
    winner, hist, res = tally(values, dcfg)
    counts = list(res.histogram)
    c_l = dict(counts)[res.winner]
    first_pos = {}
    for pos, v in ordered:
        if v is None:
            continue
        key = v if dcfg.vote_equivalence == "integer" else None
        if key is not None and key not in first_pos:
            first_pos[key] = pos
    if dcfg.vote_equivalence != "integer":  # representatives are the groups' first members
        for rep, _ in counts:
            first_pos.setdefault(rep, next(p for p, v in ordered if v == rep))
    p_l = first_pos[res.winner]
    min_u = min(unfinished_min_pos)
    first_seen = dcfg.tie_break == "first_seen"
    for rep, c_v in counts + [(object(), 0)]:  # the extra entry: a value not seen yet
        if rep == res.winner:
            continue
        if c_v + r > c_l:
            return True
        if c_v + r == c_l:
            if not first_seen:
                return True
            if min_u < p_l or (c_v > 0 and first_pos[rep] < p_l):
                return True
    return False
