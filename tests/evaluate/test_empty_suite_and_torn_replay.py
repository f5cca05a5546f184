"""An empty or blank suite file, a filter that leaves no problem, and a replay log whose cut-off last line
held a generation the decoder needs end in a config error naming the key, the file (and line) and what
to do - not a traceback from deep inside the run."""
from __future__ import annotations

import json

import pytest
from helpers import run_cli

SUITE = [{"id": "p", "problem": "1+1?", "answer": "2"}, {"id": "q", "problem": "2+2?", "answer": "4"}]


def _clean_refusal(proc, key: str) -> None:
    assert proc.returncode == 2, (proc.stdout + proc.stderr)[-3000:]
    assert f"config error at `{key}`" in proc.stderr and "fix:" in proc.stderr, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("content", [b"", b"\n  \n\t\n"], ids=["empty", "blank"])
def test_empty_suite_file_is_a_config_error_before_the_run(content, tmp_path):
    suite = tmp_path / "suite.jsonl"
    suite.write_bytes(content)
    proc = run_cli(["method=evaluate", "eval=jsonl", f"eval.path={suite}", "decoding=greedy", "backend=hf", "scale=cpu",
                    f"hydra.run.dir={tmp_path / 'run'}"], timeout=120)
    _clean_refusal(proc, "eval.path")
    assert f"{suite}: the suite holds no problems" in proc.stderr
    assert not (tmp_path / "run" / "resolved_config.yaml").exists()


def test_a_filter_that_leaves_no_problem_names_eval_where(tmp_path):
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps({**r, "year": 2022}) + "\n" for r in SUITE))
    proc = run_cli(["method=evaluate", "eval=jsonl", f"eval.path={suite}", "+eval.where.year=1999", "decoding=greedy",
                    "backend=hf", "scale=cpu", f"hydra.run.dir={tmp_path / 'run'}"], timeout=120)
    _clean_refusal(proc, "eval.where")
    assert "leave none of its 2 problems" in proc.stderr


def test_torn_last_replay_line_that_held_a_needed_generation(tmp_path):
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps(r) + "\n" for r in SUITE))
    lines = [json.dumps({"problem_id": r["id"], "copy": 0, "step": 0, "text": f"So $\\boxed{{{r['answer']}}}$.",
                         "num_tokens": 5, "finish_reason": "eos", "exec": None}) for r in SUITE]
    log = tmp_path / "generations.jsonl"
    log.write_text(lines[0] + "\n" + lines[1][:40])  # killed while writing q's line
    proc = run_cli(["method=evaluate", "eval=jsonl", f"eval.path={suite}", "decoding=greedy", "backend=replay",
                    f"backend.path={log}", "scale=cpu", f"hydra.run.dir={tmp_path / 'run'}"], timeout=180)
    _clean_refusal(proc, "backend.path")
    assert f"{log}:2 is cut off" in proc.stdout + proc.stderr  # the warning when the file is opened
    assert "problem 'q'" in proc.stderr and f"({log}:2) is cut off" in proc.stderr
    assert "resume the recording run" in proc.stderr
