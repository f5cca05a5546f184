"""method=sft: supervised fine-tuning on TRL's SFTTrainer (stage 1 CoT, stage 2 TIR, and ablations).

Read top to bottom: weights -> tokenizer and training template -> data -> TRL arguments -> model ->
trainer -> train (resuming from the run dir's newest checkpoint) -> final model, tokenizer, config and
metrics in the run directory. Every recipe value comes from cfg.train (conf/experiment/*.yaml); the
mapping to TRL names is numina_exp/train/args.py. Multi-process runs (distributed != single or more
than one process) re-launch this same recipe through `accelerate launch` (launch.py)."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from . import launch
from .args import sft_kwargs
from .common import (cap_steps, copy_config, drop_remainder, last_checkpoint, merge_adapter, packing_efficiency, peft_config,
                     quiet_warnings, resolve_init, write_json)

log = logging.getLogger("numina_exp")


def run(cfg, run_dir):
    """Entrypoint for method=sft: train here, or start the workers that will."""
    run_dir = Path(run_dir)
    if launch.needs_launcher(cfg) and not launch.inside_launcher():
        launch.relaunch(cfg, run_dir)
        return _read_metrics(run_dir)
    return train(cfg, run_dir)


def train(cfg, run_dir):
    """The recipe, in this process (one process, or one of the launched workers)."""
    run_dir = Path(run_dir)
    t = cfg.train
    trainer, ctx = build_trainer(cfg, run_dir)

    # 7. Train, resuming from the newest complete checkpoint in this run dir.
    resume = last_checkpoint(Path(trainer.args.output_dir)) if t.resume == "auto" else None
    if resume:
        log.info("sft: resuming from %s", resume)
    start = time.time()
    result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.time() - start
    tokens = getattr(trainer, "_total_train_tokens", None) or 0
    packing = ctx["packing"]
    speed = {"tokens_per_s": tokens / max(seconds, 1e-9), "packing_efficiency": packing["non_pad_fraction"]}
    trainer.log(dict(speed))  # to the logger group (W&B) too

    # 8. Final model + tokenizer (decoding template) + resolved config in <run_dir>/final/.
    final = run_dir / "final"
    if t.peft.kind == "none":
        trainer.save_model(str(final))
    else:
        trainer.save_model(str(run_dir / "adapter"))
        if t.peft.merge_after and trainer.is_world_process_zero():
            merge_adapter(ctx["source"], run_dir / "adapter", final, trainer.model.dtype, cfg.model.trust_remote_code)
    trainer.accelerator.wait_for_everyone()
    metrics = {
        "global_step": trainer.state.global_step, "resumed_from": resume, "train_seconds": seconds,
        "train_loss": result.training_loss, "train_tokens": tokens, "world_size": ctx["world"], **speed,
        "packing": {**packing, "strategy": t.packing_strategy if t.packing else "none", "block_size": t.block_size},
        "eval_loss": [h["eval_loss"] for h in trainer.state.log_history if "eval_loss" in h],
        "log_history": trainer.state.log_history, "final_dir": str(final) if final.exists() else None,
    }
    if trainer.is_world_process_zero():
        tokenizer = trainer.processing_class
        tokenizer.chat_template = ctx["decoding_template"]
        if final.exists():
            tokenizer.save_pretrained(str(final))
            copy_config(run_dir, final)
        write_json(run_dir / "train_metrics.json", metrics)
        print(f"[sft] {trainer.state.global_step} steps, loss {result.training_loss:.4f}, "
              f"{speed['tokens_per_s']:.0f} tokens/s, non-pad {packing['non_pad_fraction']:.3f} -> {final}", flush=True)
    return metrics


def build_trainer(cfg, run_dir):
    """Steps 1-6: weights, tokenizer, data, TRL arguments, model, trainer (tests inspect its batches)."""
    quiet_warnings()
    import torch
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    from ..data.format import training_chat_template
    from ..data.load import load_splits
    from ..models.load import load_tokenizer, torch_dtype
    from ..report.tracking import _wandb_mode

    run_dir = Path(run_dir)
    t = cfg.train
    cpu = not torch.cuda.is_available()
    world = int(os.environ.get("WORLD_SIZE", "1"))

    # 1. Weights: train.init_from (stage 2: the stage-1 run dir) or the model config (tiny twin at scale=cpu).
    source = resolve_init(cfg)
    log.info("sft: initial weights from %s", source)

    # 2. Tokenizer. Training renders the decoding template plus BOS/EOS (data/format.py); final/ keeps the decoding one.
    tokenizer = load_tokenizer(cfg, source)
    decoding_template = tokenizer.chat_template
    tokenizer.chat_template = training_chat_template(cfg.model.chat_template)

    # 3. Data: only `messages` kept, empty system turn inserted; test split from the source or held out.
    train_ds, eval_ds = load_splits(cfg)

    # 4. TRL arguments (before the model: under ZeRO-3 they switch on zero.Init for from_pretrained).
    if cfg.logger.name == "wandb":
        os.environ.setdefault("WANDB_MODE", _wandb_mode(cfg))
        os.environ.setdefault("WANDB_PROJECT", cfg.logger.project)
        os.environ.setdefault("WANDB_DIR", str(run_dir))
        os.environ.setdefault("WANDB_RUN_GROUP", cfg.logger.group or cfg.experiment_name)
    kwargs = sft_kwargs(cfg, run_dir, world=world, cpu=cpu, bf16_ok=not cpu and torch.cuda.is_bf16_supported())
    if eval_ds is None:
        kwargs["eval_strategy"] = "no"
    if t.bf16 and not kwargs["bf16"]:
        log.info("sft: bf16 requested but this device has none: training in fp32")
    args = SFTConfig(**kwargs)

    # 5. Model.
    model = AutoModelForCausalLM.from_pretrained(
        source, dtype=torch_dtype(cfg.model.dtype, "cpu" if cpu else "cuda"),
        trust_remote_code=cfg.model.trust_remote_code, attn_implementation=_attention(cpu))

    # 6. Trainer: TRL tokenizes with the template, builds labels (loss masking), packs to block_size.
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                         processing_class=tokenizer, peft_config=peft_config(t.peft))
    if t.packing and t.packing_strategy == "wrapped":
        trainer.train_dataset = drop_remainder(trainer.train_dataset, t.block_size)
        if trainer.eval_dataset is not None:
            full = drop_remainder(trainer.eval_dataset, t.block_size)
            trainer.eval_dataset = full if len(full) else trainer.eval_dataset  # a test split under one block stays
    packing = packing_efficiency(trainer.train_dataset, t.block_size, t.packing, t.per_device_batch_size, trainer.padding_free)
    log.info("sft: %d training rows of up to %d tokens, row fill %.3f, non-pad fraction %.3f", packing["rows"], t.block_size,
             packing["row_fill"], packing["non_pad_fraction"])
    trainer.args.max_steps = cap_steps(args, packing["rows"], world)  # train.max_steps caps the epochs, never extends them

    return trainer, {"source": source, "decoding_template": decoding_template, "packing": packing, "world": world}


def _attention(cpu: bool) -> str:
    """The recipe used flash-attn 2; sdpa where it is not installed (and on CPU)."""
    if not cpu:
        try:
            import flash_attn  # noqa: F401
            return "flash_attention_2"
        except ImportError:
            pass
    return "sdpa"


def _read_metrics(run_dir: Path) -> dict:
    import json
    path = run_dir / "train_metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}
