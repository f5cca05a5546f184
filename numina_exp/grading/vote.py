"""Majority voting over sampled answers (maj@k, SC-TIR)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from .aimo import aimo_integer
from .equivalence import GraderPool, _local_grade, canonical_key, grade_batch_detailed

TIE_BREAKS = ("first_seen", "smallest", "random")


@dataclass
class VoteResult:
    """``winner``: the winning group's representative (None when no answer was valid).

    ``histogram``: ``[(representative, count), ...]`` in order of each group's first appearance in
    the pool; the representative is the group's first member (for ``integer`` the AIMO int).
    ``counts``: ``{representative: count}``. ``n_valid``/``n_ignored``: answers voted/ignored.
    ``timeouts``: comparisons that timed out while grouping (treated as "different").
    ``groups``: for each input answer, the index of its group in ``histogram`` (-1: ignored).
    """

    winner: object | None
    histogram: list[tuple[object, int]] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    n_valid: int = 0
    n_ignored: int = 0
    timeouts: int = 0
    groups: list[int] = field(default_factory=list)


def smallest_key(rep):
    if isinstance(rep, (int, float)):
        return (0, float(rep), "")
    try:
        return (0, float(str(rep).replace(",", "")), str(rep))
    except ValueError:
        return (1, 0.0, str(rep))


def pick_winner(tied: list, tie_break: str, seed: int | None = None):
    """The tie rule: `tied` are the groups with the most votes, in first-seen order."""
    if tie_break == "first_seen":
        return tied[0]
    if tie_break == "smallest":
        return min(tied, key=smallest_key)
    return random.Random(seed).choice(tied)


def majority_vote(answers, equivalence: str = "integer", tie_break: str = "first_seen",
                  seed: int | None = None, timeout_s: float = 5.0,
                  pool: GraderPool | None = None, integer_mode: str = "round") -> VoteResult:
    """Vote over ``answers`` grouping equivalent ones.

    * ``equivalence="integer"``: each answer is mapped with :func:`aimo_integer` under
      ``integer_mode`` (the notebook's ``filter_answers``); answers it drops are ignored, like ``None``.
    * ``"math"``/``"numeric"``: an answer joins the first earlier group whose representative it is
      equivalent to (math-verify, representative as gold), so ``1/2``, ``0.5`` and ``\\frac{1}{2}``
      are one vote. ``None`` answers are ignored.
    * ``tie_break``: ``"first_seen"`` reproduces the notebook (``Counter.most_common`` keeps
      insertion order among equal counts, so the tied group that appeared earliest wins);
      ``"smallest"`` takes the numerically (else lexicographically) smallest representative;
      ``"random"`` picks uniformly with ``random.Random(seed)``.

    With no valid answer ``winner`` is None; the SC-TIR caller maps that to 0, as the notebook's
    ``get_majority_vote`` returns 0 for an empty list.
    """
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {tie_break!r}")
    reps: list = []
    counts: list[int] = []
    groups: list[int] = []
    n_ignored = 0
    timeouts = 0
    if equivalence == "integer":
        index: dict[int, int] = {}
        for a in answers:
            v = aimo_integer(a, mode=integer_mode)
            if v is None:
                n_ignored += 1
                groups.append(-1)
                continue
            if v not in index:
                index[v] = len(reps)
                reps.append(v)
                counts.append(0)
            counts[index[v]] += 1
            groups.append(index[v])
    else:
        by_key: dict[str, int] = {}
        for a in answers:
            if a is None:
                n_ignored += 1
                groups.append(-1)
                continue
            a = str(a)
            k = canonical_key(a)
            if k in by_key:
                counts[by_key[k]] += 1
                groups.append(by_key[k])
                continue
            group = None
            if reps:
                local = [_local_grade(a, r, equivalence) for r in reps]
                need = [j for j, res in enumerate(local) if res is None]
                if need:
                    graded = grade_batch_detailed([a] * len(need), [reps[j] for j in need],
                                                  equivalence, timeout_s=timeout_s, pool=pool)
                    for j, res in zip(need, graded):
                        local[j] = res
                for j, res in enumerate(local):
                    timeouts += res.timed_out
                    if res.equivalent and group is None:
                        group = j
            if group is None:
                group = len(reps)
                reps.append(a)
                counts.append(0)
            by_key[k] = group
            counts[group] += 1
            groups.append(group)
    histogram = list(zip(reps, counts))
    n_valid = sum(counts)
    if not histogram:
        return VoteResult(None, [], {}, 0, n_ignored, timeouts, groups)
    top = max(counts)
    winner = pick_winner([r for r, c in histogram if c == top], tie_break, seed)
    return VoteResult(winner, histogram, dict(histogram), n_valid, n_ignored, timeouts, groups)
