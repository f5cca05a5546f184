"""The data side of TIR generation (method=generate_tir): the instruction prompt, the journal that makes
a run resumable, the output rows (NuminaMath-TIR schema + provenance) and the statistics.

Run directory:

    attempts.jsonl    the journal: one line per finished (problem, attempt) with every copy's outcome,
                      its tokens and, when a copy was kept, the output row. Appended and fsync'd; the
                      single source of truth (a kill -9 loses at most the attempt in flight).
    tir.jsonl         the kept rows, appended after each journal line and rebuilt from the journal
                      on resume, so it can never disagree with it.
    generations.jsonl every generated segment (docs/generation_log.md); problem ids are `<id>#a<attempt>`.
    endpoint_errors.jsonl  problems whose attempt failed at the endpoint (after its retries): not in the
                      journal, so a resume tries them again.
    stats.json, yield.md   yield per source and per attempt, rejection reasons, tokens, cost.

Outcome of a copy: `correct` (its answer is equivalent to the reference; the first correct copy of an
attempt is kept), or a rejection reason: `no_code` (never ran a program: no python block, or an answer
without any code output), `wrong_answer`, `no_answer` (ran code but gave no final answer in its steps),
`error` / `timeout` (its last program failed / timed out and no answer followed)."""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Callable, Optional

from ..core.io import append_jsonl, atomic_write_jsonl, read_jsonl
from ..core.text import md_cell

REASONS = ("no_code", "wrong_answer", "no_answer", "error", "timeout")
PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"


# --- the instruction prompt ----------------------------------------------------------------------------
def load_instruction(path: str | os.PathLike) -> str:
    """The instruction template: plain text with one `{problem}` placeholder. It may not contain
    triple backticks: SC-TIR's decisions read the prompt too, and a fenced block there would count as
    code the teacher ran."""
    text = Path(path).read_text(encoding="utf-8")
    if text.count("{problem}") != 1:
        raise ValueError(f"{path}: the instruction needs exactly one {{problem}} placeholder")
    if "```" in text:
        raise ValueError(f"{path}: no ``` in the instruction (SC-TIR would read a fenced block there as the teacher's code)")
    return text.rstrip("\n")


def instruction_for(template: str, problem: str) -> str:
    return template.replace("{problem}", problem.strip())


# --- one attempt's copies -------------------------------------------------------------------------------
def outcome(copy: dict, grade: Callable[[str, str], bool], reference: str) -> str:
    """`correct` or one of REASONS for a copy of a decoder result (ProblemResult.to_json()["copies"][i])."""
    history = copy.get("history") or []
    if copy.get("status") == "answered" and copy.get("answer") is not None:
        return "correct" if grade(str(copy["answer"]), reference) else "wrong_answer"
    if copy.get("status") == "answered":
        return "no_answer"
    events = [ev.get("event") for ev in history]
    last_restart = max((i for i, e in enumerate(events) if e == "restart"), default=-1)
    tail = history[last_restart + 1:]
    # never ran a program; or ended with an answer but no code output (rule 2) / pruned for lack of code
    if "execute" not in events or (tail and tail[-1].get("event") in ("discard", "prune_nocode")):
        return "no_code"
    runs = [ev.get("exec_status") for ev in tail if ev.get("event") == "execute"]
    if runs and runs[-1] == "timeout":
        return "timeout"
    if runs and runs[-1] not in (None, "ok"):
        return "error"
    return "no_answer"


def tir_row(problem: str, solution: str, provenance: dict) -> dict:
    """A NuminaMath-TIR row (`problem`, `solution`, `messages`) plus provenance columns."""
    return {"problem": problem, "solution": solution,
            "messages": [{"role": "user", "content": problem}, {"role": "assistant", "content": solution}],
            **provenance}


# --- the journal ------------------------------------------------------------------------------------------
class Journal:
    """attempts.jsonl (source of truth) and tir.jsonl (its kept rows). `state(pid)` -> (next attempt, done)."""

    def __init__(self, run_dir: str | os.PathLike, retries: int):
        self.dir = Path(run_dir)
        self.path = self.dir / "attempts.jsonl"
        self.rows_path = self.dir / "tir.jsonl"
        self.retries = int(retries)
        self.lines: list[dict] = []
        if self.path.exists():
            self.lines = read_jsonl(self.path)  # a torn last line (kill -9 during its write) is dropped
            atomic_write_jsonl(self.path, self.lines)
        self._rebuild_rows()
        self._by_pid: dict[str, list[dict]] = {}
        for line in self.lines:
            self._by_pid.setdefault(line["id"], []).append(line)

    def _rebuild_rows(self) -> None:
        atomic_write_jsonl(self.rows_path, [x["row"] for x in self.lines if x.get("row")])

    def state(self, pid: str) -> tuple[int, bool]:
        lines = self._by_pid.get(pid, [])
        done = any(x.get("row") for x in lines) or len(lines) > self.retries
        return len(lines), done

    def attempted_ids(self) -> set:
        """problem ids `<id>#a<attempt>` of the journal (generation-log lines of others are unfinished)."""
        return {f"{x['id']}#a{x['attempt']}" for x in self.lines}

    def append(self, line: dict) -> None:
        append_jsonl(self.path, [line])
        if line.get("row"):
            append_jsonl(self.rows_path, [line["row"]])
        self.lines.append(line)
        self._by_pid.setdefault(line["id"], []).append(line)


