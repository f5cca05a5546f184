"""Scripted SC-TIR results for evaluation tests: no model, no sandbox, known copies.

`ScriptedDecoder` quacks like numina_exp.decode.Decoder: `decode(problems, seed, gen_log)` yields
ProblemResult objects whose copies are a deterministic function of (seed, problem id), and writes
one generation-log line per copy and step through the real GenerationLog (flushed per problem)."""
from __future__ import annotations

import hashlib
import random

from numina_exp.decode import CopyResult, ProblemResult, as_log
from numina_exp.grading import aimo_integer, majority_vote


def _rng(seed: int, pid: str) -> random.Random:
    return random.Random(int(hashlib.sha256(f"{seed}/{pid}".encode()).hexdigest()[:12], 16))


def scripted_copies(gold: str, seed: int, pid: str, n: int, m: int, p_correct: float = 0.55) -> list[CopyResult]:
    rng = _rng(seed, pid)
    out = []
    g = aimo_integer(gold)
    for i in range(n):
        u = rng.random()
        if u < 0.15:
            out.append(CopyResult(copy=i, status="discarded", finish_step=rng.randrange(m), steps=1))
            continue
        if u < 0.25:
            out.append(CopyResult(copy=i, status="unfinished", steps=m))
            continue
        ans = g if (rng.random() < p_correct and g is not None) else rng.choice([7, 11, 13, 42])
        step = rng.randrange(m)
        out.append(CopyResult(copy=i, status="answered", answer=str(ans), value=ans, finish_step=step,
                              steps=step + 1, code_runs=step, tokens=10 * (step + 1)))
    return out


def pool_order(copies: list[CopyResult], m: int) -> list[int]:
    fin = sorted((c.finish_step, c.copy) for c in copies if c.status == "answered")
    return [i for _, i in fin] + [c.copy for c in copies if c.status == "unfinished"]


def result_from_copies(pid: str, copies: list[CopyResult], m: int, gold=None) -> ProblemResult:
    order = pool_order(copies, m)
    by = {c.copy: c for c in copies}
    vote = majority_vote([by[i].answer for i in order], "integer")
    return ProblemResult(problem_id=pid, strategy="sc_tir_numina", answer=vote.winner if vote.winner is not None else 0,
                         votes=dict(vote.histogram), copies=copies, pool_order=order,
                         code_blocks=sum(c.code_runs for c in copies), tokens=sum(c.tokens for c in copies),
                         wall_s=0.01 * len(copies), n=len(copies), m=m, gold=gold)


class ScriptedDecoder:
    def __init__(self, n: int = 8, m: int = 4, p_correct: float = 0.55, on_problem=None):
        self.n, self.m, self.p = n, m, p_correct
        self.on_progress = None  # the Decoder interface: a callback the evaluation's progress bar sets
        self.calls: list[tuple[int, str]] = []
        self.on_problem = on_problem

    def decode(self, problems, seed=0, gen_log=None):
        log = as_log(gen_log)
        try:
            for p in problems:
                pid = str(p["id"])
                self.calls.append((seed, pid))
                copies = scripted_copies(p["answer"], seed, pid, self.n, self.m, self.p)
                for c in copies:
                    for s in range(max(c.steps, 1)):
                        log.append(pid, c.copy, s, f"text {pid} {c.copy} {s}", 5, "stop")
                if self.on_problem:
                    self.on_problem(pid)
                log.flush()
                yield result_from_copies(pid, copies, self.m, p.get("answer"))
        finally:
            log.discard()

    def close(self):
        pass


# --- replay fixtures: generation-log lines the real SC-TIR decoder turns into known outcomes -------------

def _plan_copy(gold: str, pid: str, copy: int, m: int, p_correct: float):
    """(kind, finish step, answer): kind answer | discard | never."""
    rng = _rng(copy, pid)
    u = rng.random()
    if u < 0.1:
        return "discard", 0, None
    if u < 0.2:
        return "never", None, None
    g = aimo_integer(gold)
    ans = g if (g is not None and rng.random() < p_correct) else rng.choice([7, 11, 13, 42])
    return "answer", rng.randrange(1, m), ans


def replay_lines(rows: list[dict], n: int = 4, m: int = 4, p_correct: float = 0.6) -> list[dict]:
    """One line per (problem, copy, step) in the generations.jsonl format. Under the notebook's rules:
    a copy planned to answer at step f writes prose without code (reset) before step f-1, a python block
    ending on the stop string at f-1 (its execution result recorded), and a boxed answer at f."""
    out = []
    for r in rows:
        pid = str(r["id"])
        for c in range(n):
            kind, f, ans = _plan_copy(r["answer"], pid, c, m, p_correct)
            for s in range(m):
                if kind == "discard" and s == 0:
                    text, fr, ex = "```python\nprint(1)\n```\nThe answer is $\\boxed{5}$.", "eos", None
                elif kind == "answer" and s == f - 1:
                    text, fr, ex = "We compute.\n```python\nprint(6 * 7)\n```\n```output\n", "stop", {"status": "ok", "feedback": "42"}
                elif kind == "answer" and s == f:
                    text, fr, ex = f"So the final answer is $\\boxed{{{ans}}}$.", "eos", None
                else:
                    text, fr, ex = "Let me think about this problem without code.", "eos", None
                out.append({"problem_id": pid, "copy": c, "step": s, "text": text, "num_tokens": len(text) // 4,
                            "finish_reason": fr, "exec": ex})
    return out


def write_jsonl(path, rows) -> None:
    import json
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
