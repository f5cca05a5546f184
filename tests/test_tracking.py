"""logger=wandb without an API key runs offline (no network attempt), says where the run went, and
the logged summary can be read back without a server; logger=none logs nothing."""
import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import compose_cfg

from numina_exp.report.tracking import Tracker


def test_wandb_without_key_goes_offline_and_is_readable(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc login either
    cfg = compose_cfg(["experiment=stage2_tir", "logger=wandb"])
    tracker = Tracker(cfg, tmp_path, job_type="test")
    assert tracker.enabled
    tracker.log({"acc": 0.25}, step=1)
    tracker.summary({"final_acc": 0.5})
    tracker.table("problems", [{"id": "a", "correct": True}, {"id": "b", "correct": False}])
    tracker.finish()
    out = capsys.readouterr().out
    assert "[wandb] mode=offline" in out
    runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and str(runs[0]) in out.replace("/files", "")
    wandb_bin = Path(sys.executable).with_name("wandb")
    proc = subprocess.run([str(wandb_bin), "leet", "inspect", "--summary", "--json", str(runs[0])],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "WANDB_MODE": "offline"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    assert record["state"] == "finished" and record["project"] == "numina-exp"
    assert record["summary"]["final_acc"] == 0.5 and record["summary"]["acc"] == 0.25
    assert record["config"]["experiment_name"] == "stage2_tir"  # the resolved config travels with the run


def test_logger_none_logs_nothing(tmp_path):
    cfg = compose_cfg(["logger=none"])
    tracker = Tracker(cfg, tmp_path)
    tracker.log({"acc": 1.0})
    tracker.finish()
    assert not tracker.enabled and not (tmp_path / "wandb").exists()
