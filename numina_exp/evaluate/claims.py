"""The write-up's relative claims, measured: each claim compares a treatment evaluation with its baseline
evaluation (two stages of a pipeline), over the same problems.

Accuracy of a stage = mean over problems of the problem's accuracy averaged over the stage's seeds. The
95 % intervals come from a bootstrap over problems (the source of most of the variance on a small test
split; the seeds are averaged inside each problem, so their noise is in the interval too). The delta is
paired: the same resampled problems in both stages, so a shared hard problem does not widen it.

A claim states the direction the write-up found: `up` (the treatment helps), `down` (it hurts) or
`none` (no real change, e.g. RLOO's "no gain"). The verdict: the delta's interval on the claimed side
of zero agrees, on the other side disagrees, across zero is inconclusive (for `none`: an interval
across zero agrees, one on either side disagrees)."""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from numina_exp.core.io import read_jsonl

DIRECTIONS = ("up", "down", "none")


@dataclass
class Claim:
    id: str
    claim: str  # the write-up's words
    baseline: str  # stage names of the pipeline
    treatment: str
    expect: str  # up | down | none
    row: str = ""  # the docs/paper_trail.md row it serves (its first cell, without markup)


@dataclass
class StageAccuracy:
    stage: str
    per_problem: dict  # problem_id -> mean correctness over seeds
    seeds: list = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(self.per_problem.values()) / len(self.per_problem) if self.per_problem else float("nan")


def stage_accuracy(stage: str, run_dir: Path) -> StageAccuracy | None:
    """From an evaluation stage's per_problem.jsonl; None while the stage has not finished."""
    path = Path(run_dir) / "per_problem.jsonl"
    if not (Path(run_dir) / "result.json").exists() or not path.exists():
        return None
    by_problem: dict = {}
    seeds = set()
    for rec in read_jsonl(path):
        pid = f"{rec['suite']}/{rec['problem_id']}" if rec.get("suite") else str(rec["problem_id"])  # member suites share ids
        by_problem.setdefault(pid, []).append(bool(rec["correct"]))
        seeds.add(rec["seed"])
    return StageAccuracy(stage, {p: sum(v) / len(v) for p, v in by_problem.items()}, sorted(seeds))


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    i = min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))
    return s[i]


def bootstrap(base: StageAccuracy, treat: StageAccuracy | None = None, n: int = 2000, seed: int = 0) -> dict:
    """Accuracy (or the paired delta treat - base) and its 95 % percentile interval over problems."""
    problems = sorted(base.per_problem if treat is None else set(base.per_problem) & set(treat.per_problem))
    if not problems:
        raise ValueError(f"stages {base.stage} and {treat.stage if treat else ''} share no problem")

    def stat(sample):
        b = sum(base.per_problem[p] for p in sample) / len(sample)
        return b if treat is None else sum(treat.per_problem[p] for p in sample) / len(sample) - b

    rng = random.Random(seed)
    draws = [stat([problems[rng.randrange(len(problems))] for _ in problems]) for _ in range(n)]
    return {"value": stat(problems), "ci95": [_percentile(draws, 0.025), _percentile(draws, 0.975)], "problems": len(problems)}


def verdict(expect: str, ci: list[float]) -> str:
    lo, hi = ci
    if expect == "none":
        return "agrees" if lo <= 0 <= hi else "disagrees"
    if lo > 0:
        return "agrees" if expect == "up" else "disagrees"
    if hi < 0:
        return "agrees" if expect == "down" else "disagrees"
    return "inconclusive"


def measure(claims: list[Claim], stage_dirs: dict[str, Path], n_boot: int = 2000, seed: int = 0) -> list[dict]:
    """One row per claim; a claim whose stages have not both finished is `pending` (a long pipeline
    writes its table after every stage)."""
    cache: dict = {}

    def acc(name):
        if name not in cache:
            cache[name] = stage_accuracy(name, stage_dirs[name]) if name in stage_dirs else None
        return cache[name]

    rows = []
    for c in claims:
        b, t = acc(c.baseline), acc(c.treatment)
        row = {"id": c.id, "claim": c.claim, "row": c.row, "baseline": c.baseline, "treatment": c.treatment, "expect": c.expect}
        if b is None or t is None:
            rows.append({**row, "verdict": "pending"})
            continue
        delta = bootstrap(b, t, n_boot, seed)
        rows.append({**row, "baseline_acc": bootstrap(b, None, n_boot, seed), "treatment_acc": bootstrap(t, None, n_boot, seed),
                     "delta": delta, "baseline_seeds": b.seeds, "treatment_seeds": t.seeds,
                     "verdict": verdict(c.expect, delta["ci95"])})
    return rows


def parse_claims(specs) -> list[Claim]:
    """From the config's list of mappings; errors name the entry and the fix."""
    from numina_exp.core.errors import ConfigError

    out, seen = [], set()
    for i, spec in enumerate(specs or []):
        key = f"pipeline.claims[{i}]"
        if not isinstance(spec, Mapping):
            raise ConfigError(key, f"expected a mapping, got {spec!r}", "use {id, claim, baseline, treatment, expect}")
        missing = [k for k in ("id", "claim", "baseline", "treatment", "expect") if k not in spec]
        unknown = sorted(set(spec) - {"id", "claim", "baseline", "treatment", "expect", "row"})
        if missing or unknown:
            raise ConfigError(key, f"missing {missing}" if missing else f"unknown keys {unknown}",
                              "a claim has id, claim, baseline, treatment, expect (up|down|none) and optionally row")
        if spec["expect"] not in DIRECTIONS:
            raise ConfigError(f"{key}.expect", f"{spec['expect']!r} is not a direction", f"use one of {list(DIRECTIONS)}")
        if spec["id"] in seen:
            raise ConfigError(f"{key}.id", f"two claims are called {spec['id']!r}", "give each claim its own id")
        seen.add(spec["id"])
        out.append(Claim(**{k: str(v) for k, v in spec.items()}))
    return out
