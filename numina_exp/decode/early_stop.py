"""Early stop for SC-TIR (decoding.early_stop): `lossless` and `adaptive`.

Lossless: stop a problem once no unfinished copy can change the vote's winner.

The final pool is ordered by position = (finish step, copy index); copies still active at the end
come last (position (M, index)). A finished copy's vote and position are fixed. An unfinished copy
adds at most one vote, to any value, at a position >= (the step it is on now, its index). The
winner L (count c_L, first position p_L) can still change iff some other value v (an existing group,
or a new one with c_v = 0) can reach, with all r unfinished votes and none going to L,
  c_v + r > c_L, or c_v + r == c_L and v can be first-seen before L (tie_break=first_seen: v's first
  position < p_L, or some unfinished copy can land before p_L; other tie-breaks: any tie may flip).
"""
from __future__ import annotations

import random
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


# --- adaptive (lossy) ---------------------------------------------------------------------------------
# Adaptive-Consistency (Aggarwal et al. 2023, "Let's Sample Step by Step"): treat the answers seen so
# far as draws from an unknown distribution over answers and stop once the posterior probability that
# the current leader is that distribution's mode reaches a threshold. Unlike the lossless rule this can
# stop on a leader that the full run would have outvoted: accuracy is traded for tokens, by design.


def beta_confidence(counts: Sequence[int], prior: float = 1.0) -> float:
    """P(p_leader > p_runner_up) with p ~ Beta(c_leader + prior, c_runner_up + prior): the paper's Beta
    stopping criterion (the two largest groups only): 1 - I_0.5(a, b), the regularized incomplete beta."""
    from scipy.special import betainc

    top = sorted((int(c) for c in counts), reverse=True) + [0, 0]
    a, b = top[0] + prior, top[1] + prior
    return float(1.0 - betainc(a, b, 0.5))


def dirichlet_confidence(counts: Sequence[int], prior: float = 1.0, samples: int = 4000, seed: int = 0) -> float:
    """P(the leader's probability is the largest) with p ~ Dirichlet(counts + prior) over the seen
    answers plus one pseudo-group for answers not seen yet. Monte Carlo with a fixed seed (deterministic)."""
    cs = [int(c) for c in counts if c > 0]
    if not cs:
        return 0.0
    lead = max(range(len(cs)), key=lambda i: cs[i])
    alphas = [c + prior for c in cs] + [prior]
    rng = random.Random(seed)
    wins = 0
    for _ in range(samples):
        g = [rng.gammavariate(a, 1.0) for a in alphas]
        wins += g[lead] >= max(g)
    return wins / samples


def leader_confidence(values: Sequence[Any], dcfg) -> float:
    """Posterior probability that the current winner of `values` (votes, None = no vote) stays the leader."""
    vals = [v for v in values if v is not None]
    if not vals:
        return 0.0
    _, hist, _ = tally(vals, dcfg)
    counts = list(hist.values())
    if dcfg.early_stop_posterior == "dirichlet":
        return dirichlet_confidence(counts, float(dcfg.early_stop_prior))
    return beta_confidence(counts, float(dcfg.early_stop_prior))


def confident(values: Sequence[Any], dcfg) -> bool:
    return leader_confidence(values, dcfg) >= float(dcfg.early_stop_threshold)

