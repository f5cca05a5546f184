"""method=evaluate: decode a suite once per seed, grade, resume, N x M grid, report.

Run directory (everything a later re-score, resume or report needs):

    per_problem.jsonl        one line per (seed, problem), appended as problems finish; rewritten in
                             suite order at the end (so interrupted and uninterrupted runs end identical)
    generations.jsonl        the decoder's log (one seed) / generations.seed<S>.jsonl (several seeds)
    results.json             summary: per-seed accuracy, mean, std, 95 % interval, per member suite
    nm_grid.{json,md,png}    eval.nm_grid: accuracy of every (n <= N, m <= M) cell from this one pass
    report.md, plots/        tables and plots (numina_exp.report.eval_report)
    eval_plan.json           what the results depend on; a resume with a different plan is refused

Resume (eval.resume=true, the default): problems with a record are skipped and never generated
again; log lines of problems without a record (killed mid-problem) are dropped first.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional

from omegaconf import DictConfig, OmegaConf

from .shard import select_shard
from .store import ResultStore, prune_generation_log
from .suites import load_suite

log = logging.getLogger("numina_exp")

TIMING_KEYS = ("generation_s", "execution_s", "other_s", "wall_s", "exec_cpu_s", "seconds")


def gen_log_path(run_dir: Path, seed: int, seeds: list) -> Path:
    return run_dir / ("generations.jsonl" if len(seeds) == 1 else f"generations.seed{seed}.jsonl")


def _plan(cfg: DictConfig, rows: list[dict]) -> dict:
    """What a result depends on (not the seeds or the limit: adding seeds or problems resumes)."""
    pick = {k: OmegaConf.to_container(cfg[k], resolve=True) for k in ("decoding", "model") if k in cfg}
    pick["eval"] = {k: cfg.eval[k] for k in ("name", "answer_kind", "shuffle_seed")}
    pick["backend"] = cfg.backend.name
    return pick


def _check_plan(run_dir: Path, plan: dict) -> None:
    path = run_dir / "eval_plan.json"
    text = json.dumps(plan, sort_keys=True, default=str)
    if path.exists():
        old = path.read_text()
        if json.loads(old) != json.loads(text):
            raise RuntimeError(
                f"{run_dir} holds results of a different evaluation (eval_plan.json differs); resume needs the same "
                f"config. Use another hydra.run.dir or set eval.resume=false to start over.")
    else:
        path.write_text(text)


def grade_record(result: dict, row: dict, seed: int, kind: str,
                 grade: Callable[[Any, Any, str], bool]) -> dict:
    """The per-problem line: the decoder's result plus seed, suite, gold, correct and the counts the
    report's table shows."""
    copies = result.get("copies") or []
    status = [c.get("status") for c in copies]
    rec = dict(result)
    rec["seed"] = int(seed)
    rec["suite"] = row.get("suite")
    rec["gold"] = row["answer"]
    pred = result.get("answer")
    rec["correct"] = bool(pred is not None and grade(pred, row["answer"], kind))
    rec["answered"] = sum(s == "answered" for s in status)
    rec["discarded"] = sum(s == "discarded" for s in status)
    rec["unfinished"] = sum(s == "unfinished" for s in status)
    rec["seconds"] = float(result.get("wall_s") or 0.0)
    return rec


def _default_grade(pred, gold, kind: str) -> bool:
    from numina_exp.grading import is_equivalent
    return is_equivalent(str(pred), str(gold), kind)


def evaluate_seed(decoder, rows: list[dict], seed: int, store: ResultStore, gen_log: Optional[Path],
                  kind: str, grade=_default_grade, progress: bool = True, on_record=None) -> None:
    """Decode and grade the rows of one seed that have no record yet, appending each as it finishes."""
    done = store.done(seed)
    todo = [r for r in rows if r["id"] not in done]
    if gen_log is not None:
        dropped = prune_generation_log(gen_log, done)
        if dropped:
            log.info("resume: dropped %d generation-log lines of unfinished problems (seed %d)", dropped, seed)
    by_id = {r["id"]: r for r in rows}
    n_done = sum(1 for r in rows if r["id"] in done)
    correct = sum(1 for r in rows if r["id"] in done and store.records[(seed, r["id"])]["correct"])
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(rows), initial=n_done, desc=f"seed {seed}", unit="problem", dynamic_ncols=True)
    try:
        if not todo:
            return
        for result in decoder.decode(todo, seed=seed, gen_log=gen_log):
            res = result.to_json() if hasattr(result, "to_json") else dict(result)
            rec = grade_record(res, by_id[str(res["problem_id"])], seed, kind, grade)
            store.append(rec)
            n_done += 1
            correct += rec["correct"]
            if bar is not None:
                bar.set_postfix(acc=f"{100 * correct / n_done:.1f}%")
                bar.update(1)
            if on_record is not None:
                on_record(rec, n_done, correct)
    finally:
        if bar is not None:
            bar.close()


def run(cfg: DictConfig, run_dir: Path, decoder=None) -> dict:
    """Evaluate cfg.eval with cfg.decoding over each of cfg.eval.seeds; returns the summary."""
    from numina_exp.report.eval_report import summarize, write_report
    from numina_exp.report.tracking import Tracker

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    e = cfg.eval
    if e.mode == "kaggle_sim":
        from .kaggle_sim import run as kaggle_run
        return kaggle_run(cfg, run_dir, decoder=decoder)
    seeds = [int(s) for s in e.seeds]
    rows = load_suite(e)
    if not rows:
        raise RuntimeError(f"eval={e.name} has no problems")
    rows = select_shard(rows, e, run_dir)  # eval.num_shards > 1: this job's problem range only
    if not e.resume:
        for p in [run_dir / "per_problem.jsonl", run_dir / "eval_plan.json"] + [gen_log_path(run_dir, s, seeds) for s in seeds]:
            if p.exists():
                p.unlink()
    _check_plan(run_dir, _plan(cfg, rows))
    store = ResultStore(run_dir / "per_problem.jsonl")
    tracker = Tracker(cfg, run_dir, job_type="evaluate")
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
    finally:
        if own_decoder and decoder is not None:
            decoder.close()
    records = store.finalize([(s, r["id"]) for s in seeds for r in rows])
    summary = summarize(records, cfg, seeds, rows)
    summary["timing"] = {"wall_s_this_process": time.time() - t0,
                         "problem_seconds_total": sum(r.get("seconds", 0.0) for r in records)}
    write_report(run_dir, summary, records, cfg, tracker=tracker)
    tracker.finish()
    return summary
