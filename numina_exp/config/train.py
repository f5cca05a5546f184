"""Schema of training recipes (`method=sft|kto|rloo`). Keys speak the recipe's language (block_size,
warmup_ratio, global batch); numina_exp.train.args translates them to the current TRL argument names
(see docs/training.md for the table)."""
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class PeftConfig:
    kind: str = "none"  # none | lora | dora
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    merge_after: bool = True  # write a merged full checkpoint (final/) next to the adapter (adapter/)


@dataclass
class TrainConfig:
    init_from: Optional[str] = None  # run directory (uses its final/), local path or hub id; default: the model
    block_size: int = 2048  # pack length (TRL: max_length)
    packing: bool = True
    packing_strategy: str = "wrapped"  # wrapped (TRL 0.8.1 concatenate-and-cut, NuminaMath) | bfd | bfd_split
    loss_masking: str = "none"  # none (NuminaMath) | assistant_only | completion_only
    learning_rate: float = 2.0e-5
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.0
    epochs: float = 3.0
    global_batch_size: int = 32  # per_device x processes x accumulation; accumulation is derived
    per_device_batch_size: int = 4
    reference_gpus: int = 8  # the recipe's device count, for planning/reporting (the real count comes from launch)
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optim: str = "adamw_torch"
    activation_checkpointing: bool = True  # TRL: gradient_checkpointing + use_reentrant false
    bf16: bool = True  # ignored (with a log line) where the device has no bf16 (CPU: fp32)
    seed: int = 42
    logging_steps: int = 5
    eval_each_epoch: bool = True
    save_steps: Optional[int] = None  # None: save at each epoch end
    save_total_limit: Optional[int] = 2
    resume: str = "auto"  # auto (resume from the newest checkpoint in the run dir) | never
    max_steps: Optional[int] = None
    num_workers: int = 0  # dataloader workers
    peft: PeftConfig = field(default_factory=PeftConfig)
