"""The Kaggle simulator on real costs: each problem's step costs from a recorded generation log.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/kaggle_real_costs.py [--run benchmarks/data/<name>] [--orders 50]

The recorded real run (SmolLM2 SC-TIR, every copy's full history) gives each problem its answers after
k steps and its measured seconds, split over the steps by the tokens generated and the code run in each
(numina_exp.evaluate.kaggle_sim.step_costs with the generation log) instead of uniform costs. The
budget is calibrated as in eval.speed_factor=0 (the fixed policy needs 90 % of it); every policy then
replays --orders random orders of the recorded problems at 100 % and 60 % of that budget. Printed: the
score spread (mean, std, min, max over orders) per policy and budget, time used, problems cut, early stops.
"""
from __future__ import annotations

import argparse
import random

from recorded import DATA, cfg_for, load_recording


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default=None, help="recorded run dir (default: the first benchmarks/data/* recording)")
    ap.add_argument("--orders", type=int, default=50)
    ap.add_argument("--margin", type=float, default=0.5, help="eval.adaptive_margin")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    run_dir = args.run or sorted(str(p) for p in DATA.iterdir() if (p / "generations.jsonl").exists())[0]
    rec = load_recording(run_dir)
    from numina_exp.evaluate.kaggle_sim import POLICIES, prepare, run_policies, step_costs
    from numina_exp.evaluate.runner import _default_grade

    cfg = cfg_for(rec, [])
    kind = rec.config["eval"]["answer_kind"]
    problems = prepare(rec.records, rec.m, kind, cfg.decoding, args.margin, _default_grade, gen_log=rec.generations)
    uniform = {r["problem_id"]: step_costs(r, rec.m) for r in rec.records}
    ids = list(problems)
    rng = random.Random(args.seed)
    orders = []
    for _ in range(args.orders):
        o = list(ids)
        rng.shuffle(o)
        orders.append(o)
    fixed_total = sum(sum(p.step_costs) for p in problems.values())
    budget = fixed_total / 0.9
    print(f"{rec.name}: {len(ids)} recorded problems ({rec.config['model']['name']}, {rec.config['eval']['name']}, "
          f"N={rec.n}, M={rec.m}), {args.orders} random orders; step costs from the generation log (measured "
          f"seconds split by tokens and code runs per step); calibrated budget {budget:.1f} s (fixed needs 90 %)")
    share = [sum(p.step_costs[k] for p in problems.values()) / fixed_total for k in range(rec.m)]
    flat = [sum(c[k] for c in uniform.values()) / sum(sum(c) for c in uniform.values()) for k in range(rec.m)]
    print("share of time per step, from the log: " + ", ".join(f"step {k}: {100 * s:.1f} %" for k, s in enumerate(share))
          + "; by active copies only: " + ", ".join(f"{100 * s:.1f} %" for s in flat))
    print(f"plain run: {sum(p.correct_at[rec.m] for p in problems.values())}/{len(ids)} correct")
    print("| budget | policy | score mean ± std | min | max | time used | problems cut | early stops |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for scale in (1.0, 0.6):
        res = run_policies(problems, orders, list(POLICIES), budget * scale)
        for pol, v in res.items():
            print(f"| {int(100 * scale)} % | {pol} | {v['mean']:.2f} ± {v['std']:.2f} / {len(ids)} | {v['min']} | {v['max']} | "
                  f"{100 * v['time_used_mean_frac']:.0f} % | {sum(v['cut']) / len(v['cut']):.1f} | "
                  f"{sum(v['early_stopped']) / len(v['early_stopped']):.1f} |")


if __name__ == "__main__":
    main()
