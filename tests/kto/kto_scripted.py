"""Scripted SC-TIR copies with known outcomes, served by the replay backend (no model, no sandbox:
every execution result is recorded in the generation lines)."""
from __future__ import annotations

import json
from pathlib import Path

STOP = "```output\n"


def code(body: str = "print(6*7)") -> str:
    return f"Let us compute.\n```python\n{body}\n```\n{STOP}"


def final(ans: str) -> str:
    return f"\nThe result follows, so the answer is $\\boxed{{{ans}}}$."


# problem -> gold (via the reference solution's box), and per copy: [(text, exec feedback or None), ...]
PROBLEMS = [
    {"id": "A", "problem": "What is 6 times 7?", "solution": "6*7 = $\\boxed{42}$"},
    {"id": "B", "problem": "What is 3 plus 4?", "solution": "The sum is $\\boxed{7}$."},
    {"id": "C", "problem": "What is 2 plus 3?", "solution": "Clearly $\\boxed{5}$"},
    {"id": "D", "problem": "Prove that there are infinitely many primes.", "solution": "Euclid's argument."},  # no gold
]
SCRIPT = {
    "A": {0: [(code(), "42"), (final("42"), None)],              # answered, correct
          1: [(code(), "41"), (final("41"), None)],              # answered, wrong
          2: [("I am not sure.", None), (code(), "42"), (final("42"), None)],  # restart, then correct
          3: [("```python\nx\n```\nThe answer is $\\boxed{42}$.", None)]},     # answer without output: discarded
    "B": {c: [(code("print(3+4)"), "7"), (final("7"), None)] for c in range(4)},  # all correct
    "C": {0: [(code(), "6"), (final("6"), None)],
          1: [(code(), "4"), (final("4"), None)],
          2: [(code(), "9"), (final("9"), None)],
          3: [(code(), "1"), (code(), "2"), (code(), None)]},    # still coding at the last step: unfinished
}
# copy -> (status, label) under the default rule (copies without an answer are undesirable)
EXPECTED = {
    ("A", 0): ("answered", True), ("A", 1): ("answered", False), ("A", 2): ("answered", True), ("A", 3): ("discarded", False),
    **{("B", c): ("answered", True) for c in range(4)},
    ("C", 0): ("answered", False), ("C", 1): ("answered", False), ("C", 2): ("answered", False), ("C", 3): ("unfinished", False),
}


def generation_records() -> list[dict]:
    out = []
    for pid, copies in SCRIPT.items():
        for copy, steps in copies.items():
            for step, (text, feedback) in enumerate(steps):
                rec = {"problem_id": pid, "copy": copy, "step": step, "text": text, "num_tokens": max(1, len(text) // 4),
                       "finish_reason": "stop" if text.endswith(STOP) else "eos", "exec": None}
                if feedback is not None:
                    rec["exec"] = {"status": "ok", "feedback": feedback}
                out.append(rec)
    return out


def write_fixtures(tmp: Path) -> tuple[Path, Path]:
    """(prompts.jsonl, generations.jsonl) in tmp."""
    prompts, gens = tmp / "prompts.jsonl", tmp / "scripted_generations.jsonl"
    prompts.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS))
    gens.write_text("".join(json.dumps(r) + "\n" for r in generation_records()))
    return prompts, gens


def expected_completion(pid: str, copy: int) -> str:
    """What the copy's whole text is: generations and fed-back outputs after its last restart."""
    text = ""
    for seg, feedback in SCRIPT[pid][copy]:
        if "```python" not in text + seg and "```python" not in seg:  # rule 1: no code yet -> restart
            text = ""
            continue
        text += seg + (f"{feedback}\n```" if feedback is not None else "")
    return text


TOY = Path(__file__).resolve().parents[2] / "numina_exp" / "data" / "kto" / "toy_samples.jsonl"


def toy_samples(problems: int | None = None) -> list[dict]:
    """The shipped learnable toy (scripts/build_kto_toy.py): per problem a desirable copy with a
    pattern and an undesirable one in words; every 4th problem held out. `problems`: the first n."""
    rows = [json.loads(line) for line in TOY.read_text().splitlines()]
    keep = sorted({r["problem_id"] for r in rows}, key=lambda p: int(p.split("-")[1]))[:problems]
    return [r for r in rows if r["problem_id"] in set(keep)]


def write_samples(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
