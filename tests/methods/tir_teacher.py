"""A recorded teacher for generate_tir: ToRA-70B's real tool-integrated solutions of GSM8K test problems
(the shipped tir_sample.jsonl), cut into SC-TIR steps as a replay generation log (backend=replay), plus
a few planted failures so every rejection reason and the retry path occur:

    no_code   attempt 0 answers twice without running code; attempt 1 (retry) is the real solution -> kept at 1
    wrong     attempt 0 gives a wrong final answer; attempt 1 too -> rejected after R=1 retries
    timeout   attempt 0's program loops forever; attempt 1 its program fails (error) -> rejected
The programs run for real in the sandbox (the recorded outputs are dropped)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from numina_exp.config import PACKAGE_DIR
from numina_exp.data.decontaminate import normalize, read_rows

OUT = re.compile(r"```output\n(.*?)\n```", re.S)


def steps(solution: str) -> list[str]:
    """A ToRA solution as generation segments: each ends with the code-output request, except the last."""
    segs, pos = [], 0
    for m in OUT.finditer(solution):
        segs.append(solution[pos:m.start()] + "```output\n")
        pos = m.end()
    segs.append(solution[pos:])
    return segs


def build(tmp: Path, n_problems: int) -> tuple[Path, Path, dict]:
    """(source jsonl with GSM8K references, replay log, {kind: problem id}) for the first n problems."""
    suite = {normalize(r["problem"]): r for r in read_rows(PACKAGE_DIR / "data" / "suites" / "gsm8k.jsonl")}
    tora = [r for r in read_rows(PACKAGE_DIR / "data" / "samples" / "tir_sample.jsonl")
            if r["source"].startswith("tora-70b") and normalize(r["problem"]) in suite and len(steps(r["solution"])) == 2]
    rows, log = [], []
    planted = {}
    for i, r in enumerate(tora[:n_problems]):
        ref = suite[normalize(r["problem"])]
        pid = ref["id"]
        rows.append({"id": pid, "source": "gsm8k-b" if i % 2 else "gsm8k-a", "problem": ref["problem"], "answer": ref["answer"]})
        real = steps(r["solution"])
        kind = {1: "no_code", 2: "wrong", 3: "timeout"}.get(i, "real")
        if kind == "real":
            attempts = [real]
        elif kind == "no_code":
            guess = "The answer is $\\boxed{" + ref["answer"] + "}$."  # no program: restarted, then given up
            attempts = [[guess, guess], real]
        elif kind == "wrong":
            bad = [real[0], real[1].replace("\\boxed{", "\\boxed{1000")]
            attempts = [bad, bad]
        else:
            attempts = [["```python\nwhile True:\n    pass\n```\n```output\n", "I could not finish."],
                        ["```python\nprint(1/0)\n```\n```output\n", "The program failed."]]
        if kind != "real":
            planted[kind] = pid
        for a, segs in enumerate(attempts):
            for step, text in enumerate(segs):
                log.append({"problem_id": f"{pid}#a{a}", "copy": 0, "step": step, "text": text, "num_tokens": len(text) // 4,
                            "finish_reason": "stop" if text.endswith("```output\n") else "eos", "exec": None})
    src, gen = tmp / "source.jsonl", tmp / "teacher_generations.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    gen.write_text("".join(json.dumps(r) + "\n" for r in log))
    return src, gen, planted


def overrides(src: Path, gen: Path, run_dir: Path) -> list[str]:
    return ["+experiment=generate_tir_from_cot", "scale=cpu", "scale.max_problems=1000", "backend=replay",
            f"backend.path={gen}", f"generate_tir.source={src}", "generate_tir.retries=1", "generate_tir.chat_template=numina",
            "generate_tir.teacher=tora-70b-recorded", "generate_tir.progress=false", "decoding.n=1", "decoding.m=2",
            "decoding.max_new_tokens=1024", "sandbox.timeout_s=1", "generate_tir.price_completion_token=1e-6",
            f"hydra.run.dir={run_dir}"]
