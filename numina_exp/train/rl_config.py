"""Schema of the keys every RL method shares (RLTrainBase); each RL method subclasses it in its own
module with what only it has. Pure dataclasses (cheap to import).

The base keys speak the write-up's language; numina_exp.train.rl maps them to TRL's argument names
(docs/rl.md has the table)."""
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Optional

from numina_exp.config.eval import AnswerKind
from numina_exp.config.train import Scheduler, TrainBase


class Rollout(StrEnum):
    single = "single"  # one generation per completion; the rewards execute its last block afterwards
    tir = "tir"  # the SC-TIR step loop: generate to ```output -> execute -> feed back -> continue (RLSpec.tir_rollouts)


class VllmMode(StrEnum):
    colocate = "colocate"  # vLLM inside the training process(es), sharing the GPU
    server = "server"  # a separate `trl vllm-serve` process


def _default_weights() -> dict:
    return {"code_block": 0.1, "executes": 0.2, "correct": 1.0}


@dataclass
class RLTrainBase(TrainBase):
    """TrainBase (lr, schedule, warmup, epochs, batch, precision, checkpointing, resume, seed, init_from,
    peft) with RL defaults, plus the keys every RL method shares."""
    learning_rate: float = 1.0e-6
    lr_scheduler: Scheduler = Scheduler.constant
    epochs: float = 1.0
    global_batch_size: int = 64  # completions per optimizer step (prompts x k); accumulation is derived
    per_device_batch_size: int = 8  # completions per forward/backward on one device
    logging_steps: int = 1
    eval_each_epoch: bool = False  # RL has no eval split here
    save_steps: Optional[int] = 50
    # --- what every RL method shares ---
    num_generations: int = 4  # k completions per prompt (the baseline / group)
    max_prompt_tokens: int = 1024  # prompts longer than this are dropped from the training set
    max_completion_length: int = 1024  # tokens per completion (TIR: all steps and their outputs together)
    temperature: float = 1.0
    top_p: float = 1.0
    beta: float = 0.05  # KL coefficient against the initial (reference) model; 0 = no reference model
    reward_weights: dict = field(default_factory=_default_weights)  # name -> weight (numina_exp.train.rewards)
    answer_kind: AnswerKind = AnswerKind.math  # equivalence of answer and gold: integer | numeric | math (numina_exp.grading)
    rollout: Rollout = Rollout.single
    max_tool_steps: int = 4  # rollout=tir: M, generate -> execute rounds per completion (as SC-TIR decoding)
    tool_step_tokens: int = 512  # rollout=tir: new tokens per generation round
    use_vllm: bool = False  # GPU: generate with vLLM (CPU: model.generate)
    vllm_mode: VllmMode = VllmMode.colocate
    vllm_gpu_memory_utilization: float = 0.3
    log_completions: bool = False


# scale=cpu caps of the RL keys (Method.scale_caps of every RL method): completions as long as decoding's,
# k like its copies, max_copies prompts a step
RL_SCALE_CAPS = {
    "train.max_completion_length": "max_new_tokens",
    "train.tool_step_tokens": "max_new_tokens",
    "train.num_generations": "max_copies",
    "train.global_batch_size": lambda cfg: cfg.scale.max_copies * cfg.train.num_generations,
}
