"""`decoding=sc_tir_numina` alone reproduces the notebook's decisions: it brings the notebook's execution
rules (sandbox=numina) with it. Scripted problems whose feedback differs between our rules and the
notebook's: code that prints then fails, a last line with `#` inside a string, 200 and 201 characters of
output, an import of subprocess. Each copy's next step is short, so the last 100 characters — where the
notebook looks for the answer — reach into the tool output: the feedback decides the answer.

The expected decisions come from the notebook's way literally (tests/sandbox/reference.py: a fresh
`python3 tmp.py` per block and the notebook's filtering), not from the executor under test."""
import json
import re
import sys
from pathlib import Path

import pytest
from decode_scripted import code
from helpers import run_cli

from numina_exp.grading.aimo import aimo_integer
from numina_exp.grading.extract import extract_answer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))
from reference import reference_feedback  # noqa: E402

BLOCKS = {
    "prints_then_fails": 'print("\\\\boxed{41}")\nraise ValueError("boom")',
    "hash_in_string": 'x = 5\n"\\\\boxed{" + str(x) + "}#"',
    "chars_200": 'print("a" * 191 + "\\\\boxed{7}")',
    "chars_201": 'print("a" * 192 + "\\\\boxed{7}")',
    "imports_subprocess": 'import subprocess\nprint("\\\\boxed{3}")',
}
AFTER = "\nSo the answer is above."  # short: the answer region (last 100 chars) reaches the tool output
N = 2


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    d = tmp_path_factory.mktemp("notebook_rules")
    gens, probs = [], []
    for pid, body in BLOCKS.items():
        probs.append({"id": pid, "problem": f"Scripted problem {pid}", "answer": "7"})
        for c in range(N):
            gens.append({"problem_id": pid, "copy": c, "step": 0, "text": code(body), "num_tokens": 10, "finish_reason": "stop"})
            gens.append({"problem_id": pid, "copy": c, "step": 1, "text": AFTER, "num_tokens": 5, "finish_reason": "eos"})
    (d / "gens.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gens))
    (d / "problems.jsonl").write_text("".join(json.dumps(p) + "\n" for p in probs))
    return d


def _run(d: Path, name: str, *extra):
    out = d / name
    proc = run_cli(["method=evaluate", "decoding=sc_tir_numina", "backend=replay", f"backend.path={d / 'gens.jsonl'}",
                    "eval=jsonl", f"eval.path={d / 'problems.jsonl'}", f"decoding.n={N}", "decoding.m=4", "logger=none",
                    f"hydra.run.dir={out}", *extra], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers = {json.loads(x)["problem_id"]: json.loads(x)["answer"] for x in (out / "per_problem.jsonl").read_text().splitlines()}
    feedback = {(g["problem_id"], g["copy"]): g["exec"]["feedback"] for g in map(json.loads, (out / "generations.jsonl").read_text().splitlines())
                if g.get("exec")}
    return proc, out, answers, feedback


def _notebook_answer(prompt_free_text: str) -> int:
    value = aimo_integer(extract_answer(prompt_free_text, rule="numina"))
    return 0 if value is None else value % 1000  # no valid answer -> 0


def test_sc_tir_numina_alone_makes_the_notebooks_decisions(scripted):
    proc, out, answers, feedback = _run(scripted, "notebook")
    info = json.loads((out / "run_info.json").read_text())
    assert info["deliberate_mixes"] == []
    for pid, body in BLOCKS.items():
        block = re.findall(r"```python(.*?)```", code(body), re.DOTALL)[-1]  # the notebook's block, newlines and all
        expected_fb = reference_feedback(block, wall_s=60)
        assert feedback[(pid, 0)] == expected_fb, pid
        text = code(body) + expected_fb + "\n```\n" + AFTER
        assert answers[pid] == _notebook_answer(text), pid
    # the cases really differ from each other: 200 characters keep the box, 201 lose its brace
    assert answers["chars_200"] == 7 and answers["chars_201"] == 0
    assert feedback[("imports_subprocess", 0)] == "subprocess is not allowed"


def test_a_deliberate_mix_is_announced_and_changes_the_decisions(scripted):
    proc, out, answers, feedback = _run(scripted, "mixed", "sandbox=default")
    info = json.loads((out / "run_info.json").read_text())
    assert info["deliberate_mixes"] and "sandbox.rules=default" in info["deliberate_mixes"][0]
    assert "DELIBERATE MIX" in proc.stdout
    assert answers["prints_then_fails"] == 41 and answers["chars_201"] == 7  # our rules keep stdout / the whole line
