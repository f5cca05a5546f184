"""Shared fixtures for the training tests: one tiny-model cache per session, composed configs, CLI runs.

Sizes are tiny (block 128, global batch 8) so that the default run stays within a few minutes on 2
shared cores; the recipe's own sizes are checked by composing configs, not by training with them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable

# Small but real: every code path of the recipe, a few seconds per run.
TINY = ["scale=cpu", "model=tiny_llama", "train.block_size=128", "train.global_batch_size=8",
        "train.per_device_batch_size=4", "data.max_rows=48", "train.max_steps=6", "train.logging_steps=1"]


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """Tiny twins and the offline tokenizer are built once per session (subprocesses inherit the env)."""
    cache = os.environ.get("NUMINA_EXP_TEST_CACHE") or str(tmp_path_factory.mktemp("numina_cache"))
    os.environ["NUMINA_EXP_CACHE"] = cache
    os.environ["PYTHONWARNINGS"] = "ignore::FutureWarning"
    return Path(cache)


def compose(overrides: list[str]):
    """Compose like the entrypoint does (experiment=X, scale applied, validated)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from numina_exp.methods import register_configs

    register_configs()
    from numina_exp.config.scaling import apply_scale
    from numina_exp.methods._validate import validate

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = hydra_compose("config", overrides=[o.lstrip("+") if o.startswith("+experiment=") else o for o in overrides])
    apply_scale(cfg)
    validate(cfg)
    return cfg


def run_cli(overrides: list[str], run_dir: Path, timeout: int = 300, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [PY, "-m", "numina_exp", *overrides, f"hydra.run.dir={run_dir}"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def metrics(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "train_metrics.json").read_text())


def losses(m: dict) -> list[float]:
    return [h["loss"] for h in m["log_history"] if "loss" in h]


def wait_for_checkpoint(proc, checkpoint: Path, timeout: float) -> None:
    """Poll until `checkpoint`/trainer_state.json exists (or the run ends, or `timeout` s pass): the
    moment a kill -9 test strikes, so that a resume has something to continue from."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if (checkpoint / "trainer_state.json").exists():
            return
        time.sleep(0.2)
