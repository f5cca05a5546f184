"""N x M from one pass: the accuracy every (n <= N, m <= M) SC-TIR cell would have had, computed from one
run at (N, M) by subsampling copies and truncating each copy's history at depth m.

Why it is sound. The N copies of a problem are i.i.d. given the prompt (same sampling parameters,
independent seeds), so a uniformly random n-subset of them is distributed exactly like the copies of
an n-wide run: the n axis is exact in distribution (many seeded draws average over the subsets).
Depth: a copy's first m steps do not depend on M (no time budget, no early stop in the recipe), so the
copy that finished at step s < m in the M-deep run finishes identically in an m-deep run; truncation
is exact for m given the same samples. The one approximation, as specified: a copy that had not
finished by step m gives no answer in the m cell (in a real m-deep run its unfinished text is still
scanned for an answer, which almost never finds one because it ends with the stop string). At m = M
the run's own pool is used, unfinished-but-answered copies included, so cell (N, M) is the run itself.

Vote: the run's own (decode/voting.py): its pool order (finished at step 0, then step 1, ..., each in
copy order, then the still-active copies), its vote values (`decoding.integer_mode`), grouping
(`vote_equivalence`; math groups are formed once over the whole pool) and tie rule (`tie_break`:
first_seen by pool position, smallest by value, random uniformly among the tied groups of each draw);
no valid answer -> the decoder's fallback (0 under integer voting). A subset keeps the copies' relative
order. Each draw takes one random permutation of the N copies and uses its n-prefixes for every n
(each prefix is a uniform n-subset; cells share draws, which lowers the noise of differences between cells).
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable, Sequence

import numpy as np

from numina_exp.config.decoding import DecodingConfig
from numina_exp.decode.voting import copy_vote, no_vote_winner, tally
from numina_exp.grading.vote import smallest_key

log = logging.getLogger("numina_exp")


def _problem_arrays(copies: Sequence[dict], m_max: int, dcfg):
    """Per copy: group index (-1: no vote), the depth from which its vote counts, pool position; plus
    the groups' representatives."""
    entries = [copy_vote(c, i, m_max, dcfg) for i, c in enumerate(copies)]
    order = sorted(range(len(copies)), key=lambda j: entries[j][1])
    _, _, res = tally([entries[j][2] for j in order], dcfg)
    cats = np.empty(len(copies), dtype=np.int64)
    fixed_from = np.empty(len(copies), dtype=np.int64)
    pos = np.empty(len(copies), dtype=np.int64)
    for rank, j in enumerate(order):
        cats[j], fixed_from[j], pos[j] = res.groups[rank], entries[j][0], rank
    return cats, fixed_from, pos, [rep for rep, _ in res.histogram]


def problem_grid(copies: Sequence[dict], correct_of: Callable[[object], bool], none_correct: bool,
                 ns: Sequence[int], m_max: int, draws: int, rng: np.random.Generator, dcfg=None) -> np.ndarray:
    """Mean correctness over `draws` subsets, shape (len(ns), m_max); `correct_of(rep)` grades a voted
    representative, `none_correct` is whether the no-vote answer is right. `dcfg`: the run's decoding
    config (None: the notebook's, DecodingConfig())."""
    dcfg = dcfg or DecodingConfig()
    N = len(copies)
    cats, fixed_from, pos, reps = _problem_arrays(copies, m_max, dcfg)
    out = np.zeros((len(ns), m_max))
    K = len(reps)
    if K == 0:
        out[:] = float(none_correct)
        return out
    rep_ok = np.array([bool(correct_of(r)) for r in reps])
    smallest_rank = np.empty(K, dtype=np.int64)
    smallest_rank[[reps.index(r) for r in sorted(reps, key=smallest_key)]] = np.arange(K)
    ns_idx = np.asarray(ns) - 1
    big = N + 1
    for _ in range(draws):
        perm = rng.permutation(N)
        c, f, p = cats[perm], fixed_from[perm], pos[perm]
        if dcfg.tie_break == "random":
            prio = np.broadcast_to(rng.permutation(K), (len(ns), K))
        elif dcfg.tie_break == "smallest":
            prio = np.broadcast_to(smallest_rank, (len(ns), K))
        for m in range(1, m_max + 1):
            valid = (c >= 0) & (f <= m)
            onehot = np.zeros((N, K), dtype=np.int64)
            onehot[np.nonzero(valid)[0], c[valid]] = 1
            counts = np.cumsum(onehot, axis=0)[ns_idx]  # (len(ns), K)
            if dcfg.tie_break == "first_seen":  # the tied group seen earliest in the (sub)pool
                first = np.where(onehot == 1, p[:, None], big)
                prio = np.minimum.accumulate(first, axis=0)[ns_idx]
            score = counts * (2 * big) - prio  # more votes first, then the tie rule
            winner = np.argmax(score, axis=1)
            has = counts.max(axis=1) > 0
            out[:, m - 1] += np.where(has, rep_ok[winner], none_correct)
    return out / draws


