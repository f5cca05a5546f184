"""Kaggle conditions: 50 problems, arriving one at a time in a random order, under one wall-clock budget
(9 h on 2xT4 in the competition), with a budget policy deciding how long each problem may run.

How it is simulated. One SC-TIR pass at the configured (N, M) decodes each drawn problem once
(`per_problem.jsonl`, resumable like any eval run). Each problem's measured wall time is split over its
M steps in proportion to the copies generating in that step (every step is one batched generate over
the active copies). Each policy then replays every random order on a clock: before each step it
checks the problem's deadline; a step that would run past it is cut (its time is spent, its answers
lost, as a deadline-enforced generate would). Truncating a problem after k steps gives the vote of the
copies finished by then -- the same "history truncated at depth m" as the N x M grid, so the `fixed`
policy with enough budget reproduces the pass's answers exactly. The clock is injectable (`clock=`):
`VirtualClock` by default, a fake one in tests.

Budget here = eval.budget_s x eval.speed_factor (our seconds per Kaggle second). speed_factor 0
calibrates it so that the fixed policy needs 90 % of the budget, as the notebook's fixed N=48, M=4 were
chosen to fit 50 problems into 9 h (about 10.5 min per problem).

Policies:
  fixed       every problem runs all M steps (the winning submission); out of budget -> remaining
              problems unanswered (0).
  even_split  each problem gets budget / problems; unused time is lost.
  adaptive    each problem gets (remaining budget) / (remaining problems), so time a problem does not
              use carries over; early stop after a step once no unfinished copy can change the winner
              (lossless) or the leader holds eval.adaptive_margin of the N votes (lossy).
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol, Sequence

from numina_exp.core.io import atomic_write_text
from numina_exp.core.result_kind import ResultKind
from numina_exp.core.text import md_cell
from numina_exp.decode.voting import tally, truncated_pool

from .plan import check_plan, eval_plan
from .seed_loop import default_grade, evaluate_seed, gen_log_path
from .stats import seed_stats
from .store import ResultStore
from .suites import load_suite

POLICIES = ("fixed", "even_split", "adaptive")


class Clock(Protocol):
    def now(self) -> float: ...
    def advance(self, seconds: float) -> None: ...


class VirtualClock:
    """Simulated time: advanced by the replayed step costs."""

    def __init__(self, start: float = 0.0):
        self.t = float(start)

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += max(0.0, float(seconds))


@dataclass
class SimProblem:
    problem_id: str
    gold: str
    copies: list  # per-copy JSON (CopyResult)
    step_costs: list  # seconds of each of the M steps
    correct_at: list = field(default_factory=list)  # correctness of the vote truncated after k steps, k = 0..M
    answer_at: list = field(default_factory=list)
    stop_after: list = field(default_factory=list)  # adaptive: would stop after k steps (k = 1..M-1)


def step_costs(record: dict, m: int, segments: Optional[Sequence[dict]] = None) -> list[float]:
    """The problem's wall time split over its steps: with its generation-log lines (`segments`), the
    measured generation seconds by the tokens generated in each step and the execution seconds by the
    blocks run in each (the rest by copies active); without them, by the number of copies generating."""
    if segments:
        return _costs_from_log(record, m, segments)
    active = [0] * m
    for c in record.get("copies") or []:
        for s in range(min(int(c.get("steps") or 0), m)):
            active[s] += 1
    wall = float(record.get("wall_s") or record.get("seconds") or 0.0)
    total = sum(active)
    if total == 0:
        return [wall / m] * m
    return [wall * a / total for a in active]


def _costs_from_log(record: dict, m: int, segments: Sequence[dict]) -> list[float]:
    tokens, execs, active = [0.0] * m, [0.0] * m, [0.0] * m
    for seg in segments:
        s = int(seg["step"])
        if s < m:
            tokens[s] += int(seg.get("num_tokens") or 0)
            execs[s] += seg.get("exec") is not None
            active[s] += 1
    gen, ex = float(record.get("generation_s") or 0.0), float(record.get("execution_s") or 0.0)
    wall = float(record.get("wall_s") or record.get("seconds") or 0.0)
    other = max(0.0, wall - gen - ex)

    def share(part: list, i: int) -> float:
        return part[i] / sum(part) if sum(part) else 1.0 / m
    return [gen * share(tokens, i) + ex * share(execs, i) + other * share(active, i) for i in range(m)]


def _vote_at(copies: Sequence[dict], k: int, m: int, dcfg, seed: int):
    """(winner, VoteResult, fixed entries, running positions) of the run cut after k of its m steps,
    voted as the run votes (decode/voting.py: its pool order, equivalence, integer mode, tie rule)."""
    fixed, running = truncated_pool(copies, k, m, dcfg)
    winner, _, res = tally([v for _, v in fixed], dcfg, seed=seed)
    return winner, res, fixed, running


def prepare(records: Sequence[dict], m: int, kind: str, dcfg, margin: float,
            grade: Callable[[object, str, str], bool], gen_log: Optional[Sequence[dict]] = None) -> dict[str, SimProblem]:
    """`kind`: how an answer is graded (eval.answer_kind); `dcfg`: the pass's decoding config, which
    says how it votes. `gen_log`: the pass's generation-log lines; each problem's step costs then follow
    its real tokens and code runs per step (step_costs). A record's vote seed is its `seed` (the decoder
    votes with the eval seed, which tie_break=random uses)."""
    from numina_exp.decode.early_stop import can_change

    segments: dict = {}
    for seg in gen_log or []:
        segments.setdefault(str(seg["problem_id"]), []).append(seg)
    out = {}
    for r in records:
        copies = r.get("copies") or []
        n = max(len(copies), 1)
        p = SimProblem(str(r["problem_id"]), str(r["gold"]), copies, step_costs(r, m, segments.get(str(r["problem_id"]))))
        for k in range(m + 1):
            winner, res, finished, unfinished = _vote_at(copies, k, m, dcfg, int(r.get("seed", 0)))
            p.answer_at.append(winner)
            p.correct_at.append(bool(grade(winner, r["gold"], kind)))
            if 1 <= k < m:
                lead = max((cnt for _, cnt in res.histogram), default=0)
                lossless = not can_change(finished, unfinished, dcfg)
                p.stop_after.append(lossless or lead >= margin * n)
        out[p.problem_id] = p
    return out


def simulate(problems: dict[str, SimProblem], order: Sequence[str], policy: str, budget: float,
             clock: Optional[Clock] = None) -> dict:
    """Run one order under one policy. Returns score, time used and per-problem outcomes."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    clock = clock or VirtualClock()
    start = clock.now()
    end = start + budget
    rows = []
    for idx, pid in enumerate(order):
        p = problems[pid]
        m = len(p.step_costs)
        t0 = clock.now()
        left = max(0.0, end - t0)
        if policy == "fixed":
            deadline = end
        elif policy == "even_split":
            deadline = min(end, t0 + budget / len(order))
        else:
            deadline = t0 + left / (len(order) - idx)
        k = 0
        cut = False
        while k < m:
            cost = p.step_costs[k]
            if clock.now() + cost > deadline + 1e-9:
                clock.advance(max(0.0, deadline - clock.now()))
                cut = True
                break
            clock.advance(cost)
            k += 1
            if policy == "adaptive" and k < m and p.stop_after[k - 1]:
                break
        rows.append({"problem_id": pid, "steps": k, "cut": cut, "answer": p.answer_at[k],
                     "correct": p.correct_at[k], "seconds": clock.now() - t0})
    return {"policy": policy, "score": sum(r["correct"] for r in rows), "problems": len(rows),
            "time_used": clock.now() - start, "budget": budget, "cut": sum(r["cut"] for r in rows),
            "early_stopped": sum((not r["cut"]) and r["steps"] < len(problems[r["problem_id"]].step_costs) for r in rows),
            "rows": rows}


