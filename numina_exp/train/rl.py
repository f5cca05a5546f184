"""The shared plumbing of the RL methods on TRL (RLOO, GRPO, ...) with code-execution rewards.

Each RL method module declares an `RLSpec` (its TRL classes, the TRL arguments only it has, whether
its trainer takes the SC-TIR rollout) and passes it here; nothing in this module names a method.

Read top to bottom: prompts (problem + gold answer) -> reward functions by name with their weights ->
TRL arguments (one mapping for the keys every RL trainer shares, then the spec's own) -> trainer (with
train.rollout=tir, the SC-TIR rollout as `rollout_func`) -> after training: reward quarters, sandbox
statuses, time shares.

  rollout=single  one generation per completion, its last block executed by the rewards.
  rollout=tir     `rollout_func` runs the SC-TIR loop (tir_rollout.py); a trainer without that hook
                  (spec.tir_rollouts false) rejects it at validation.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable

from .rl_config import Rollout

log = logging.getLogger("numina_exp")


@dataclass(frozen=True)
class RLSpec:
    """What one RL method brings to the shared plumbing."""

    method: str  # the declaring method's name (error messages point to the methods that can do something)
    trl_config: str  # the TRL argument class, e.g. "RLOOConfig" (trl is imported when a run builds its trainer)
    trl_trainer: str  # the TRL trainer class, e.g. "RLOOTrainer"
    own_kwargs: Callable  # train section -> the TRL arguments only this trainer has (a dict)
    tir_rollouts: bool = False  # the trainer takes `rollout_func` (train.rollout=tir)

    def __post_init__(self):
        SPECS[self.method] = self


SPECS: dict[str, RLSpec] = {}  # every RL method's spec by name, filled as the method modules are imported


# ------------------------------------------------------------------------------------ validation
def check(cfg, spec: RLSpec) -> None:
    """What a type cannot express; raises ConfigError naming the key, before any model loads."""
    from ..core.errors import ConfigError
    from .args import world_size
    from .rewards import REWARDS, reward_names

    t = cfg.train
    unknown = sorted(set(t.reward_weights) - set(REWARDS))
    if unknown:
        raise ConfigError("train.reward_weights", f"unknown reward function(s) {unknown}", f"use names from {reward_names()}")
    if not t.reward_weights:
        raise ConfigError("train.reward_weights", "is empty", "name at least one reward, e.g. {correct: 1.0}")
    if t.num_generations < 2:
        raise ConfigError("train.num_generations", f"is {t.num_generations}", "RLOO/GRPO baselines need k >= 2 completions per prompt")
    if t.global_batch_size % t.num_generations:
        raise ConfigError("train.global_batch_size", f"{t.global_batch_size} is not a multiple of train.num_generations={t.num_generations}",
                          "make the completions per step a whole number of prompts x k")
    per_step = t.per_device_batch_size * world_size(cfg)
    if t.global_batch_size % per_step:
        raise ConfigError("train.global_batch_size", f"{t.global_batch_size} is not a multiple of train.per_device_batch_size x "
                          f"processes = {per_step}", "pick per_device_batch_size so that it divides the completions per step")
    if t.rollout == Rollout.tir:
        if not spec.tir_rollouts:
            raise ConfigError("train.rollout", f"tir is not available for method={cfg.method.name}",
                              f"{spec.trl_trainer} has no rollout hook in TRL 1.16: use train.rollout=single, or "
                              + " or ".join(f"method={s.method}" for s in SPECS.values() if s.tir_rollouts))
        if t.use_vllm:
            raise ConfigError("train.use_vllm", "true with train.rollout=tir",
                              "the TIR rollout generates with model.generate; set train.use_vllm=false")


# ------------------------------------------------------------------------------------ data
def prompt_rows(cfg, template: str):
    """Training prompts: {prompt, answer} from data= rows with `problem` and a gold answer (`answer`, or the
    last \\boxed{} of `solution`); rows without a gold answer cannot be rewarded and are dropped."""
    from datasets import Dataset

    from ..data.load import load_raw
    from ..grading import extract_answer
    from ..models.chat_template import render_prompt

    raw = load_raw(cfg)[cfg.data.train_split]
    rows = []
    for r in raw:
        problem = r.get("problem") or _first_user(r.get("messages"))
        gold = r.get("answer") or extract_answer(r.get("solution") or "", "boxed")
        if problem and gold is not None:
            rows.append({"prompt": render_prompt(problem, template), "answer": str(gold)})
    if not rows:
        raise ValueError(f"data={cfg.data.name}: no row has a problem and a gold answer (answer, or \\boxed{{}} in solution)")
    ds = Dataset.from_list(rows).shuffle(seed=cfg.data.shuffle_seed)
    if cfg.data.max_rows is not None and len(ds) > cfg.data.max_rows:
        ds = ds.select(range(cfg.data.max_rows))
    log.info("rl: %d prompts with gold answers from data=%s", len(ds), cfg.data.name)
    return ds


def _first_user(messages):
    for m in messages or []:
        if m.get("role") == "user":
            return m.get("content")
    return None


# ------------------------------------------------------------------------------------ TRL arguments
def rl_kwargs(cfg, run_dir, spec: RLSpec, world: int = 1, cpu: bool = False, bf16_ok: bool = True) -> dict:
    """The TRL argument class's keyword arguments: the TrainBase keys as for every trainer, then what
    every RL trainer shares, then the spec's own (a pure function)."""
    from .args import common_kwargs

    t = cfg.train
    kwargs = common_kwargs(cfg, run_dir, world=world, cpu=cpu, bf16_ok=bf16_ok)
    kwargs.update(
        num_generations=t.num_generations, max_completion_length=t.max_completion_length,
        temperature=t.temperature, top_p=t.top_p, beta=t.beta,
        reward_weights=[float(w) for w in t.reward_weights.values()],
        use_vllm=t.use_vllm, vllm_mode=t.vllm_mode.value, vllm_gpu_memory_utilization=t.vllm_gpu_memory_utilization,
        log_completions=t.log_completions,
    )
    kwargs.update(spec.own_kwargs(t))
    return kwargs