def compute_grid(records: Iterable[dict], kind: str = "integer", ns: Sequence[int] | None = None,
                 m_max: int | None = None, draws: int = 200, seed: int = 0,
                 grade: Callable[[object, str, str], bool] | None = None, dcfg=None) -> dict:
    """Grid over all records (per-problem JSON with `copies` and `gold`, one per problem and seed).
    `kind`: how an answer is graded (eval.answer_kind); `dcfg`: the run's decoding config, which says
    how it votes (None: the notebook's, DecodingConfig()).

    Every record must hold the same number of copies N (one decoding.n): a cell (n, m) subsamples n of
    each problem's N copies, which a problem decoded with fewer cannot give.

    Returns {"ns", "ms", "accuracy" (len(ns) x M, mean over problems), "per_seed" {seed: matrix},
    "draws", "problems" (per seed), "seeds", "width" (N), "copies_stopped_early"}."""
    from numina_exp.grading import is_equivalent

    dcfg = dcfg or DecodingConfig()
    records = [r for r in records if r.get("copies")]
    if not records:
        return {}
    stopped = sum(bool(c.get("stopped_early")) for r in records for c in r["copies"])
    if stopped:
        log.warning("nm_grid: %d copies were cut by early stop; cells with n < N treat them as unanswered "
                    "(decode with decoding.early_stop=none for an exact grid)", stopped)
    N = max(len(r["copies"]) for r in records)
    short = [r for r in records if len(r["copies"]) != N]
    if short:
        r = short[0]
        raise ValueError(f"nm_grid: problem {r.get('problem_id')!r} (seed {r.get('seed')}) has {len(r['copies'])} "
                         f"copies, others {N}; {len(short)} record(s) differ. The grid needs one decoding.n for "
                         f"every record: evaluate the records of one run (its per_problem.jsonl), not a mix.")
    if m_max is None:
        m_max = max(int(r.get("m") or 0) for r in records) or 1
        steps = [c.get("finish_step") for r in records for c in r["copies"]]
        m_max = max([m_max] + [int(s) + 1 for s in steps if s is not None])
    ns = sorted({n for n in (ns or range(1, N + 1)) if 1 <= n <= N})
    if grade is None:
        def grade(pred, gold, k):
            return is_equivalent(str(pred), str(gold), k)
    fallback = no_vote_winner(dcfg)
    rng = np.random.default_rng(seed)
    total = np.zeros((len(ns), m_max))
    per_seed: dict = {}
    for r in records:
        gold = r.get("gold", r.get("answer_gold"))
        copies = r["copies"]
        cache: dict = {}

        def correct_of(rep, gold=gold, cache=cache):
            if rep not in cache:
                cache[rep] = grade(rep, gold, kind)
            return cache[rep]
        none_correct = fallback is not None and bool(grade(fallback, gold, kind))
        g = problem_grid(copies, correct_of, none_correct, ns, m_max, draws, rng, dcfg=dcfg)
        total += g
        s = per_seed.setdefault(str(r.get("seed", 0)), [np.zeros_like(total), 0])
        s[0] += g
        s[1] += 1
    n_seeds = len(per_seed)
    acc = total / len(records)
    return {
        "ns": list(ns), "ms": list(range(1, m_max + 1)), "accuracy": acc.tolist(),
        "per_seed": {k: (v[0] / v[1]).tolist() for k, v in per_seed.items()},
        "draws": draws, "problems": len(records) // max(n_seeds, 1), "seeds": n_seeds, "width": N,
        "copies_stopped_early": stopped,
    }
