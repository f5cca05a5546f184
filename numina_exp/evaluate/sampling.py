"""Labelled completions from a model's own SC-TIR copies (method=sample; KTO's and RL's data).

Each prompt is decoded once with k copies (decoding.n); every copy becomes one row of samples.jsonl:

    {"problem_id", "prompt", "completion", "answer", "gold", "label", "correct", "copy", "status",
     "split", "tokens"}

* `completion` is the copy's whole text after the prompt: its generations and the executed outputs
  fed back (what the model conditioned on), rebuilt from the generation log the decoder writes; a
  restart (the notebook's reset to the bare prompt) discards the text before it, as decoding did
  (a copy that ends on a restart keeps its last, discarded attempt).
* `label` = the copy's answer graded against `gold` (the boxed answer of the reference solution).
  Copies without an answer (status discarded / unfinished) get `unfinished_label`: `undesirable`
  (label false) or `drop` (label null: kept in the file, never trained on).
* `reference` (never | all_wrong | always): the reference solution joins as one more desirable row
  (copy k, status `reference`) for every problem, or only where none of the k copies was right (a
  model that rarely solves its prompts would otherwise leave KTO with one class). Problem-level
  statistics (pass@k, all correct / all wrong / mixed) count the model's copies only.
* `split`: `heldout` for a fixed fraction of the problems (by a hash of the id: stable under resume
  and across runs), `train` otherwise.

Resume after kill -9: a problem's k rows are appended in one write + fsync once it is graded; on
restart a torn last line is cut, problems with fewer than k rows are dropped and decoded again, and
generation-log lines of problems without rows are pruned (evaluate/store.py's rule).
samples_stats.json is recomputed from samples.jsonl at the end, so it is the same whether or not the
run was interrupted."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Callable

from numina_exp.core.io import append_jsonl, atomic_write_jsonl, atomic_write_text, read_jsonl_torn
from numina_exp.generate.capture import CopyCapture, copy_texts
from numina_exp.grading.gold import gold_answer, problem_text, reference_solution

from .store import prune_generation_log

log = logging.getLogger("numina_exp")

UNFINISHED_LABELS = ("undesirable", "drop")
REFERENCE_RULES = ("never", "all_wrong", "always")
SAMPLES, STATS, GENERATIONS = "samples.jsonl", "samples_stats.json", "generations.jsonl"


def prompt_rows(rows: list[dict], id_prefix: str = "row") -> tuple[list[dict], int]:
    """Dataset rows -> problems {id, problem, answer, solution} with a gradable gold; and how many were skipped."""
    out, skipped = [], 0
    for i, row in enumerate(rows):
        gold = gold_answer(row)
        problem = problem_text(row)
        if gold is None or not problem:
            skipped += 1
            continue
        out.append({"id": str(row.get("id") or f"{id_prefix}-{i}"), "problem": problem, "answer": gold,
                    "solution": reference_solution(row)})
    return out, skipped


def split_of(problem_id: str, heldout_fraction: float) -> str:
    """`heldout` for a fixed share of problems: a hash of the id, so it survives resume and re-runs."""
    h = int(hashlib.sha256(f"heldout|{problem_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "heldout" if h < heldout_fraction else "train"


def label_rows(result: dict, problem: dict, prompt: str, texts: dict[int, str], grade: Callable,
               unfinished_label: str, split: str) -> list[dict]:
    """One row per copy of a decoded problem."""
    rows = []
    for c in result["copies"]:
        answered = c["status"] == "answered" and c.get("answer") is not None
        correct = bool(answered and grade(c["answer"], problem["answer"]))
        if answered:
            label = correct
        else:
            label = False if unfinished_label == "undesirable" else None
        rows.append({"problem_id": str(problem["id"]), "prompt": prompt, "completion": texts.get(int(c["copy"]), ""),
                     "answer": c.get("answer"), "gold": problem["answer"], "label": label, "correct": correct,
                     "copy": int(c["copy"]), "status": c["status"], "split": split, "tokens": int(c.get("tokens") or 0)})
    return rows


def reference_row(problem: dict, prompt: str, copy: int, split: str) -> dict:
    """The reference solution as one more completion (status `reference`, desirable by construction)."""
    return {"problem_id": str(problem["id"]), "prompt": prompt, "completion": problem["solution"], "answer": problem["answer"],
            "gold": problem["answer"], "label": True, "correct": True, "copy": copy, "status": "reference", "split": split,
            "tokens": 0}


def _load_done(path: Path, k: int) -> dict[str, list[dict]]:
    """Rows already sampled, by problem; problems missing one of the k copies (a torn write) are dropped."""
    rows, broken = read_jsonl_torn(path) if path.exists() else ([], False)
    by_pid: dict[str, list[dict]] = {}
    for r in rows:
        by_pid.setdefault(str(r["problem_id"]), []).append(r)
    partial = [p for p, rs in by_pid.items() if not set(range(k)) <= {int(r["copy"]) for r in rs}]
    for p in partial:
        del by_pid[p]
    if broken or partial:
        atomic_write_jsonl(path, [r for rs in by_pid.values() for r in rs])
        log.info("sample resume: dropped %d incomplete problem(s)%s", len(partial), " and a torn last line" if broken else "")
    return by_pid


def sample(decoder, problems: list[dict], run_dir: str | os.PathLike, *, k: int, seed: int, grade: Callable,
           unfinished_label: str = "undesirable", heldout_fraction: float = 0.0, skipped_no_gold: int = 0,
           reference: str = "never", progress: bool = True) -> dict:
    """Decode `problems` ({id, problem, answer}) with `decoder` (k copies each), label every copy, write
    samples.jsonl / samples_stats.json / generations.jsonl in `run_dir`; returns the stats."""
    if reference not in REFERENCE_RULES:
        raise ValueError(f"reference={reference!r}: use one of {REFERENCE_RULES}")
    if unfinished_label not in UNFINISHED_LABELS:
        raise ValueError(f"unfinished_label={unfinished_label!r}: use one of {UNFINISHED_LABELS}")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path, gen_path = run_dir / SAMPLES, run_dir / GENERATIONS
    done = _load_done(path, k)
    dropped = prune_generation_log(gen_path, set(done))
    if dropped:
        log.info("sample resume: dropped %d generation-log lines of unfinished problems", dropped)
    todo = [p for p in problems if str(p["id"]) not in done]
    by_id = {str(p["id"]): p for p in problems}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(problems), initial=len(problems) - len(todo), desc="sampling", unit="problem", dynamic_ncols=True)
    gen_log = CopyCapture(gen_path)
    try:
        for result in (decoder.decode(todo, seed=seed, gen_log=gen_log) if todo else []):
            res = result.to_json() if hasattr(result, "to_json") else dict(result)
            problem = by_id[str(res["problem_id"])]
            if len(res["copies"]) != k:
                raise RuntimeError(f"problem {problem['id']}: the decoder returned {len(res['copies'])} copies, expected k={k}")
            texts = copy_texts(res["copies"], gen_log.pop(problem["id"]))
            split = split_of(problem["id"], heldout_fraction)
            rows = label_rows(res, problem, decoder.prompt(problem), texts, grade, unfinished_label, split)
            if problem.get("solution") and (reference == "always" or (reference == "all_wrong" and not any(r["correct"] for r in rows))):
                rows.append(reference_row(problem, decoder.prompt(problem), k, split))
            append_jsonl(path, rows)  # the problem's k rows in one write + fsync
            done[str(problem["id"])] = rows
            if bar is not None:
                n = sum(len(v) for v in done.values())
                bar.set_postfix(desirable=f"{sum(bool(r['label']) for v in done.values() for r in v)}/{n}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    ordered = [r for p in problems if str(p["id"]) in done for r in sorted(done[str(p["id"])], key=lambda r: r["copy"])]
    atomic_write_jsonl(path, ordered)  # problem order: identical bytes whether or not the run was interrupted
    stats = sample_stats(ordered, k=k, unfinished_label=unfinished_label, skipped_no_gold=skipped_no_gold)
    stats["reference_rule"] = reference
    atomic_write_text(run_dir / STATS, json.dumps(stats, indent=2))
    return stats


def sample_stats(rows: list[dict], k: int, unfinished_label: str, skipped_no_gold: int = 0) -> dict:
    """Counts over all rows; the problem-level numbers (all correct / all wrong / mixed, pass@k,
    copy accuracy) over the model's own copies only (reference rows excluded)."""
    references = [r for r in rows if r["status"] == "reference"]
    by_pid: dict[str, list[dict]] = {}
    for r in rows:
        if r["status"] == "reference":
            continue
        by_pid.setdefault(r["problem_id"], []).append(r)
    n_correct = [sum(r["correct"] for r in rs) for rs in by_pid.values()]
    labelled = [r for r in rows if r["label"] is not None]
    status = {s: sum(r["status"] == s for r in rows) for s in ("answered", "discarded", "unfinished")}

    def counts(rs):
        d = sum(1 for r in rs if r["label"])
        return {"rows": len(rs), "desirable": d, "undesirable": len(rs) - d}

    return {
        "rows": len(rows), "labelled": len(labelled), "dropped": len(rows) - len(labelled),
        "desirable": sum(1 for r in labelled if r["label"]), "undesirable": sum(1 for r in labelled if not r["label"]),
        "k": k, "unfinished_label": unfinished_label,
        "unfinished_label_rule": ("copies without an answer (discarded / unfinished) are labelled undesirable"
                                  if unfinished_label == "undesirable" else "copies without an answer are dropped (label null)"),
        "status": status,
        "problems": len(by_pid), "skipped_no_gold": skipped_no_gold,
        "problems_all_correct": sum(c == len(rs) for c, rs in zip(n_correct, by_pid.values())),
        "problems_all_wrong": sum(c == 0 for c in n_correct),
        "problems_mixed": sum(0 < c < len(rs) for c, rs in zip(n_correct, by_pid.values())),
        "pass_at_k": (sum(c > 0 for c in n_correct) / len(by_pid)) if by_pid else 0.0,
        "copy_accuracy": (sum(n_correct) / (len(rows) - len(references))) if len(rows) > len(references) else 0.0,
        "reference_rows": len(references),
        "tokens": sum(int(r.get("tokens") or 0) for r in rows),
        "splits": {s: counts([r for r in labelled if r.get("split") == s]) for s in ("train", "heldout")},
    }