# ------------------------------------------------------------------------------------ trainer
def build(cfg, ctx: dict, spec: RLSpec):
    """Prompts -> rewards -> TRL arguments -> model -> trainer, from the shared plumbing's context
    (numina_exp.train.trl_run: run_dir, source, tokenizer, cpu, bf16_ok, world, model_kwargs).
    Returns (trainer, info); info["metrics"] is filled when training ends (reward quarters, sandbox
    statuses, time shares) and the sandbox is closed then."""
    import trl

    from .common import peft_config
    from .rewards import CodeRewards, timed
    from .tir_rollout import TIRRollout
    from .trl_run import load_model

    t = cfg.train
    tokenizer = ctx["tokenizer"]
    train_ds = prompt_rows(cfg, cfg.model.chat_template)
    lengths = [len(tokenizer(p)["input_ids"]) for p in train_ds["prompt"]]
    keep = [i for i, n in enumerate(lengths) if n <= t.max_prompt_tokens]
    if len(keep) < len(train_ds):
        log.info("rl: %d prompts over train.max_prompt_tokens=%d dropped", len(train_ds) - len(keep), t.max_prompt_tokens)
        train_ds = train_ds.select(keep)

    sandbox = _sandbox_dict(cfg)
    rewards = CodeRewards(dict(t.reward_weights), sandbox=sandbox, answer_kind=t.answer_kind.value,
                          grade_timeout_s=float(sandbox.get("timeout_s", 5.0)))
    config_cls, trainer_cls = getattr(trl, spec.trl_config), timed(getattr(trl, spec.trl_trainer), rewards)
    args = config_cls(**rl_kwargs(cfg, ctx["run_dir"], spec, world=ctx["world"], cpu=ctx["cpu"], bf16_ok=ctx["bf16_ok"]))
    extra = {}
    if t.rollout == Rollout.tir:
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
        extra["rollout_func"] = TIRRollout(rewards, tokenizer, t.max_tool_steps, t.tool_step_tokens,
                                           t.max_completion_length, t.temperature, t.top_p)
    # The reference model (beta > 0) is re-loaded from the policy's _name_or_path: a directory or hub id.
    trainer = trainer_cls(model=load_model(ctx), reward_funcs=rewards.functions(), args=args, train_dataset=train_ds,
                          processing_class=tokenizer, peft_config=peft_config(t.peft), **extra)
    metrics: dict = {}
    trainer.add_callback(_finish(trainer, rewards, metrics))
    return trainer, {"metrics": metrics}


def _finish(trainer, rewards, metrics: dict):
    """A TrainerCallback: at the end of training the RL numbers go into info["metrics"] (which the
    plumbing writes to train_metrics.json) and the sandbox closes."""
    import time

    from transformers import TrainerCallback

    class Finish(TrainerCallback):
        t0 = 0.0

        def on_train_begin(self, args, state, control, **kw):
            self.t0 = time.time()

        def on_train_end(self, args, state, control, **kw):
            metrics.update(rl_metrics(trainer, rewards, time.time() - self.t0))
            rewards.close()

    return Finish()


def _sandbox_dict(cfg) -> dict:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(cfg.sandbox, resolve=True) if not isinstance(cfg.sandbox, dict) else dict(cfg.sandbox)


# ------------------------------------------------------------------------------------ results
def reward_quarters(log_history: list[dict], key: str = "reward") -> dict:
    """Mean `key` over the first and the last quarter of the logged steps (the learning check)."""
    points = [(h["step"], h[key]) for h in log_history if key in h and "step" in h]
    if not points:
        return {"steps": 0, "first_quarter": None, "last_quarter": None}
    q = max(len(points) // 4, 1)
    first = [v for _, v in points[:q]]
    last = [v for _, v in points[-q:]]
    return {"steps": len(points), "first_quarter": sum(first) / len(first), "last_quarter": sum(last) / len(last)}


def rl_metrics(trainer, rewards, train_seconds: float) -> dict:
    """What an RL run adds to train_metrics.json: per-function quarters, sandbox statuses, time shares."""
    hist = trainer.state.log_history
    per_fn = {n: reward_quarters(hist, f"rewards/{n}/mean") for n in rewards.names}
    return {"reward": reward_quarters(hist, "reward"), "rewards": per_fn, **rewards.summary(train_seconds),
            "kl": [h["kl"] for h in hist if "kl" in h]}