def prune_log(path: str | os.PathLike, keep_ids: set) -> int:
    """Drop generation-log lines of attempts the journal does not have (killed mid-attempt); count dropped."""
    path = Path(path)
    if not path.exists():
        return 0
    lines = read_jsonl(path)
    kept = [x for x in lines if x.get("problem_id") in keep_ids]
    atomic_write_jsonl(path, kept)
    return len(lines) - len(kept)


# --- statistics -------------------------------------------------------------------------------------------
def stats(lines: list[dict], retries: int, price_prompt: float = 0.0, price_completion: float = 0.0,
          endpoint_errors: int = 0, skipped: Optional[dict] = None) -> dict:
    """Yield per source and per attempt, copy outcomes, tokens and cost, all from journal lines."""
    by_pid: dict[str, list[dict]] = {}
    for x in lines:
        by_pid.setdefault(x["id"], []).append(x)
    per_attempt = [{"attempt": a, "tried": 0, "kept": 0} for a in range(retries + 1)]
    by_source: dict[str, dict] = {}
    outcomes: Counter = Counter()
    tokens = {"completion": 0, "prompt": 0, "prompt_known": True}
    for xs in by_pid.values():
        src = xs[0].get("source") or "?"
        s = by_source.setdefault(src, {"problems": 0, "kept": 0, "finished": 0})
        s["problems"] += 1
        kept = any(x.get("row") for x in xs)
        s["kept"] += kept
        s["finished"] += kept or len(xs) > retries
        for x in xs:
            a = int(x["attempt"])
            per_attempt[a]["tried"] += 1
            per_attempt[a]["kept"] += bool(x.get("row"))
            outcomes.update(x["outcomes"])
            tokens["completion"] += int(x.get("completion_tokens") or 0)
            if x.get("prompt_tokens") is None:
                tokens["prompt_known"] = False
            else:
                tokens["prompt"] += int(x["prompt_tokens"])
    for s in by_source.values():
        s["yield"] = s["kept"] / s["problems"] if s["problems"] else 0.0
    for a in per_attempt:
        a["yield"] = a["kept"] / a["tried"] if a["tried"] else 0.0
    problems = len(by_pid)
    kept = sum(s["kept"] for s in by_source.values())
    cost = tokens["completion"] * price_completion + tokens["prompt"] * price_prompt
    return {"problems": problems, "kept": kept, "yield": kept / problems if problems else 0.0,
            "finished": sum(s["finished"] for s in by_source.values()), "attempts": sum(a["tried"] for a in per_attempt),
            "per_attempt": per_attempt, "by_source": by_source,
            "copies": {"total": sum(outcomes.values()), **{k: outcomes.get(k, 0) for k in ("correct", *REASONS)}},
            "tokens": tokens, "cost_usd": round(cost, 6), "cost_is_lower_bound": not tokens["prompt_known"] and price_prompt > 0,
            "endpoint_errors": endpoint_errors, "skipped": {k: v for k, v in (skipped or {}).items() if v}}


def yield_table(st: dict) -> str:
    """stats() as Markdown: per source, per attempt, copy outcomes, tokens and cost."""
    out = ["# TIR generation: yield", "",
           f"{st['kept']} of {st['problems']} problems kept ({100 * st['yield']:.1f}%), {st['attempts']} attempts, "
           f"{st['copies']['total']} copies.", "",
           "| source | problems | kept | yield |", "|---|---:|---:|---:|"]
    for src, s in sorted(st["by_source"].items()):
        out.append(f"| {md_cell(src)} | {s['problems']} | {s['kept']} | {100 * s['yield']:.1f}% |")
    out += ["", "| attempt | tried | kept | yield |", "|---:|---:|---:|---:|"]
    for a in st["per_attempt"]:
        out.append(f"| {a['attempt']} | {a['tried']} | {a['kept']} | {100 * a['yield']:.1f}% |")
    out += ["", "| copy outcome | copies |", "|---|---:|"]
    for k in ("correct", *REASONS):
        out.append(f"| {k} | {st['copies'][k]} |")
    t = st["tokens"]
    prompt = f"{t['prompt']}" if t["prompt_known"] else f"{t['prompt']} (not reported by this backend)"
    out += ["", f"Tokens: {t['completion']} completion, {prompt} prompt. Cost estimate: ${st['cost_usd']:.4f}"
            + (" (lower bound: prompt tokens unknown)" if st["cost_is_lower_bound"] else "") + "."]
    if st["endpoint_errors"]:
        out.append(f"\n{st['endpoint_errors']} problems failed at the endpoint after retries (endpoint_errors.jsonl); "
                   "a resume tries them again.")
    if st["skipped"]:
        out.append("\nSkipped source rows: " + ", ".join(f"{k}: {v}" for k, v in st["skipped"].items()) + ".")
    return "\n".join(out) + "\n"
