"""method=kto through the real CLI on the tiny twin: a learnable toy (desirable completions carry a
pattern) moves the implicit-reward margin up and separates held-out correct from incorrect
completions; every reward key reaches W&B (offline, read back with `wandb leet inspect`) at every
logging step; the curves, report and workspace land in the run dir; one-class / empty sets are
refused before any model loads; a killed run resumes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO
from kto_scripted import toy_samples, write_samples

PY = sys.executable
KTO = ["+experiment=kto_from_samples", "scale=cpu", "model=tiny_llama", "train.learning_rate=1e-3",
       "train.global_batch_size=8", "train.per_device_batch_size=8", "train.max_length=128",
       "train.activation_checkpointing=false", "train.epochs=3", "train.logging_steps=2"]
REWARD_KEYS = ["rewards/chosen", "rewards/rejected", "rewards/margins", "kl", "logps/chosen", "logps/rejected"]


def _env(extra=None):
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline",
            "PYTHONWARNINGS": "ignore::FutureWarning", **(extra or {})}


def cli(args, run_dir, timeout=600, check=True):
    proc = subprocess.run([PY, "-m", "numina_exp", *args, f"hydra.run.dir={run_dir}"], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kto_toy")
    samples = write_samples(tmp / "samples.jsonl", toy_samples())
    run = tmp / "run"
    proc = cli([*KTO, f"data.path={samples}", "train.max_steps=12", "logger=wandb"], run)
    return run, proc


def test_toy_margin_grows_and_heldout_auroc_is_high(toy_run):
    run, proc = toy_run
    m = json.loads((run / "train_metrics.json").read_text())
    margins = [h["rewards/margins"] for h in m["log_history"] if "rewards/margins" in h]
    assert len(margins) >= 3 and margins[-1] > margins[0]
    w = m["kto_weights"]
    assert (w["n_desirable"], w["n_undesirable"]) == (30, 30) and 1.0 <= w["ratio"] <= 4 / 3
    imp = json.loads((run / "implicit_reward.json").read_text())
    assert imp["completions"] == 20 and imp["auroc"] > 0.8
    assert imp["best_of_k_by_reward"] >= imp["majority_vote"]
    assert "lambda_D*n_D/(lambda_U*n_U)" in proc.stdout and "held-out implicit reward: AUROC" in proc.stdout
    assert (run / "final" / "config.json").exists()


def test_curves_report_and_workspace_are_written(toy_run):
    run, proc = toy_run
    assert (run / "implicit_rewards.png").stat().st_size > 5000
    report = (run / "report.md").read_text()
    assert "## KTO: implicit rewards" in report and "AUROC" in report
    ws = json.loads((run / "wandb_workspace.json").read_text())
    assert {"train/rewards/chosen", "train/rewards/margins", "train/kl"} <= {y for p in ws["panels"] for y in p["y"]}
    assert str(run / "implicit_rewards.png") in proc.stdout and "wandb_workspace.json" in proc.stdout
    (offline,) = list((run / "wandb").glob("offline-run-*"))
    assert f"W&B run: {offline}" in proc.stdout


def test_wandb_holds_every_reward_key_at_every_logging_step(toy_run):
    run, _ = toy_run
    (offline,) = list((run / "wandb").glob("offline-run-*"))
    wandb_bin = Path(PY).with_name("wandb")
    proc = subprocess.run([str(wandb_bin), "leet", "inspect", "--json", str(offline)], capture_output=True, text=True,
                          timeout=120, env=_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    history = [rec["history"]["item"] for rec in map(json.loads, proc.stdout.splitlines()) if rec.get("type") == "history"]
    steps = [h for h in history if "train/loss" in h]
    m = json.loads((run / "train_metrics.json").read_text())
    logged = [h for h in m["log_history"] if "loss" in h]
    assert len(steps) == len(logged) >= 3
    for h in steps:
        for key in REWARD_KEYS:
            assert f"train/{key}" in h, (key, sorted(h))


def test_compare_overlays_kto_runs(toy_run, tmp_path):
    run, _ = toy_run
    proc = subprocess.run([PY, "-m", "numina_exp.report", str(run), str(run), "--out", str(tmp_path)], cwd=REPO,
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| rewards/margins |" in proc.stdout and (tmp_path / "kto_compare.png").exists()


@pytest.mark.parametrize("labels,counts", [([True] * 8, "8 desirable, 0 undesirable"), ([False] * 6, "0 desirable, 6 undesirable"),
                                           ([], "0 desirable, 0 undesirable")])
def test_one_class_and_empty_sets_fail_before_training(tmp_path, labels, counts):
    rows = [{"problem_id": f"p{i}", "prompt": "q", "completion": "a", "label": lab, "split": "train"} for i, lab in enumerate(labels)]
    samples = write_samples(tmp_path / "samples.jsonl", rows)
    t = time.time()
    proc = cli([*KTO, f"data.path={samples}"], tmp_path / "run", check=False, timeout=120)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "data.path" in proc.stderr and counts in proc.stderr
    assert not (tmp_path / "run" / "checkpoints").exists() and time.time() - t < 60


def test_resume_after_kill(tmp_path):
    samples = write_samples(tmp_path / "samples.jsonl", toy_samples())
    run = tmp_path / "run"
    args = [*KTO, f"data.path={samples}", "train.max_steps=12", "train.save_steps=2", "train.save_total_limit=null",
            f"hydra.run.dir={run}"]
    proc = subprocess.Popen([PY, "-m", "numina_exp", *args], cwd=REPO, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not (run / "checkpoints" / "checkpoint-4" / "trainer_state.json").exists():
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = sorted(int(p.name.split("-")[1]) for p in (run / "checkpoints").glob("checkpoint-*") if (p / "trainer_state.json").exists())
    cli(args[:-1], run)
    m = json.loads((run / "train_metrics.json").read_text())
    assert m["resumed_from"] == str(run / "checkpoints" / f"checkpoint-{done[-1]}") and m["global_step"] == 12


def test_kto_lora_merges_the_adapter(tmp_path):
    run = tmp_path / "run"
    cli(["+experiment=kto_lora", *KTO[1:], "train.learning_rate=1e-2", "train.max_steps=6"], run)
    m = json.loads((run / "train_metrics.json").read_text())
    assert (run / "adapter" / "adapter_config.json").exists() and (run / "final" / "config.json").exists()
    margins = [h["rewards/margins"] for h in m["log_history"] if "rewards/margins" in h]
    assert margins[-1] > margins[0]