def draw(rows: list[dict], num_problems: int, orders: int, seed: int) -> tuple[list[dict], list[list[str]]]:
    """The hidden-test stand-in (num_problems rows, seeded) and `orders` random orders of it."""
    rng = random.Random(seed)
    chosen = rng.sample(rows, min(num_problems, len(rows)))
    chosen.sort(key=lambda r: rows.index(r))
    ids = [r["id"] for r in chosen]
    out = []
    for _ in range(orders):
        o = list(ids)
        rng.shuffle(o)
        out.append(o)
    return chosen, out


def run_policies(problems: dict[str, SimProblem], orders: list[list[str]], policies: Sequence[str], budget: float,
                 clock_factory: Callable[[], Clock] = VirtualClock) -> dict:
    out = {}
    for pol in policies:
        runs = [simulate(problems, o, pol, budget, clock_factory()) for o in orders]
        scores = [r["score"] for r in runs]
        st = seed_stats(scores, lo=0.0, hi=float(len(orders[0])))
        out[pol] = {"scores": scores, "mean": st["mean"], "std": st["std"], "min": min(scores), "max": max(scores),
                    "time_used": [r["time_used"] for r in runs],
                    "time_used_mean_frac": sum(r["time_used"] for r in runs) / len(runs) / budget,
                    "cut": [r["cut"] for r in runs], "early_stopped": [r["early_stopped"] for r in runs],
                    "runs": runs}
    return out


