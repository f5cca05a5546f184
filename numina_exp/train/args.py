"""Recipe keys (conf: train.*) -> TRL SFTConfig keyword arguments. A pure function: tests call it on a
composed config and compare against the recipe; docs/training.md has the same mapping as a table."""
from __future__ import annotations

from pathlib import Path


def world_size(cfg) -> int:
    """Processes the run is planned for: launch.gpus (GPU nodes) or launch.processes, times nodes."""
    per_node = cfg.launch.gpus if cfg.launch.gpus > 0 else cfg.launch.processes
    return max(per_node, 1) * max(cfg.launch.nodes, 1)


def accumulation_steps(global_batch: int, per_device: int, world: int) -> int:
    """The recipe gives the global batch (32); accumulation is whatever makes per_device x world x accum equal it."""
    per_step = per_device * world
    if global_batch % per_step:
        raise ValueError(f"global batch {global_batch} is not a multiple of {per_device} per device x {world} processes")
    return global_batch // per_step


def report_to(cfg) -> list[str]:
    return ["wandb"] if cfg.logger.name == "wandb" else []


def sft_kwargs(cfg, run_dir: str | Path, world: int | None = None, cpu: bool = False, bf16_ok: bool = True) -> dict:
    """SFTConfig(**sft_kwargs(...)). `cpu`: train on CPU (use_cpu, fp32); `bf16_ok`: the device has bf16."""
    t = cfg.train
    world = world_size(cfg) if world is None else world
    use_bf16 = bool(t.bf16 and bf16_ok and not cpu)
    masking = t.loss_masking
    kwargs = dict(
        output_dir=str(Path(run_dir) / "checkpoints"),
        run_name=f"{cfg.experiment_name}-{Path(run_dir).name}",
        seed=t.seed,
        data_seed=t.seed,
        # optimisation
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
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
        # data: packing to block_size, loss masking
        max_length=t.block_size,
        packing=t.packing,
        packing_strategy=t.packing_strategy,
        eval_packing=t.packing,
        assistant_only_loss=masking == "assistant_only",
        completion_only_loss=masking == "completion_only",
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
    return kwargs
