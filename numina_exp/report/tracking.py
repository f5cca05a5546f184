"""Experiment tracking behind one small object: `logger=wandb` or `logger=none`.

W&B without an API key (and without a netrc login) runs offline instead of raising, and says where the
run went; runs are grouped by experiment name."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

log = logging.getLogger("numina_exp")


def wandb_mode(cfg) -> str:
    if cfg.logger.mode != "auto":
        return cfg.logger.mode
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    has_key = bool(os.environ.get("WANDB_API_KEY")) or (Path.home() / ".netrc").exists() and "api.wandb.ai" in (Path.home() / ".netrc").read_text()
    return "online" if has_key else "offline"


class Tracker:
    def __init__(self, cfg, run_dir: Path, job_type: str = "run"):
        self.run = None
        self.name = cfg.logger.name
        if self.name != "wandb":
            return
        import wandb

        mode = wandb_mode(cfg)
        self.run = wandb.init(
            project=cfg.logger.project, entity=cfg.logger.entity, mode=mode, dir=str(run_dir),
            group=cfg.logger.group or cfg.experiment_name, job_type=job_type, tags=list(cfg.logger.tags),
            name=f"{cfg.experiment_name}-{Path(run_dir).name}", config=OmegaConf.to_container(cfg, resolve=True),
        )
        where = self.run.dir if mode == "offline" else self.run.url
        print(f"[wandb] mode={mode}: run logged to {where}" + ("  (sync later with `wandb sync`)" if mode == "offline" else ""), flush=True)

    @property
    def enabled(self) -> bool:
        return self.run is not None

    def log(self, metrics: dict[str, Any], step: int | None = None) -> None:
        if self.run is not None:
            self.run.log(metrics, step=step)

    def summary(self, metrics: dict[str, Any]) -> None:
        if self.run is not None:
            self.run.summary.update(metrics)

    def table(self, key: str, rows: list[dict]) -> None:
        if self.run is not None and rows:
            import wandb
            cols = list(rows[0].keys())
            self.run.log({key: wandb.Table(columns=cols, data=[[_cell(r.get(c)) for c in cols] for r in rows])})

    def image(self, key: str, path: str | Path) -> None:
        if self.run is not None:
            import wandb
            self.run.log({key: wandb.Image(str(path))})

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None


def _cell(v):
    return v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