def kaggle_table(result: dict) -> str:
    lines = [f"| policy | score / {result['problems']} (mean ± std over {result['orders']} orders) | min | max | "
             "time used (% of budget) | problems cut | early stops |", "|---|---:|---:|---:|---:|---:|---:|"]
    for pol, v in result["policies"].items():
        lines.append(f"| {md_cell(pol)} | {v['mean']:.2f} ± {v['std']:.2f} | {v['min']} | {v['max']} | "
                     f"{100 * v['time_used_mean_frac']:.1f} | {sum(v['cut']) / len(v['cut']):.1f} | "
                     f"{sum(v['early_stopped']) / len(v['early_stopped']):.1f} |")
    return "\n".join(lines)


def plot_scores(result: dict, path: str | Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pols = list(result["policies"])
    fig, ax = plt.subplots(figsize=(1.6 * len(pols) + 2, 3.0))
    for i, pol in enumerate(pols):
        s = result["policies"][pol]["scores"]
        ax.scatter([i + (j - (len(s) - 1) / 2) * 0.04 for j in range(len(s))], s, s=14, alpha=0.7)
        ax.hlines(sum(s) / len(s), i - 0.25, i + 0.25, color="k")
    ax.set_xticks(range(len(pols)), pols)
    ax.set_ylabel(f"score / {result['problems']}")
    ax.set_title(f"Kaggle simulation: score per random order ({result['orders']} orders)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run(cfg, run_dir: Path, decoder=None, clock_factory: Callable[[], Clock] = VirtualClock, grade=None) -> dict:
    """method=evaluate with eval.mode=kaggle_sim: one pass over the drawn problems, then every policy
    over eval.orders random orders. Writes kaggle_sim.json, report.md and a plot."""
    from numina_exp.core.rundir import lock_run_dir
    from numina_exp.report.tracking import Tracker

    grade = grade or default_grade
    e = cfg.eval
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    lock_run_dir(run_dir)
    seed = int(e.seeds[0])
    check_plan(run_dir, eval_plan(cfg))
    all_rows = load_suite(e)
    rows, orders = draw(all_rows, int(e.num_problems), int(e.orders), int(e.order_seed))
    store = ResultStore(run_dir / "per_problem.jsonl")
    own = decoder is None
    t0 = time.time()
    try:
        if store.done(seed) != {r["id"] for r in rows} and decoder is None:
            from numina_exp.decode import make_decoder
            decoder = make_decoder(cfg)
        evaluate_seed(decoder, rows, seed, store, gen_log_path(run_dir, seed, [seed]), e.answer_kind,
                      grade=grade, progress=e.progress)
    finally:
        if own and decoder is not None:
            decoder.close()
    records = store.finalize([(seed, r["id"]) for r in rows])
    m = int(cfg.decoding.m)
    from numina_exp.generate.log import read_generations
    log_path = gen_log_path(run_dir, seed, [seed])
    problems = prepare(records, m, e.answer_kind, cfg.decoding, float(e.adaptive_margin), grade,
                       gen_log=read_generations(log_path) if log_path.exists() else None)
    fixed_total = sum(sum(p.step_costs) for p in problems.values())
    speed = float(e.speed_factor) or (fixed_total / 0.9 / float(e.budget_s) if fixed_total > 0 else 1.0)
    budget = float(e.budget_s) * speed
    policies = list(e.policies) or [e.policy]
    res = run_policies(problems, orders, policies, budget, clock_factory)
    scaled = {str(sc): {p: {k: v for k, v in d.items() if k != "runs"}
                        for p, d in run_policies(problems, orders, policies, budget * float(sc), clock_factory).items()}
              for sc in e.budget_scales if float(sc) != 1.0}
    result = {"kind": str(ResultKind.kaggle_sim), "mode": "kaggle_sim", "suite": e.name, "problems": len(rows), "orders": len(orders),
              "budget_s_kaggle": float(e.budget_s), "speed_factor": speed, "budget_s": budget,
              "speed_factor_calibrated": not float(e.speed_factor), "fixed_time_needed_s": fixed_total,
              "plain_run_score": sum(r["correct"] for r in records), "seed": seed,
              "decoding": {"strategy": cfg.decoding.strategy, "n": cfg.decoding.n, "m": m},
              "adaptive_margin": float(e.adaptive_margin), "policies": res, "budget_scales": scaled,
              "timing": {"wall_s_this_process": time.time() - t0}}
    atomic_write_text(run_dir / "kaggle_sim.json", json.dumps(result, indent=1, default=str) + "\n")
    brief = {k: v for k, v in result.items() if k != "policies"}
    brief["policies"] = {p: {k: v for k, v in d.items() if k != "runs"} for p, d in res.items()}
    atomic_write_text(run_dir / "results.json", json.dumps(brief, indent=2, default=str) + "\n")
    (run_dir / "plots").mkdir(exist_ok=True)
    png = plot_scores(result, run_dir / "plots" / "kaggle_scores.png")
    # the suite name is input: one inert span (a newline would add lines/rows, `<script>` or a bidi override reach
    # whoever views the file)
    md = [f"# Kaggle simulation: {md_cell(e.name)}", "",
          f"{len(rows)} problems (drawn with seed {e.order_seed}), {len(orders)} random orders, budget "
          f"{e.budget_s:.0f} s x speed factor {speed:.3g} = {budget:.1f} s here"
          + (" (calibrated: fixed policy needs 90 %)" if result["speed_factor_calibrated"] else "")
          + f"; decoding `{md_cell(cfg.decoding.strategy)}` N={cfg.decoding.n}, M={m}; plain pass: "
            f"{result['plain_run_score']}/{len(rows)}.", "", kaggle_table(result), "",
          "![scores](plots/kaggle_scores.png)", ""]
    for sc, pols in scaled.items():
        md += [f"### Tighter budget: {float(sc):.0%} of it ({budget * float(sc):.1f} s)", "",
               kaggle_table({**result, "policies": pols}), ""]
    atomic_write_text(run_dir / "report.md", "\n".join(md) + "\n")
    tracker = Tracker(cfg, run_dir, job_type="kaggle_sim")
    if tracker.enabled:
        tracker.summary({f"kaggle/{p}/{k}": d[k] for p, d in res.items() for k in ("mean", "std", "time_used_mean_frac")})
        tracker.table("kaggle/policies", [{"policy": p, "order": i, "score": s, "time_used": t}
                                          for p, d in res.items() for i, (s, t) in enumerate(zip(d["scores"], d["time_used"]))])
        tracker.image("kaggle/scores", png)
    tracker.finish()
    print("[kaggle_sim]\n" + kaggle_table(result), flush=True)
    return result
