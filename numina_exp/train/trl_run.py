"""The plumbing every TRL trainer method shares, top to bottom:

weights (train.init_from or the model) -> tokenizer -> tracker environment -> the method's own
`build(cfg, ctx)` (data, TRL arguments, model, trainer) -> train, resuming from the newest complete
checkpoint in the run dir -> final/ (model, tokenizer with the decoding template, resolved config;
a LoRA/DoRA adapter is merged into a full checkpoint) -> train_metrics.json.

A method stays a straight line: `run(cfg, run_dir) = run_trainer(cfg, run_dir, build)`. Multi-process
runs reach this function once per process (the entrypoint re-launches launched methods through
accelerate, numina_exp.train.launch)."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable

from ..config.train import PeftKind, Resume
from ..core.quiet import quiet
from ..core.result_kind import ResultKind
from .args import world_size
from .common import copy_config, last_checkpoint, merge_adapter, resolve_init, write_json

log = logging.getLogger("numina_exp")


def own_wandb_run(cfg, run_dir: Path) -> None:
    """Each training run logs to a W&B run of its own, in its own run dir (offline without a key). It is
    opened here on rank 0, because TRL's W&B callback logs into an open run rather than opening one; a
    run an earlier pipeline stage left open in this process is finished first (else every later stage
    would log into the first stage's run and directory)."""
    if cfg.logger.name != "wandb":
        return
    from ..report.tracking import Tracker, wandb_mode

    os.environ["WANDB_MODE"] = wandb_mode(cfg)
    os.environ["WANDB_PROJECT"] = cfg.logger.project
    os.environ["WANDB_DIR"] = str(run_dir)
    os.environ["WANDB_RUN_GROUP"] = cfg.logger.group or cfg.experiment_name
    if os.environ.get("RANK", "0") != "0":
        return
    import wandb

    if wandb.run is not None:
        wandb.run.finish()
    Tracker(cfg, run_dir, job_type=cfg.method.name)


def attention(cpu: bool) -> str:
    """The recipe used flash-attn 2; sdpa where it is not installed (and on CPU)."""
    if not cpu:
        try:
            import flash_attn  # noqa: F401
            return "flash_attention_2"
        except ImportError:
            pass
    return "sdpa"


def make_context(cfg, run_dir: Path) -> dict:
    """Steps 1-3: what every trainer's build() starts from."""
    quiet()  # a trainer called without the entrypoint (tests, notebooks) is as quiet as a run
    import torch

    from ..models.load import load_tokenizer, torch_dtype

    cpu = not torch.cuda.is_available()
    source = resolve_init(cfg)
    log.info("%s: initial weights from %s", cfg.method.name, source)
    tokenizer = load_tokenizer(cfg, source)
    own_wandb_run(cfg, run_dir)
    return {
        "run_dir": Path(run_dir), "source": source, "tokenizer": tokenizer, "decoding_template": tokenizer.chat_template,
        "cpu": cpu, "bf16_ok": (not cpu) and torch.cuda.is_bf16_supported(), "world": world_size(cfg),
        "model_kwargs": {"dtype": torch_dtype(cfg.model.dtype, "cpu" if cpu else "cuda"),
                         "trust_remote_code": cfg.model.trust_remote_code, "attn_implementation": attention(cpu)},
    }


def load_model(ctx: dict, source: str | None = None):
    """The policy (or any model) from `source` (default: the initial weights) with the run's dtype/attention."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(source or ctx["source"], **ctx["model_kwargs"])


def run_trainer(cfg, run_dir, build: Callable, after: Callable[[dict], dict] | None = None,
                kind: ResultKind = ResultKind.training) -> dict:
    """`build(cfg, ctx) -> (trainer, info)`; info may carry "log" (logged once after training, e.g.
    packing efficiency) and "metrics" (added to train_metrics.json). `after(metrics) -> dict`: rank 0's
    work once final/ is written (held-out scoring, reports), merged into the metrics, which are then
    written once, atomically. `kind`: what the result is (core/result_kind.py)."""
    run_dir = Path(run_dir)
    t = cfg.train
    ctx = make_context(cfg, run_dir)
    trainer, info = build(cfg, ctx)
    if trainer.args.world_size != ctx["world"]:  # batch sizes were derived from the planned count
        raise RuntimeError(f"{cfg.method.name}: the config plans {ctx['world']} process(es) (launch.*) but "
                           f"{trainer.args.world_size} are running; start it through python -m numina_exp")

    # Train, resuming from the newest complete checkpoint in this run dir.
    resume = last_checkpoint(Path(trainer.args.output_dir)) if t.resume == Resume.auto else None
    if resume:
        log.info("%s: resuming from %s", cfg.method.name, resume)
    start = time.time()
    result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.time() - start
    tokens = int(trainer.state.num_input_tokens_seen)  # public (include_num_input_tokens_seen), all ranks
    speed = {"tokens_per_s": tokens / max(seconds, 1e-9), **info.get("log", {})}
    trainer.log(dict(speed))  # to the tracker too

    # final/: model (adapter merged) + tokenizer with the decoding template + resolved config.
    final = run_dir / "final"
    if t.peft.kind == PeftKind.none:
        trainer.save_model(str(final))
    else:
        trainer.save_model(str(run_dir / "adapter"))
        if t.peft.merge_after and trainer.is_world_process_zero():
            merge_adapter(ctx["source"], run_dir / "adapter", final, trainer.model.dtype, cfg.model.trust_remote_code)
    trainer.accelerator.wait_for_everyone()
    metrics = {
        "kind": str(kind), "global_step": trainer.state.global_step, "resumed_from": resume, "train_seconds": seconds,
        "train_loss": result.training_loss, "train_tokens": tokens, "world_size": ctx["world"], **speed,
        **info.get("metrics", {}),
        "eval_loss": [h["eval_loss"] for h in trainer.state.log_history if "eval_loss" in h],
        "log_history": trainer.state.log_history, "final_dir": str(final) if final.exists() else None,
    }
    if trainer.is_world_process_zero():
        tokenizer = trainer.processing_class
        tokenizer.chat_template = ctx["decoding_template"]
        if final.exists():
            tokenizer.save_pretrained(str(final))
            copy_config(run_dir, final)
        if after is not None:
            metrics.update(after(metrics))
        write_json(run_dir / "train_metrics.json", metrics)
        print(f"[{cfg.method.name}] {trainer.state.global_step} steps, loss {result.training_loss:.4f}, "
              f"{speed['tokens_per_s']:.0f} tokens/s -> {final}", flush=True)
    return metrics
