"""The `train` group: one schema per trainer, chosen by the method's name (no YAML file:
the schema a trainer declares as `Method.train_schema` is registered as the `train/<method>` option).

`TrainBase` holds what every TRL trainer shares; a trainer method subclasses it with its own keys
(sft: block size, packing, loss masking; kto: beta, class weights; rloo/grpo: k, rewards, kl) and
declares it as `Method.train_schema`. Keys speak the recipe's language (warmup_ratio, global batch);
numina_exp.train.args translates them to TRL's names (docs/training.md has the table). Closed choices
are Enums, so composition rejects a wrong value naming the key."""
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Optional

from omegaconf import II


class PeftKind(StrEnum):
    none = "none"
    lora = "lora"
    dora = "dora"


class Resume(StrEnum):
    auto = "auto"  # resume from the newest complete checkpoint in the run dir
    never = "never"


class Scheduler(StrEnum):
    cosine = "cosine"
    linear = "linear"
    constant = "constant"
    constant_with_warmup = "constant_with_warmup"


@dataclass
class PeftConfig:
    kind: PeftKind = PeftKind.none
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    merge_after: bool = True  # write a merged full checkpoint (final/) next to the adapter (adapter/)


@dataclass
class TrainBase:
    init_from: Optional[str] = None  # run directory (uses its final/), local path or hub id; default: the model
    learning_rate: float = 2.0e-5
    lr_scheduler: Scheduler = Scheduler.cosine
    warmup_ratio: float = 0.0
    epochs: float = 3.0
    global_batch_size: int = 32  # per_device x processes x accumulation; accumulation is derived
    per_device_batch_size: int = 4
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optim: str = "adamw_torch"
    activation_checkpointing: bool = True  # TRL: gradient_checkpointing + use_reentrant false
    bf16: bool = True  # ignored (with a log line) where the device has no bf16 (CPU: fp32)
    seed: int = II("seed")  # the run's root seed (docs/seeds.md): model init of new heads, data order, dropout
    logging_steps: int = 5
    eval_each_epoch: bool = True
    save_steps: Optional[int] = None  # None: save at each epoch end
    save_total_limit: Optional[int] = 2
    resume: Resume = Resume.auto
    max_steps: Optional[int] = None  # a cap on the epochs' steps (scale=cpu sets it), never an extension
    num_workers: int = 0  # dataloader workers
    peft: PeftConfig = field(default_factory=PeftConfig)
