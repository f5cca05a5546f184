"""Schema of the RL recipes (`method=rloo`, `method=grpo`): one base for every key where RLOO and GRPO
coincide, one small subclass each for what only one of them has. Pure dataclasses (cheap to import).

The base keys speak the write-up's language; numina_exp.train.rl maps them to TRL's RLOOConfig /
GRPOConfig names (docs/rl.md has the table)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from numina_exp.config.train import PeftConfig


class Rollout(str, Enum):
    single = "single"  # one generation per completion; the rewards execute its last block afterwards
    tir = "tir"  # the SC-TIR step loop: generate to ```output -> execute -> feed back -> continue (GRPO only)


class VllmMode(str, Enum):
    colocate = "colocate"  # vLLM inside the training process(es), sharing the GPU
    server = "server"  # a separate `trl vllm-serve` process


def _default_weights() -> dict:
    return {"code_block": 0.1, "executes": 0.2, "correct": 1.0}


@dataclass
class RLTrainBase:
    init_from: Optional[str] = None  # run directory (uses its final/), local path or hub id; default: the model
    # --- optimisation (as the SFT recipe) ---
    learning_rate: float = 1.0e-6
    lr_scheduler: str = "constant"
    warmup_ratio: float = 0.0
    epochs: float = 1.0
    max_steps: Optional[int] = None  # a cap on the optimizer steps the epochs take
    global_batch_size: int = 64  # completions per optimizer step (prompts x k); accumulation is derived
    per_device_batch_size: int = 8  # completions per forward/backward on one device
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optim: str = "adamw_torch"
    activation_checkpointing: bool = True
    bf16: bool = True  # ignored (with a log line) where the device has no bf16 (CPU: fp32)
    seed: int = 42
    logging_steps: int = 1
    save_steps: int = 50
    save_total_limit: Optional[int] = 2
    resume: str = "auto"  # auto (resume from the newest checkpoint in the run dir) | never
    peft: PeftConfig = field(default_factory=PeftConfig)
    # --- what RLOO and GRPO share ---
    num_generations: int = 4  # k completions per prompt (the baseline / group)
    max_prompt_tokens: int = 1024  # prompts longer than this are dropped from the training set
    max_completion_length: int = 1024  # tokens per completion (TIR: all steps and their outputs together)
    temperature: float = 1.0
    top_p: float = 1.0
    beta: float = 0.05  # KL coefficient against the initial (reference) model; 0 = no reference model
    reward_weights: dict = field(default_factory=_default_weights)  # name -> weight (numina_exp.train.rewards)
    answer_kind: str = "math"  # equivalence of answer and gold: integer | numeric | math (numina_exp.grading)
    rollout: Rollout = Rollout.single
    max_tool_steps: int = 4  # rollout=tir: M, generate -> execute rounds per completion (as SC-TIR decoding)
    tool_step_tokens: int = 512  # rollout=tir: new tokens per generation round
    use_vllm: bool = False  # GPU: generate with vLLM (CPU: model.generate)
    vllm_mode: VllmMode = VllmMode.colocate
    vllm_gpu_memory_utilization: float = 0.3
    log_completions: bool = False


@dataclass
class RLOOTrain(RLTrainBase):
    normalize_advantages: bool = False  # RLOO's leave-one-out advantages, optionally scaled to unit std


@dataclass
class GRPOTrain(RLTrainBase):
    beta: float = 0.0  # TRL's GRPO default: no KL term (and no reference model)
    loss_type: str = "dapo"  # grpo | dapo | dr_grpo | bnpo (TRL GRPOConfig.loss_type)
    scale_rewards: str = "group"  # group | batch | none: the std the advantages are divided by
