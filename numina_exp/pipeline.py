"""method=pipeline: several experiments in one run, each stage's model feeding the next.

Every stage is composed and validated before the first one starts (a typo in stage 3 must not cost
the hours of stage 1). A training stage's `final/` becomes the next stage's starting point: through
`train.init_from` for a training stage, through `model.path` for any other."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from hydra import compose
from omegaconf import DictConfig, open_dict

from .config.scaling import apply_scale
from .config.validate import validate
from .registry import method_fn
from .runtime import prepare_run

log = logging.getLogger("numina_exp")
TRAINING_METHODS = {"sft", "kto", "rloo"}


def compose_stage(name: str, parent: DictConfig) -> DictConfig:
    overrides = [f"experiment={name}", f"scale={parent.scale.name}", f"logger={parent.logger.name}",
                 f"seed={parent.seed}", *parent.pipeline.overrides]
    return compose(config_name="config", overrides=overrides)


def hand_off(stage: DictConfig, model_dir: str | None) -> None:
    """Point `stage` at the previous stage's model (None: leave the stage's own config)."""
    with open_dict(stage):
        if stage.method.name in TRAINING_METHODS:
            stage.train.init_from = model_dir
        elif model_dir is not None:
            stage.model.path = model_dir


def run(cfg: DictConfig, run_dir: Path):
    stages = []
    for i, name in enumerate(cfg.pipeline.stages):
        stage = compose_stage(name, cfg)
        if stage.method.name == "pipeline":
            raise ValueError(f"pipeline.stages[{i}]={name} is itself a pipeline; list its stages instead")
        changes = apply_scale(stage)
        if i > 0:  # the hand-off target does not exist yet; validate the rest of the stage now
            hand_off(stage, None)
        validate(stage)
        stages.append((name, stage, changes))
    log.info("pipeline: %s", " -> ".join(f"{n} ({s.method.name})" for n, s, _ in stages))

    model_dir, summary = None, []
    for i, (name, stage, changes) in enumerate(stages):
        stage_dir = Path(run_dir) / f"{i}_{name}"
        if i > 0 and model_dir is not None:
            hand_off(stage, model_dir)
            changes = [c for c in changes if not c.startswith("model:")] + [f"model: the previous stage's output {model_dir}"]
        print(f"\n=== pipeline stage {i + 1}/{len(stages)}: {name} (method={stage.method.name}) -> {stage_dir}", flush=True)
        prepare_run(stage, scale_changes=changes, run_dir=stage_dir)
        result = method_fn(stage.method.name)(stage, stage_dir)
        final = stage_dir / "final"
        if (final / "config.json").exists():
            model_dir = str(final)
        summary.append({"stage": name, "method": stage.method.name, "run_dir": str(stage_dir),
                        "model_out": str(final) if (final / "config.json").exists() else None,
                        "result": result if isinstance(result, (dict, list, str, int, float)) else None})
        (Path(run_dir) / "pipeline.json").write_text(json.dumps(summary, indent=2, default=str))
    print_summary(summary, run_dir)
    return summary


def _headline(entry: dict) -> str:
    """One line of what a stage produced, read from its own result (nothing recomputed here)."""
    r = entry["result"] if isinstance(entry["result"], dict) else {}
    if "eval_loss" in r and r["eval_loss"]:
        return (f"{r.get('global_step')} steps, eval loss {r['eval_loss'][0]:.4f} -> {r['eval_loss'][-1]:.4f}, "
                f"{r.get('tokens_per_s', 0):.0f} tokens/s -> {entry['model_out']}")
    if "per_seed" in r:
        accs = ", ".join(f"seed {k}: {100 * v['accuracy']:.1f}% ({v['correct']}/{v['total']})" for k, v in r["per_seed"].items())
        return f"{r.get('suite')} {accs} -> {Path(entry['run_dir']) / 'report.md'}"
    return entry["run_dir"]


def print_summary(summary: list[dict], run_dir: Path) -> None:
    print(f"\n=== pipeline done: {run_dir}")
    for entry in summary:
        print(f"  {entry['stage']:<16} {entry['method']:<9} {_headline(entry)}")

