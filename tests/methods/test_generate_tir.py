"""method=generate_tir through the real CLI: a recorded teacher (backend=replay, ToRA-70B's solutions)
drives the real SC-TIR loop, sandbox and grading; rows, provenance, stats and resume after kill -9."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import REPO, run_cli
from tir_teacher import build, overrides


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def _check_run(run_dir, src, planted):
    rows = _lines(run_dir / "tir.jsonl")
    journal = _lines(run_dir / "attempts.jsonl")
    st = json.loads((run_dir / "stats.json").read_text())
    source = _lines(src)
    ids = [r["id"] for r in source]
    kept = {r["source_id"]: r for r in rows}
    # every problem is kept except the planted failures; no_code is kept at its retry
    assert set(kept) == set(ids) - {planted["wrong"], planted["timeout"]}
    assert len(rows) == len(kept)  # never twice
    assert kept[planted["no_code"]]["attempt"] == 1 and all(r["attempt"] == 0 for k, r in kept.items() if k != planted["no_code"])
    # NuminaMath-TIR schema + provenance
    r = kept[ids[0]]
    assert r["messages"] == [{"role": "user", "content": r["problem"]}, {"role": "assistant", "content": r["solution"]}]
    assert "```python" in r["solution"] and "```output" in r["solution"] and "\\boxed" in r["solution"]
    assert r["teacher"] == "tora-70b-recorded" and r["seed"] == 42 and r["source_row"] == 0 and r["reference"] == source[0]["answer"]
    # the sandbox really ran the program: the output block holds what it printed
    assert kept[ids[0]]["solution"].split("```output\n")[1].split("\n```")[0].strip() != ""
    # stats add up
    n = len(ids)
    assert st["problems"] == n and st["kept"] == n - 2 and st["finished"] == n
    assert st["per_attempt"][0]["tried"] == n and st["per_attempt"][0]["kept"] == n - 3
    assert st["per_attempt"][1]["tried"] == 3 and st["per_attempt"][1]["kept"] == 1
    assert st["attempts"] == len(journal) == n + 3
    c = st["copies"]
    assert c["total"] == n + 3 and c["correct"] == n - 2
    assert (c["no_code"], c["wrong_answer"], c["timeout"], c["error"]) == (1, 2, 1, 1)
    # per source: the wrong-answer problem is in source a, the no-code and timeout ones in b
    a, b = st["by_source"]["gsm8k-a"], st["by_source"]["gsm8k-b"]
    assert (a["problems"], a["kept"], b["problems"], b["kept"]) == ((n + 1) // 2, (n + 1) // 2 - 1, n // 2, n // 2 - 1)
    assert st["tokens"]["completion"] == sum(x["completion_tokens"] for x in journal) > 0
    assert st["cost_usd"] == pytest.approx(st["tokens"]["completion"] * 1e-6)
    assert "| attempt | tried | kept | yield |" in (run_dir / "yield.md").read_text()
    keys = [(g["problem_id"], g["copy"], g["step"]) for g in _lines(run_dir / "generations.jsonl")]
    assert len(keys) == len(set(keys))


def test_recorded_teacher_rows_stats_and_resume_after_kill9(tmp_path):
    src, gen, planted = build(tmp_path, 60)
    run_dir = tmp_path / "run"
    args = overrides(src, gen, run_dir)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "numina_exp", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    journal = run_dir / "attempts.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 8:
            break
        time.sleep(0.05)
    killed = proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed, "the run ended before it could be killed"
    done_before = len(_lines(journal))
    assert 8 <= done_before < 63
    res = run_cli(args, timeout=400)
    assert res.returncode == 0, res.stderr[-3000:]
    _check_run(run_dir, src, planted)
    assert "| gsm8k-a |" in res.stdout


def test_bad_prompt_file_is_a_config_error(tmp_path):
    bad = tmp_path / "prompt.txt"
    bad.write_text("Solve with ```python blocks: {problem}")
    res = run_cli(["+experiment=generate_tir_from_cot", "scale=cpu", f"generate_tir.prompt_file={bad}",
                   f"hydra.run.dir={tmp_path / 'run'}"], timeout=120)
    assert res.returncode == 2 and "generate_tir.prompt_file" in res.stderr and "```" in res.stderr


def test_retries_at_temperature_zero_rejected(tmp_path):
    res = run_cli(["+experiment=generate_tir_from_cot", "scale=cpu", "decoding.temperature=0", "decoding.n=1",
                   f"hydra.run.dir={tmp_path / 'run'}"], timeout=120)
    assert res.returncode == 2 and "decoding.temperature" in res.stderr
