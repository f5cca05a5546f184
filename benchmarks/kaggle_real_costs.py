"""The Kaggle simulator on real costs: each problem's step costs from a recorded generation log.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/kaggle_real_costs.py [--problems 50] [--orders 50] [--time-scale 0.005]
        [--engine FILE] [--vote math|integer]

The workload: 50 GSM8K problems with ToRA-70B's recorded TIR completions (recorded.py), decoded once by
SC-TIR (barrier, one problem at a time) over `paced_replay` at a measured engine speed (--engine,
x --time-scale), every python block executed live. Each problem's measured seconds are then split over
its steps by the tokens generated and the code run in each step, read from the pass's generation log
(numina_exp.evaluate.kaggle_sim.step_costs with `segments`), instead of uniform costs. The budget is
calibrated as eval.speed_factor=0 does (the fixed policy needs 90 % of it); every policy replays
--orders random orders at 100 % and 60 % of it. Printed: score mean, std, min, max over orders per
policy and budget, time used, problems cut, early stops.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from paced_replay import PacedReplay
from recorded import load_recording, replay_cfg

# The engine speed the README table was measured at (vLLM-CPU on a loaded box, benchmarks 6608d82); the idle
# re-measurement (data/engine_speed.json) is 16-30x faster, which leaves live code execution as the only cost.
ENGINE = Path(__file__).resolve().parent / "data" / "engine_speed_loaded.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", type=int, default=50)
    ap.add_argument("--orders", type=int, default=50)
    ap.add_argument("--margin", type=float, default=0.5, help="eval.adaptive_margin")
    ap.add_argument("--time-scale", type=float, default=0.005)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vote", default="math", choices=["integer", "math"], help="decoding.vote_equivalence")
    ap.add_argument("--engine", type=Path, default=ENGINE,
                    help="engine speed JSON (step_s, token_s) that paces the replay (default: the loaded-box "
                         "measurement the README table was made with)")
    args = ap.parse_args()
    from numina_exp.decode import make_decoder, read_generations
    from numina_exp.evaluate.kaggle_sim import POLICIES, prepare, run_policies
    from numina_exp.evaluate.seed_loop import default_grade, grade_record
    from numina_exp.sandbox import Executor

    rec = load_recording()
    rec.problems = rec.problems[: args.problems]
    keep = {p["id"] for p in rec.problems}
    rec.generations = [g for g in rec.generations if g["problem_id"] in keep]
    engine = json.loads(args.engine.read_text())
    # one problem at a time: with several in flight, problems share generate calls and finish together, so a
    # problem's measured seconds would be its batch's, not its own
    cfg = replay_cfg(rec, ["sandbox=numina", "sandbox.workers=2", f"decoding.vote_equivalence={args.vote}",
                           "decoding.problems_in_flight=1"])
    log = Path(tempfile.mkdtemp()) / "generations.jsonl"
    with Executor.from_config(cfg.sandbox) as ex:
        dec = make_decoder(cfg, backend=PacedReplay(rec.generations, engine["step_s"], engine["token_s"],
                                                    time_scale=args.time_scale), executor=ex)
        by_id = {p["id"]: p for p in rec.problems}
        records = [grade_record(r.to_json(), by_id[r.problem_id], 0, "numeric", default_grade)
                   for r in dec.decode(rec.problems, seed=0, gen_log=log)]
    m = int(cfg.decoding.m)
    problems = prepare(records, m, "numeric", cfg.decoding, args.margin, default_grade, gen_log=read_generations(log))
    ids = list(problems)
    rng = random.Random(args.seed)
    orders = [rng.sample(ids, len(ids)) for _ in range(args.orders)]
    fixed_total = sum(sum(p.step_costs) for p in problems.values())
    budget = fixed_total / 0.9
    costs = sorted(sum(p.step_costs) for p in problems.values())
    print(f"{len(ids)} GSM8K problems, ToRA-70B recorded TIR completions (N={rec.n}, M={m}), code executed live, paced at "
          f"{1 / args.time_scale:.0f}x the measured engine; per-problem cost from the log: min {costs[0]:.2f} s, median "
          f"{costs[len(costs) // 2]:.2f} s, max {costs[-1]:.2f} s; calibrated budget {budget:.1f} s (fixed needs 90 %); "
          f"{args.orders} random orders; the full pass: {sum(p.correct_at[m] for p in problems.values())}/{len(ids)} correct")
    print("| budget | policy | score mean ± std | min | max | time used | problems cut | early stops |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for scale in (1.0, 0.6):
        for pol, v in run_policies(problems, orders, list(POLICIES), budget * scale).items():
            print(f"| {int(100 * scale)} % | {pol} | {v['mean']:.2f} ± {v['std']:.2f} / {len(ids)} | {v['min']} | {v['max']} | "
                  f"{100 * v['time_used_mean_frac']:.0f} % | {sum(v['cut']) / len(v['cut']):.1f} | "
                  f"{sum(v['early_stopped']) / len(v['early_stopped']):.1f} |")


if __name__ == "__main__":
    main()
