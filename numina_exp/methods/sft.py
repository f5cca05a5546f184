"""method=sft: supervised fine-tuning on TRL's SFTTrainer (stage 1 CoT, stage 2 TIR, and ablations).

Read top to bottom: the shared plumbing (numina_exp.train.trl_run) loads weights and tokenizer, then
`build` below does what is SFT's own: training template -> data -> TRL arguments -> model -> trainer
(packing to block_size, loss masking); the plumbing trains (resuming), writes final/ and metrics.
Every recipe value comes from cfg.train (the SFTTrain schema below, with the values of conf/experiment/*.yaml); the mapping
to TRL names is numina_exp/train/args.py."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from ..config.train import TrainBase
from ..core.errors import ConfigError
from ..core.registry import Method

log = logging.getLogger("numina_exp")


class PackingStrategy(StrEnum):
    wrapped = "wrapped"  # TRL 0.8.1 concatenate-and-cut (NuminaMath); attention crosses samples
    bfd = "bfd"  # best-fit decreasing, padding-free; truncates overflow
    bfd_split = "bfd_split"  # bfd that splits overflow instead


class LossMasking(StrEnum):
    none = "none"  # NuminaMath: loss on every token
    assistant_only = "assistant_only"  # messages data; needs {% generation %} markers in the template
    completion_only = "completion_only"  # prompt/completion data


@dataclass
class SFTTrain(TrainBase):
    block_size: int = 2048  # pack length (TRL: max_length)
    packing: bool = True
    packing_strategy: PackingStrategy = PackingStrategy.wrapped
    loss_masking: LossMasking = LossMasking.none


def validate(cfg) -> None:
    t = cfg.train
    if t.block_size < 8:
        raise ConfigError("train.block_size", f"must be >= 8, got {t.block_size}", "use e.g. 2048 (stage 1) or 1024 (stage 2)")
    if t.loss_masking == "assistant_only" and cfg.model.chat_template != "numina":
        raise ConfigError("train.loss_masking", f"assistant_only needs a template with {{% generation %}} markers; "
                          f"model.chat_template={cfg.model.chat_template} has none", "use model.chat_template=numina or loss_masking=completion_only")


def build(cfg, ctx):
    """Data, TRL arguments, model and SFTTrainer (tests inspect its batches)."""
    from trl import SFTConfig, SFTTrainer

    from ..data.format import training_chat_template
    from ..data.load import load_splits
    from ..train.args import sft_kwargs
    from ..train.common import cap_steps, drop_remainder, packing_efficiency, peft_config
    from ..train.trl_run import load_model

    t = cfg.train
    # Training renders the decoding template plus BOS/EOS (data/format.py); final/ keeps the decoding one.
    tokenizer = ctx["tokenizer"]
    tokenizer.chat_template = training_chat_template(cfg.model.chat_template)

    # Data: only `messages` kept, empty system turn inserted; test split from the source or held out.
    train_ds, eval_ds = load_splits(cfg)

    # TRL arguments (before the model: under ZeRO-3 they switch on zero.Init for from_pretrained).
    kwargs = sft_kwargs(cfg, ctx["run_dir"], world=ctx["world"], cpu=ctx["cpu"], bf16_ok=ctx["bf16_ok"])
    if eval_ds is None:
        kwargs["eval_strategy"] = "no"
    if t.bf16 and not kwargs["bf16"]:
        log.info("sft: bf16 requested but this device has none: training in fp32")
    args = SFTConfig(**kwargs)

    # Trainer: TRL tokenizes with the template, builds labels (loss masking), packs to block_size.
    trainer = SFTTrainer(model=load_model(ctx), args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                         processing_class=tokenizer, peft_config=peft_config(t.peft))
    if t.packing and t.packing_strategy == "wrapped":
        trainer.train_dataset = drop_remainder(trainer.train_dataset, t.block_size)
        if trainer.eval_dataset is not None:
            full = drop_remainder(trainer.eval_dataset, t.block_size)
            trainer.eval_dataset = full if len(full) else trainer.eval_dataset  # a test split under one block stays
    packing = packing_efficiency(trainer.train_dataset, t.block_size, t.packing, t.per_device_batch_size, trainer.padding_free)
    log.info("sft: %d training rows of up to %d tokens, row fill %.3f, non-pad fraction %.3f", packing["rows"], t.block_size,
             packing["row_fill"], packing["non_pad_fraction"])
    trainer.args.max_steps = cap_steps(args, packing["rows"], ctx["world"])  # train.max_steps caps the epochs, never extends them
    strategy = str(t.packing_strategy) if t.packing else "none"
    return trainer, {"log": {"packing_efficiency": packing["non_pad_fraction"]},
                     "metrics": {"packing": {**packing, "strategy": strategy, "block_size": t.block_size}}}


def build_trainer(cfg, run_dir):
    """The trainer exactly as a run builds it, without training (tests and benchmarks look at its batches)."""
    from ..train.trl_run import make_context

    return build(cfg, make_context(cfg, run_dir))


def run(cfg, run_dir):
    from ..train.trl_run import run_trainer

    return run_trainer(cfg, run_dir, build)


METHOD = Method(
    name="sft", run=run, validate=validate, train_schema=SFTTrain, launched=True,
    needs=("model", "data", "train"),
    consumes={"model": "train.init_from"}, produces={"model": "final"},
    doc="supervised fine-tuning (stage 1 CoT / stage 2 TIR) on TRL's SFTTrainer",
)
