"""method=generate_tir through the real CLI: what a teacher's program printed or raised goes into the kept
TIR row (the training data) with bidi overrides, zero-width characters and NUL as visible escapes, the way
SC-TIR decoding feeds it back (decode/sc_tir.py). The teacher is recorded (backend=replay); its programs
run for real in the sandbox."""
import json

from helpers import run_cli
from tir_teacher import overrides

# written as escapes in the code: only the program's output / traceback holds the raw characters
SNEAKY = '"\\u202e4\\u200b2\\u2066\\ufeff" + chr(0)'
SHOWN = "\\u202e4\\u200b2\\u2066\\ufeff\\x00"
INVISIBLE = "\u202e\u200b\u2066\ufeff\x00"


def _teacher(tmp_path):
    rows, log = [], []
    for pid, program in (("out", f"print({SNEAKY})"), ("err", f"print(42)\nraise ValueError({SNEAKY})")):
        rows.append({"id": pid, "source": "s", "problem": "What is 6 times 7?", "answer": "42"})
        segs = [f"We compute.\n```python\n{program}\n```\n```output\n", "So the answer is $\\boxed{42}$."]
        for step, text in enumerate(segs):
            log.append({"problem_id": f"{pid}#a0", "copy": 0, "step": step, "text": text, "num_tokens": 8,
                        "finish_reason": "stop" if step == 0 else "eos", "exec": None})
    src, gen = tmp_path / "source.jsonl", tmp_path / "teacher.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    gen.write_text("".join(json.dumps(r) + "\n" for r in log))
    return src, gen


def test_kept_rows_and_generation_log_hold_escaped_program_output(tmp_path):
    src, gen = _teacher(tmp_path)
    run_dir = tmp_path / "run"
    res = run_cli(overrides(src, gen, run_dir) + ["generate_tir.retries=0"], timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = {r["source_id"]: r for r in map(json.loads, (run_dir / "tir.jsonl").read_text().splitlines())}
    assert set(rows) == {"out", "err"}
    for pid, row in rows.items():
        for text in (row["solution"], row["messages"][1]["content"]):
            assert not any(c in text for c in INVISIBLE), (pid, text)
            assert SHOWN in text.split("```output\n", 1)[1], (pid, text)  # in the program's output block
    assert "ValueError" in rows["err"]["solution"]
    log = (run_dir / "generations.jsonl").read_text(encoding="utf-8")
    assert not any(c in json.loads(line)["exec"]["feedback"] for line in log.splitlines()
                   if json.loads(line)["exec"] for c in INVISIBLE)
