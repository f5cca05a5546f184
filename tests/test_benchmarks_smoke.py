"""Benchmarks that cannot rot: every script in benchmarks/ runs on its smallest input and exits 0, so a
benchmark that no longer imports or runs fails here. Each entry is the script's own CLI with the smallest
sizes it accepts; all of them run in CI (~5 min together on 2 cores, vLLM's in-process engine).

Not run, only imported: the data builders (build_tora_replay.py, build_vote_patterns.py: they rewrite shipped
data from sources outside the repo; record_smollm2_gsm8k.py: it records a multi-minute real run into
benchmarks/data) and the helpers (paced_replay.py, recorded.py: modules the benchmarks import)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

BENCH = REPO / "benchmarks"


def _grading_data(tmp: Path) -> list[str]:
    """Three MATH references and three completions per ToRA file: the grading benchmark's smallest input."""
    (tmp / "completions").mkdir()
    math_rows = [{"solution": "So $\\boxed{\\frac{1}{2}}$.", "answer": "\\frac{1}{2}"},
                 {"solution": "It is $\\boxed{5}$.", "answer": "5"}, {"solution": "$\\boxed{x+1}$", "answer": "x+1"}]
    (tmp / "math_test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in math_rows))
    comp = [{"completion": "```python\nprint(42)\n```\n```output\n42\n```\nThe answer is 42.", "answer": "42"},
            {"completion": "so the answer is $\\boxed{7}$", "answer": "7"}, {"completion": "no idea", "answer": "3"}]
    for f in ("tora_70b_gsm8k_tir", "tora_code_34b_gsm8k_tir"):
        (tmp / "completions" / f"{f}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in comp))
    return ["--data", str(tmp), "--workers", "1"]


# script -> its arguments, or a callable tmp_path -> arguments
RUNS = {
    "kaggle_real_costs": ["--problems", "3", "--orders", "2", "--time-scale", "0.001"],
    "sc_tir_replay": ["--width", "2", "--bundles", "1", "--time-scale", "0.01", "--workers", "1"],
    "early_stop_curves": lambda tmp: ["--out", str(tmp), "--scripted", "10"],
    "sandbox": ["--isolation", "process", "--workers", "1", "--snippets", "8"],
    "grading": _grading_data,
    "sft_packing": ["--steps", "2"],
    "sc_tir_overhead": ["--problems", "1", "--n", "2", "--m", "1", "--max-new-tokens", "16"],
    "sc_tir_pipelining": ["--problems", "1", "--n", "2", "--m", "2", "--max-new-tokens", "16"],
    "engine_speed": lambda tmp: ["--tokens", "8", "--batch", "2", "--out", str(tmp / "engine.json")],
    "hf_static_cache": ["--prompts", "1", "--max-new-tokens", "4"],
    "notebook_loop": ["--model", "tiny", "--problems", "1", "--n", "2", "--m", "1", "--max-new-tokens", "16",
                      "--workers", "1"],
    "sft_vs_bare_trl": ["--model", "tiny", "--rows", "8", "--steps", "1", "--block", "128", "--batch", "2"],
}
NOT_RUN = {"build_tora_replay", "build_vote_patterns", "record_smollm2_gsm8k", "paced_replay", "recorded"}


def test_every_benchmark_script_is_covered():
    scripts = {p.stem for p in BENCH.glob("*.py")}
    assert scripts == set(RUNS) | NOT_RUN, f"add new benchmarks to RUNS: {sorted(scripts - set(RUNS) - NOT_RUN)}"


def _env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline",
            "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "PYTHONWARNINGS": "ignore"}


@pytest.mark.parametrize("name", sorted(NOT_RUN))
def test_data_builders_and_helpers_import(name):
    proc = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, 'benchmarks'); import {name}"],
                          cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize("name", sorted(RUNS))
def test_benchmark_runs_on_its_smallest_input(name, tmp_path):
    args = RUNS[name](tmp_path) if callable(RUNS[name]) else RUNS[name]
    before = {p: p.stat().st_mtime_ns for p in (BENCH / "data").rglob("*") if p.is_file()}
    readme = (BENCH / "README.md").read_bytes()
    proc = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), *args], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert proc.stdout.strip(), f"{name} printed nothing"
    # a smoke run must not rewrite shipped data or the README tables
    assert {p: p.stat().st_mtime_ns for p in (BENCH / "data").rglob("*") if p.is_file()} == before
    assert (BENCH / "README.md").read_bytes() == readme
