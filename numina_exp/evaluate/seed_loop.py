"""Decode and grade the rows of one seed that have no record yet, appending each record as it finishes.
Shared by the suite runner (runner.py) and the Kaggle simulation (kaggle_sim.py)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Optional

from .store import ResultStore, prune_generation_log

log = logging.getLogger("numina_exp")


def gen_log_path(run_dir: Path, seed: int, seeds: list) -> Path:
    return Path(run_dir) / ("generations.jsonl" if len(seeds) == 1 else f"generations.seed{seed}.jsonl")


def default_grade(pred, gold, kind: str) -> bool:
    from numina_exp.grading import is_equivalent
    return is_equivalent(str(pred), str(gold), kind)


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


def evaluate_seed(decoder, rows: list[dict], seed: int, store: ResultStore, gen_log: Optional[Path],
                  kind: str, grade=default_grade, progress: bool = True, on_record=None) -> None:
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
    if bar is not None and todo:  # nothing left: the runner built no decoder for this seed
        # problems in flight finish late and together: show the engine's progress meanwhile
        decoder.on_progress = lambda info: bar.set_postfix(
            acc=f"{100 * correct / max(1, n_done):.1f}%", tokens=info["tokens"], live=info["live_problems"])
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
            if todo:
                decoder.on_progress = None
