"""method=evaluate: decode a suite once per seed, grade, resume, N x M grid, report.

Run directory (everything a later re-score, resume or report needs):

    per_problem.jsonl        one line per (seed, problem), appended as problems finish; rewritten in
                             suite order at the end (so interrupted and uninterrupted runs end identical)
    generations.jsonl        the decoder's log (one seed) / generations.seed<S>.jsonl (several seeds)
    results.json             summary: per-seed accuracy, mean, std, 95 % interval, per member suite
    nm_grid.{json,md,png}    eval.nm_grid: accuracy of every (n <= N, m <= M) cell from this one pass
    report.md, plots/        tables and plots (numina_exp.report.eval_report)
    eval_plan.json           what the results depend on (config, input file contents, model files, code
                             version: evaluate/plan.py); a resume with a different plan is refused
    .run.lock                one run per run dir (numina_exp.core.rundir.lock_run_dir)

Resume (eval.resume=true, the default): problems with a record are skipped and never generated
again; log lines of problems without a record (killed mid-problem) are dropped first.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from omegaconf import DictConfig

from .plan import check_plan, eval_plan
from .seed_loop import evaluate_seed, gen_log_path
from .shard import select_shard
from .store import ResultStore
from .suites import load_suite

log = logging.getLogger("numina_exp")

TIMING_KEYS = ("generation_s", "execution_s", "other_s", "wall_s", "exec_cpu_s", "seconds")


def start_over(run_dir: Path, seeds: list) -> None:
    """eval.resume=false: drop the results, the plan and the generation logs of earlier runs."""
    for p in [run_dir / "per_problem.jsonl", run_dir / "eval_plan.json"] + sorted(run_dir.glob("generations*.jsonl")):
        if p.exists():
            p.unlink()


def interrupted_note(store: ResultStore, total: int) -> None:
    """Ctrl-C: say what is saved (the CLI adds how to resume)."""
    print(f"\n[eval] interrupted: {len(store.records)} of {total} results are saved in {store.path}; "
          f"finished problems are not decoded again on resume", flush=True)


def run(cfg: DictConfig, run_dir: Path, decoder=None) -> dict:
    """Evaluate cfg.eval with cfg.decoding over each of cfg.eval.seeds; returns the summary."""
    from numina_exp.core.rundir import lock_run_dir
    from numina_exp.report.eval_report import write_report
    from numina_exp.report.tracking import Tracker

    from .summary import summarize

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    lock_run_dir(run_dir)
    e = cfg.eval
    if e.mode == "kaggle_sim":
        from .kaggle_sim import run as kaggle_run
        return kaggle_run(cfg, run_dir, decoder=decoder)
    seeds = [int(s) for s in e.seeds]
    if not e.resume:
        start_over(run_dir, seeds)
    check_plan(run_dir, eval_plan(cfg))
    rows = load_suite(e)
    if not rows:
        raise RuntimeError(f"eval={e.name} has no problems")
    rows = select_shard(rows, e, run_dir)  # eval.num_shards > 1: this job's problem range only
    store = ResultStore(run_dir / "per_problem.jsonl")
    tracker = Tracker(cfg, run_dir, job_type=cfg.method.name)
    own_decoder = decoder is None
    t0 = time.time()
    seed_lines = []
    try:
        for si, seed in enumerate(seeds):
            todo = [r for r in rows if r["id"] not in store.done(seed)]
            if todo and decoder is None:
                from numina_exp.decode import make_decoder
                decoder = make_decoder(cfg)
            ts = time.time()

            def on_record(rec, n, c, seed=seed):
                tracker.log({f"seed{seed}/running_accuracy": c / n, f"seed{seed}/problems": n})

            evaluate_seed(decoder, rows, seed, store, gen_log_path(run_dir, seed, seeds), e.answer_kind,
                          progress=e.progress, on_record=on_record if tracker.enabled else None)
            recs = [store.records[(seed, r["id"])] for r in rows]
            c = sum(r["correct"] for r in recs)
            line = (f"[eval] seed {seed} ({si + 1}/{len(seeds)}): {e.name} accuracy {100 * c / len(recs):.1f}% "
                    f"({c}/{len(recs)}), {time.time() - ts:.1f}s" + ("" if todo else " (all resumed)"))
            print(line, flush=True)
            seed_lines.append(line)
    except KeyboardInterrupt:
        interrupted_note(store, len(rows) * len(seeds))
        raise
    finally:
        if own_decoder and decoder is not None:
            decoder.close()
    records = store.finalize([(s, r["id"]) for s in seeds for r in rows])
    summary = summarize(records, cfg, seeds, rows)
    summary["timing"] = {"wall_s_this_process": time.time() - t0,
                         "problem_seconds_total": sum(r.get("seconds", 0.0) for r in records)}
    flight = getattr(decoder, "in_flight", None)  # SC-TIR: (problems decoded at once, why: in_flight.resolve)
    if flight is not None:
        window = getattr(decoder, "window", None)
        summary["timing"]["problems_in_flight"] = {"k": flight[0], "why": flight[1],
                                                   "held_results_peak": getattr(window, "max_held", None)}
    write_report(run_dir, summary, records, tracker=tracker)
    tracker.finish()
    return summary
