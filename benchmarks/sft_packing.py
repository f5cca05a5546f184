"""SFT packing: tokens/s and non-pad fraction for no packing / wrapped / bfd.

The tiny twin (stage 2's model at scale=cpu) on the shipped NuminaMath-TIR-format sample, stage 2's
block size (1024), one epoch each, per-device batch 4, global batch 8, activation checkpointing as in
the recipe. tokens/s counts real (non-pad) tokens only, so it measures useful work.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sft_packing.py [--readme] [--steps N]

--readme replaces the "## sft packing" section of benchmarks/README.md with the table."""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")

MODES = {"no packing": ["train.packing=false"], "wrapped": ["train.packing_strategy=wrapped"], "bfd": ["train.packing_strategy=bfd"]}
COMMON = ["+experiment=stage2_tir", "scale=cpu", "train.global_batch_size=8", "train.per_device_batch_size=4",
          "train.epochs=1", "train.max_steps=null", "train.eval_each_epoch=false", "train.save_total_limit=0", "logger=none"]


def compose(overrides, max_steps=None):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from numina_exp.methods import register_configs

    register_configs()
    from numina_exp.config.scaling import apply_scale
    from numina_exp.methods._validate import validate

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = hydra_compose("config", overrides=[o.lstrip("+") for o in overrides])
    apply_scale(cfg)
    cfg.train.max_steps = max_steps  # None: one full epoch (the scale cap is irrelevant here)
    validate(cfg)
    return cfg


def measure(name: str, extra: list[str], max_steps=None) -> dict:
    from numina_exp.methods.sft import build_trainer

    cfg = compose([*COMMON, *extra], max_steps)
    with tempfile.TemporaryDirectory() as run_dir:
        trainer, ctx = build_trainer(cfg, run_dir)
        trainer.args.save_strategy = "no"
        start = time.time()
        trainer.train()
        seconds = time.time() - start
    tokens = trainer._total_train_tokens
    return {"mode": name, "rows": ctx["metrics"]["packing"]["rows"], "steps": trainer.state.global_step, "tokens": tokens,
            "seconds": seconds, "tokens_per_s": tokens / seconds, "non_pad": ctx["metrics"]["packing"]["non_pad_fraction"],
            "fill": ctx["metrics"]["packing"]["row_fill"], "min_rows": -(-tokens // cfg.train.block_size),
            "loss": trainer.state.log_history[-1].get("train_loss")}


def table(rows: list[dict]) -> str:
    base = rows[0]["tokens_per_s"]
    out = ["| mode | rows | optimizer steps | trained tokens | seconds | tokens/s | vs no packing | non-pad fraction | row fill |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['mode']} | {r['rows']} | {r['steps']} | {r['tokens']} | {r['seconds']:.1f} | "
                   f"{r['tokens_per_s']:.0f} | {r['tokens_per_s'] / base:.2f}x | {100 * r['non_pad']:.1f} % | {100 * r['fill']:.1f} % |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readme", action="store_true", help="write the table into benchmarks/README.md")
    ap.add_argument("--steps", type=int, default=None, help="stop each mode after N optimizer steps (default: one epoch, "
                                                             "as the README's table; a smoke run)")
    opts = ap.parse_args()
    if opts.readme and opts.steps is not None:
        ap.error("--readme rows are one full epoch per mode; drop --steps")
    import warnings
    warnings.filterwarnings("ignore")
    rows = [measure(name, extra, opts.steps) for name, extra in MODES.items()]
    load = os.getloadavg()[0]
    text = table(rows)
    bfd = next(r for r in rows if r["mode"] == "bfd")
    best_fill = bfd["tokens"] / (bfd["min_rows"] * 1024)
    verdict = (f"bfd non-pad fraction {100 * bfd['non_pad']:.1f} % (target >= 99 %: padding-free batches carry no padding); "
               f"its row fill {100 * bfd['fill']:.1f} % ({bfd['rows']} rows; the best possible here is {bfd['min_rows']} "
               f"rows = {100 * best_fill:.1f} %)")
    print(text, verdict, f"load average {load:.1f}", sep="\n")
    if opts.readme:
        section = (
            "## sft packing\n\n"
            "`benchmarks/sft_packing.py` (run: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sft_packing.py --readme`).\n\n"
            "Tiny Llama twin (1.8 M parameters, fp32, CPU, 1 thread), 190 rows of the shipped TIR sample, block 1024 "
            "(stage 2), one epoch, per-device batch 4 x accumulation 2, activation checkpointing. tokens/s counts "
            f"non-pad tokens only. 2 shared cores, load average {load:.1f} at the end: compare ratios, not absolutes.\n\n"
            f"{text}\n\n{verdict}. `wrapped` is NuminaMath's TRL 0.8.1 packing (remainder dropped, attention crosses "
            "samples); `bfd` is padding-free best-fit decreasing (samples isolated by position_ids; overflow past the "
            "block is truncated, so it trains fewer tokens when samples exceed the block); no packing pads each batch "
            "to its longest row.\n")
        readme = REPO / "benchmarks" / "README.md"
        old = readme.read_text() if readme.exists() else "# Benchmarks\n"
        pattern = re.compile(r"## sft packing\n.*?(?=\n## |\Z)", re.S)
        new = pattern.sub(lambda _: section.rstrip("\n") + "\n", old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + section
        readme.write_text(new)
        print(f"wrote {readme}")


if __name__ == "__main__":
    main()
