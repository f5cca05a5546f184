"""Each run directory records the resolved config, versions, commit, seed and command line."""
import json

import yaml
from helpers import run_cli


def test_run_dir_records(tmp_path):
    proc = run_cli(["+experiment=stage2_tir", "method=info", "seed=7", f"hydra.run.dir={tmp_path}"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    resolved = yaml.safe_load((tmp_path / "resolved_config.yaml").read_text())
    assert resolved["experiment_name"] == "stage2_tir" and resolved["seed"] == 7
    assert resolved["data"]["hub_id"] == "AI-MO/NuminaMath-TIR"
    info = json.loads((tmp_path / "run_info.json").read_text())
    assert info["seed"] == 7 and "seed=7" in info["command"] and "experiment=stage2_tir" in info["command"]
    assert info["versions"]["torch"].startswith("2.13.0") and "trl" in info["versions"]
    assert info["git_commit"] == "not a git checkout" or len(info["git_commit"].split("-")[0]) == 40


def test_cpu_scale_is_announced(tmp_path):
    proc = run_cli(["+experiment=stage1_cot", "scale=cpu", "method=info", f"hydra.run.dir={tmp_path}"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "SCALE=CPU" in proc.stdout and "data.max_rows: None -> 96" in proc.stdout
    info = json.loads((tmp_path / "run_info.json").read_text())
    assert info["scale"] == "cpu" and info["scale_changes"]
