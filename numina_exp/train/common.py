"""Plain helpers the training recipes share: where the initial weights come from, checkpoints to resume,
packing statistics, PEFT configs, the final directory."""
from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

log = logging.getLogger("numina_exp")


def resolve_init(cfg) -> str:
    """Initial weights: train.init_from (a run dir -> its final/, a model dir, or a hub id) or the model config.
    At scale=cpu a hub id cannot be used: the configured model's tiny twin stands in (logged)."""
    from ..models.load import is_tiny, resolve_model_source

    ref = cfg.train.init_from
    if ref:
        path = Path(ref).expanduser()
        if path.exists():
            return str(path / "final" if (path / "final" / "config.json").exists() else path)
        if not is_tiny(cfg):
            return ref
        log.warning("train.init_from=%s is a hub id; scale=%s uses the tiny twin of model=%s instead", ref, cfg.scale.name, cfg.model.name)
    return resolve_model_source(cfg)


def last_checkpoint(output_dir: Path) -> str | None:
    """Newest complete checkpoint-N (one with trainer_state.json, written last by the Trainer) or None."""
    done = [p for p in Path(output_dir).glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    done = [p for p in done if p.name.split("-")[-1].isdigit()]
    return str(max(done, key=lambda p: int(p.name.split("-")[-1]))) if done else None


def drop_remainder(dataset, block_size: int):
    """TRL's `wrapped` packing keeps the short tail chunk of every map batch; TRL 0.8.1 (NuminaMath) dropped it."""
    return dataset.filter(lambda ex: len(ex["input_ids"]) == block_size)


def packing_efficiency(dataset, block_size: int, packed: bool, batch_size: int, padding_free: bool = False) -> dict:
    """`row_fill`: tokens / (rows x block_size) for packed rows, tokens / padded slots of per-device batches
    (in dataset order; the sampler shuffles, the expectation is similar) without packing.
    `non_pad_fraction`: the share of the tensors the model computes on that are real tokens: the row fill,
    except padding-free batches (bfd), which carry no padding at all (1.0); their row fill only sets how
    many rows (hence optimizer steps) an epoch takes."""
    lengths = [len(ids) for ids in dataset["input_ids"]]
    tokens = sum(lengths)
    if packed:
        slots = len(lengths) * block_size
    else:
        slots = sum(max(lengths[i:i + batch_size]) * len(lengths[i:i + batch_size]) for i in range(0, len(lengths), batch_size))
    fill = tokens / max(slots, 1)
    return {"rows": len(lengths), "tokens": tokens, "slots": slots, "row_fill": fill,
            "non_pad_fraction": 1.0 if padding_free else fill}


def cap_steps(args, rows: int, world: int) -> int:
    """TRL/transformers' max_steps replaces the epoch count (it would cycle a small dataset 40 times);
    train.max_steps is meant as a cap: keep it only when it is below the steps the epochs take."""
    if args.max_steps is None or args.max_steps <= 0:
        return -1
    micro = math.ceil(rows / max(args.per_device_train_batch_size * world, 1))
    per_epoch = max(math.ceil(micro / args.gradient_accumulation_steps), 1)
    return args.max_steps if args.max_steps < math.ceil(per_epoch * args.num_train_epochs) else -1


def peft_config(p):
    if p.kind == "none":
        return None
    from peft import LoraConfig

    return LoraConfig(r=p.r, lora_alpha=p.alpha, lora_dropout=p.dropout, target_modules=list(p.target_modules),
                      use_dora=p.kind == "dora", task_type="CAUSAL_LM")


def merge_adapter(base: str, adapter_dir: Path, out_dir: Path, dtype, trust_remote_code: bool = False) -> None:
    """Base weights + adapter -> one full checkpoint (what decoding, merging and quantizing load)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype, trust_remote_code=trust_remote_code)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(str(out_dir))


def write_json(path: Path, obj) -> None:
    from ..core.io import atomic_write_json

    atomic_write_json(path, obj)


def copy_config(run_dir: Path, out_dir: Path) -> None:
    src = Path(run_dir) / "resolved_config.yaml"
    if src.exists():
        shutil.copy(src, Path(out_dir) / "resolved_config.yaml")
