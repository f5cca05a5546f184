"""Our SFT stage against a bare TRL SFTTrainer script on the same data, model and settings; and packing.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/sft_vs_bare_trl.py [--model tiny|smollm2] [--rows 64]
        [--steps 4] [--block 512] [--batch 4] [--out FILE.json]

* **ours**: method=sft's own function (numina_exp.methods.sft.build_trainer: our data loading, training
  chat template, TRL arguments from cfg.train, the trainer, packing) on `+experiment=stage2_tir`, then
  `trainer.train()`.
* **bare TRL**: the script a researcher would write, here in `bare_trl()`: AutoModelForCausalLM and
  AutoTokenizer from the same weights, the same rows (the same `messages`, rendered by the same training
  chat template), an SFTConfig with the same values written out (batch, accumulation, lr, schedule,
  warmup, steps, max_length, packing, checkpointing, seed, fp32 on CPU), SFTTrainer, train().
* **packing**: ours again with no packing and with TRL's padding-free bfd (position ids, no attention
  across examples), against the recipe's `wrapped`.

tokens/s counts the tokens the trainer trained on without padding (SFTTrainer's own count) over the
seconds of `train()`; setup (loading, tokenising, packing) is reported beside it. `--model tiny` is the
stage's tiny twin (scale=cpu, seconds); `--model smollm2` is SmolLM2-135M-Instruct (the real number,
minutes). Timings on a shared box are noisy: quote the load (`uptime`) with them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")


def compose_cfg(args, extra: list[str]):
    from recorded import compose

    if args.model == "tiny":
        model = ["scale=cpu"]
    else:  # the real model, the shipped TIR sample as the data file
        model = ["model=smollm2_135m", "data.path=${pkg:data/samples/tir_sample.jsonl}"]
    cfg = compose(["experiment=stage2_tir", *model, f"data.max_rows={args.rows}", f"train.block_size={args.block}",
                   f"train.per_device_batch_size={args.batch}", f"train.global_batch_size={2 * args.batch}",
                   "train.epochs=1", f"train.max_steps={args.steps}", "train.eval_each_epoch=false",
                   "train.activation_checkpointing=false", "train.save_total_limit=0", "logger=none", *extra])
    if args.model == "tiny":
        from numina_exp.config.scaling import apply_scale
        apply_scale(cfg)
        cfg.train.max_steps = args.steps
    return cfg


def ours(cfg) -> dict:
    from numina_exp.methods.sft import build_trainer

    with tempfile.TemporaryDirectory() as run_dir:
        t = time.perf_counter()
        trainer, ctx = build_trainer(cfg, run_dir)
        trainer.args.save_strategy = "no"
        setup = time.perf_counter() - t
        t = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t
    return {"setup_s": setup, "train_s": seconds, "tokens": trainer._total_train_tokens, "steps": trainer.state.global_step,
            "rows": ctx["metrics"]["packing"]["rows"], "loss": trainer.state.log_history[-1].get("train_loss"),
            "max_steps": trainer.args.max_steps}


def bare_trl(model_dir: str, train_rows: list[dict], chat_template: str, t, max_steps: int, out_dir: str) -> dict:
    """A plain TRL script with the same values (no numina_exp code past this line's arguments)."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    start = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.chat_template = chat_template
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    args = SFTConfig(output_dir=out_dir, per_device_train_batch_size=t.per_device_batch_size,
                     gradient_accumulation_steps=t.global_batch_size // t.per_device_batch_size,
                     learning_rate=t.learning_rate, lr_scheduler_type=str(t.lr_scheduler), warmup_steps=t.warmup_ratio,
                     num_train_epochs=t.epochs, max_steps=max_steps, max_length=t.block_size, packing=t.packing,
                     packing_strategy=str(t.packing_strategy), gradient_checkpointing=t.activation_checkpointing,
                     seed=t.seed, data_seed=t.seed, use_cpu=True, bf16=False, logging_steps=t.logging_steps,
                     save_strategy="no", eval_strategy="no", report_to="none")
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(train_rows), processing_class=tok)
    setup = time.perf_counter() - start
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    return {"setup_s": setup, "train_s": seconds, "tokens": trainer._total_train_tokens, "steps": trainer.state.global_step,
            "rows": len(trainer.train_dataset), "loss": trainer.state.log_history[-1].get("train_loss"), "max_steps": max_steps}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=["tiny", "smollm2"], default="tiny")
    ap.add_argument("--rows", type=int, default=64, help="data.max_rows")
    ap.add_argument("--steps", type=int, default=4, help="optimizer steps (both sides)")
    ap.add_argument("--block", type=int, default=512, help="train.block_size (TRL max_length)")
    ap.add_argument("--batch", type=int, default=4, help="per-device batch (global: twice that)")
    ap.add_argument("--out", default=None, help="write the numbers as JSON here")
    args = ap.parse_args()

    from numina_exp.data.format import training_chat_template
    from numina_exp.data.load import load_splits
    from numina_exp.models import resolve_model_source

    results = {}
    cfg = compose_cfg(args, [])
    # untimed: imports, the tiny twin's (or GGUF's) weights on disk, the data file read once
    import trl  # noqa: F401
    resolve_model_source(cfg)
    load_splits(cfg)
    results["ours (wrapped, the recipe's)"] = ours(cfg)
    train_ds, _ = load_splits(cfg)
    with tempfile.TemporaryDirectory() as out:
        results["bare TRL (wrapped)"] = bare_trl(resolve_model_source(cfg), [{"messages": r["messages"]} for r in train_ds],
                                                 training_chat_template(cfg.model.chat_template), cfg.train,
                                                 results["ours (wrapped, the recipe's)"]["max_steps"], out)
    results["ours, no packing"] = ours(compose_cfg(args, ["train.packing=false"]))
    results["ours, padding-free (bfd)"] = ours(compose_cfg(args, ["train.packing_strategy=bfd"]))

    for r in results.values():
        r["tokens_per_s"] = r["tokens"] / r["train_s"]
    print(f"+experiment=stage2_tir, {cfg.model.name if args.model == 'tiny' else 'SmolLM2-135M-Instruct'} "
          f"({'tiny twin, ' if args.model == 'tiny' else ''}fp32, CPU, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', '?')}), {args.rows} rows of the shipped TIR sample, block {args.block}, "
          f"batch {args.batch} x accumulation 2, {args.steps} optimizer steps, no activation checkpointing")
    print("| run | rows | steps | trained tokens | setup s | train s | tokens/s | train loss |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        loss = f"{r['loss']:.4f}" if isinstance(r["loss"], (int, float)) else "-"
        print(f"| {name} | {r['rows']} | {r['steps']} | {r['tokens']:,} | {r['setup_s']:.1f} | {r['train_s']:.1f} | "
              f"{r['tokens_per_s']:.0f} | {loss} |")
    o, b = results["ours (wrapped, the recipe's)"], results["bare TRL (wrapped)"]
    nop, bfd = results["ours, no packing"], results["ours, padding-free (bfd)"]
    print(f"ours / bare TRL: {o['tokens_per_s'] / b['tokens_per_s']:.2f}x tokens/s (target >= 0.95x); "
          f"padding-free bfd / no packing: {bfd['tokens_per_s'] / nop['tokens_per_s']:.2f}x (target >= 1.0x)")
    if args.out:
        Path(args.out).write_text(json.dumps({"args": vars(args), "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
