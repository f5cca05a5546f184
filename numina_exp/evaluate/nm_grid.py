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

Vote: the notebook's pool order (finished at step 0, then step 1, ..., each in copy order, then the
still-active copies), majority with first-seen tie-break, no valid answer -> 0; a subset keeps the
copies' relative order. Each draw takes one random permutation of the N copies and uses its
n-prefixes for every n (each prefix is a uniform n-subset; cells share draws, which lowers the noise
of differences between cells).
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable, Sequence

import numpy as np

log = logging.getLogger("numina_exp")


def copy_outcome(copy: dict) -> tuple[object, int | None, bool]:
    """(answer or None, step the copy finished at or None, still active at the end) of one copy record.
    Understands the decoder's per-copy JSON (CopyResult): `status` (answered | discarded | unfinished), `answer`,
    and the step under `finished_step` / `finish_step` / `step`."""
    status = str(copy.get("status", "answered" if copy.get("answer") is not None else "unfinished"))
    step = copy.get("finished_step", copy.get("finish_step", copy.get("step")))
    answer = copy.get("answer")
    if status in ("finished", "answered", "done"):
        return answer, (int(step) if step is not None else None), False
    if status in ("active", "unfinished"):
        return answer, None, True
    return None, (int(step) if step is not None else None), False  # discarded: no answer


def _problem_arrays(copies: Sequence[dict], m_max: int, key: Callable[[object], object]):
    """Per copy: category index (-1: no answer), effective step (answers count for depth m > eff),
    pool position; plus the list of category representatives."""
    cats, eff, order_key = [], [], []
    reps: list = []
    index: dict = {}
    for i, c in enumerate(copies):
        ans, step, active = copy_outcome(c)
        k = key(ans) if ans is not None else None
        if k is None:
            cats.append(-1)
            eff.append(m_max)
            order_key.append((m_max + 1, 1, i))
            continue
        if k not in index:
            index[k] = len(reps)
            reps.append(k)
        cats.append(index[k])
        if active or step is None:
            eff.append(m_max - 1)
            order_key.append((m_max - 1, 1, i))
        else:
            eff.append(min(int(step), m_max))
            order_key.append((int(step), 0, i))
    pos = np.empty(len(copies), dtype=np.int64)
    for rank, j in enumerate(sorted(range(len(copies)), key=lambda j: order_key[j])):
        pos[j] = rank
    return np.array(cats, dtype=np.int64), np.array(eff, dtype=np.int64), pos, reps


def problem_grid(copies: Sequence[dict], correct_of: Callable[[object], bool], none_correct: bool,
                 ns: Sequence[int], m_max: int, draws: int, rng: np.random.Generator,
                 key: Callable[[object], object] = lambda a: a) -> np.ndarray:
    """Mean correctness over `draws` subsets, shape (len(ns), m_max); `correct_of(rep)` grades a voted
    representative, `none_correct` is whether the fallback answer 0 is right."""
    N = len(copies)
    cats, eff, pos, reps = _problem_arrays(copies, m_max, key)
    out = np.zeros((len(ns), m_max))
    K = len(reps)
    if K == 0:
        out[:] = float(none_correct)
        return out
    rep_ok = np.array([bool(correct_of(r)) for r in reps])
    ns_idx = np.asarray(ns) - 1
    big = N + 1
    for _ in range(draws):
        perm = rng.permutation(N)
        c, e, p = cats[perm], eff[perm], pos[perm]
        for m in range(1, m_max + 1):
            valid = (c >= 0) & (e < m)
            onehot = np.zeros((N, K), dtype=np.int64)
            onehot[np.nonzero(valid)[0], c[valid]] = 1
            counts = np.cumsum(onehot, axis=0)[ns_idx]  # (len(ns), K)
            first = np.where(onehot == 1, p[:, None], big)
            first = np.minimum.accumulate(first, axis=0)[ns_idx]
            score = counts * (2 * big) - first  # more votes first, then earlier in the pool
            winner = np.argmax(score, axis=1)
            has = counts.max(axis=1) > 0
            out[:, m - 1] += np.where(has, rep_ok[winner], none_correct)
    return out / draws


def compute_grid(records: Iterable[dict], kind: str = "integer", ns: Sequence[int] | None = None,
                 m_max: int | None = None, draws: int = 200, seed: int = 0,
                 grade: Callable[[object, str, str], bool] | None = None) -> dict:
    """Grid over all records (per-problem JSON with `copies` and `gold`, one per problem and seed).

    Returns {"ns", "ms", "accuracy" (len(ns) x M, mean over problems), "per_seed" {seed: matrix},
    "draws", "problems", "full_run_accuracy" (the cell (N, M) computed without subsampling)}."""
    from numina_exp.grading import aimo_integer, is_equivalent

    records = [r for r in records if r.get("copies")]
    if not records:
        return {}
    stopped = sum(bool(c.get("stopped_early")) for r in records for c in r["copies"])
    if stopped:
        log.warning("nm_grid: %d copies were cut by early stop; cells with n < N treat them as unanswered "
                    "(decode with decoding.early_stop=none for an exact grid)", stopped)
    N = max(len(r["copies"]) for r in records)
    if m_max is None:
        m_max = max(int(r.get("m") or 0) for r in records) or 1
        steps = [copy_outcome(c)[1] for r in records for c in r["copies"]]
        m_max = max([m_max] + [s + 1 for s in steps if s is not None])
    ns = sorted({n for n in (ns or range(1, N + 1)) if 1 <= n <= N})
    if grade is None:
        def grade(pred, gold, k):
            return is_equivalent(str(pred), str(gold), k)
    key = (lambda a: aimo_integer(a)) if kind == "integer" else (lambda a: str(a))
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
        g = problem_grid(copies, correct_of, grade(0, gold, kind), ns, m_max, draws, rng, key=key)
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
