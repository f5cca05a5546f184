"""method=quantize through the real CLI: bad settings refused before anything loads, the gptq8
experiment on the tiny twin (calibration rows, lineage, fidelity report next to final/), and (slow)
the acceptance pipeline stage-2 SFT -> GPTQ -> SC-TIR evaluation with the hf backend."""
from __future__ import annotations

import json
import time

import pytest
import yaml
from helpers import run_cli

REJECTIONS = [
    (["quantize.bits=5"], "quantize.bits"),
    (["quantize.calibration_rows=0"], "quantize.calibration_rows"),
    (["quantize.desc_act=maybe"], "quantize.desc_act"),  # wrong type: refused at composition
]


@pytest.mark.parametrize("overrides,key", REJECTIONS, ids=[r[1] for r in REJECTIONS])
def test_bad_quantize_config_is_refused_before_anything_loads(overrides, key, tmp_path):
    start = time.monotonic()
    proc = run_cli(["+experiment=gptq8", "scale=cpu", *overrides, f"hydra.run.dir={tmp_path}"], timeout=60)
    assert proc.returncode != 0 and key in proc.stderr, proc.stderr[-2000:]
    assert time.monotonic() - start < 15


def test_gptq8_on_the_tiny_twin_writes_model_lineage_and_fidelity_report(tmp_path):
    run = tmp_path / "q"
    proc = run_cli(["+experiment=gptq8", "scale=cpu", "quantize.calibration_rows=24", "quantize.heldout_rows=4",
                    f"hydra.run.dir={run}"], timeout=600, env={"NUMINA_EXP_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    qc = json.loads((run / "final" / "config.json").read_text())["quantization_config"]
    assert (qc["bits"], qc["group_size"], qc["desc_act"]) == (8, 128, True)
    lineage = json.loads((run / "final" / "lineage.json").read_text())
    assert lineage["calibration"]["rows"] == 24 and lineage["calibration"]["seed"] == 42
    assert lineage["calibration"]["data"] == "numina_tir" and lineage["input"]["resolved_as"] == "model_dir"
    report = json.loads((run / "fidelity.json").read_text())
    assert report["overall"]["rows"] == 4 and 0 < report["overall"]["logit_rel_err_mean"] < 0.02
    assert "## Per layer type" in (run / "fidelity.md").read_text()
    assert json.loads((run / "result.json").read_text())["fidelity"] == report["overall"]
    assert (run / "final" / "tokenizer_config.json").exists()


@pytest.mark.slow
def test_acceptance_quantize_gptq8_end_to_end(tmp_path):
    run = tmp_path / "run"
    proc = run_cli(["+experiment=quantize_gptq8", "scale=cpu", f"hydra.run.dir={run}"], timeout=3000,
                   env={"NUMINA_EXP_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    stages = json.loads((run / "pipeline.json").read_text())
    assert [(s["stage"], s["method"]) for s in stages] == [("stage2_tir", "sft"), ("gptq8", "quantize"), ("eval_sc_tir", "evaluate")]
    q = run / "1_gptq8"
    assert json.loads((q / "final" / "lineage.json").read_text())["input"]["path"] == str(run / "0_stage2_tir" / "final")
    assert (q / "fidelity.md").exists()
    ev = run / "2_eval_sc_tir"
    cfg = yaml.safe_load((ev / "resolved_config.yaml").read_text())
    assert cfg["model"]["path"] == str(q / "final") and cfg["backend"]["name"] == "hf"
    assert json.loads((ev / "results.json").read_text())["problems"] == 16 and (ev / "report.md").exists()
