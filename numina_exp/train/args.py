"""Recipe keys (conf: train.*) -> TRL SFTConfig keyword arguments. A pure function: tests call it on a
composed config and compare against the recipe; docs/training.md has the same mapping as a table."""
from __future__ import annotations

from pathlib import Path


def world_size(cfg) -> int:
    """Processes the run is planned for (the one formula lives in config.distributed)."""
    from ..config.distributed import world_size as _world

    return _world(cfg.launch)


def accumulation_steps(global_batch: int, per_device: int, world: int) -> int:
    """The recipe gives the global batch (32); accumulation is whatever makes per_device x world x accum equal it."""
    per_step = per_device * world
    if global_batch % per_step:
        raise ValueError(f"global batch {global_batch} is not a multiple of {per_device} per device x {world} processes")
    return global_batch // per_step


def report_to(cfg) -> list[str]:
    return ["wandb"] if cfg.logger.name == "wandb" else []


def common_kwargs(cfg, run_dir: str | Path, world: int | None = None, cpu: bool = False, bf16_ok: bool = True) -> dict:
    """The TrainBase keys every TRL trainer shares, as TRL arguments. `cpu`: train on CPU (use_cpu, fp32);
    `bf16_ok`: the device has bf16. Trainer methods add their own keys (sft_kwargs below)."""
    t = cfg.train
    world = world_size(cfg) if world is None else world
    use_bf16 = bool(t.bf16 and bf16_ok and not cpu)
    return dict(
        output_dir=str(Path(run_dir) / "checkpoints"),
        run_name=f"{cfg.experiment_name}-{Path(run_dir).name}",
        seed=t.seed,
        data_seed=t.seed,
        include_num_input_tokens_seen="non_padding",  # state.num_input_tokens_seen: train_metrics' tokens/s
        # optimisation
        learning_rate=t.learning_rate,
        lr_scheduler_type=str(t.lr_scheduler),
        warmup_steps=t.warmup_ratio,  # TRL 1.16: a float in [0, 1) is a ratio of the total steps
        num_train_epochs=t.epochs,
        max_steps=t.max_steps if t.max_steps else -1,
        per_device_train_batch_size=t.per_device_batch_size,
        per_device_eval_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=accumulation_steps(t.global_batch_size, t.per_device_batch_size, world),
        optim=t.optim,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        # memory / precision
        gradient_checkpointing=t.activation_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False} if t.activation_checkpointing else None,
        bf16=use_bf16,
        use_cpu=cpu,
        dataloader_num_workers=t.num_workers,
        # evaluation, checkpoints, logging
        eval_strategy="epoch" if t.eval_each_epoch else "no",
        save_strategy="steps" if t.save_steps else "epoch",
        save_steps=t.save_steps or 500,
        save_total_limit=t.save_total_limit,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        report_to=report_to(cfg),
    )


def sft_kwargs(cfg, run_dir: str | Path, world: int | None = None, cpu: bool = False, bf16_ok: bool = True) -> dict:
    """SFTConfig(**sft_kwargs(...)): the shared keys plus packing to block_size and loss masking."""
    t = cfg.train
    masking = str(t.loss_masking)
    return dict(
        common_kwargs(cfg, run_dir, world=world, cpu=cpu, bf16_ok=bf16_ok),
        max_length=t.block_size,
        packing=t.packing,
        packing_strategy=str(t.packing_strategy),
        eval_packing=t.packing,
        assistant_only_loss=masking == "assistant_only",
        completion_only_loss=masking == "completion_only",
    )
