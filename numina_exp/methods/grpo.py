"""method=grpo: GRPO on TRL's GRPOTrainer, rewarded by executing the model's code.

Beside RLOO with the same keys (numina_exp.train.rl, which this module hands its RLSpec); what only
GRPO offers is train.rollout=tir: the completions are SC-TIR trajectories (generate to ```output ->
execute in the sandbox -> feed the output back -> continue, up to train.max_tool_steps rounds;
numina_exp.train.tir_rollout), the sandbox output masked out of the loss."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..core.registry import Method
from ..train.rl import RLSpec
from ..train.rl_config import RL_SCALE_CAPS, RLTrainBase


class LossType(StrEnum):  # TRL GRPOConfig.loss_type
    grpo = "grpo"
    dapo = "dapo"
    dr_grpo = "dr_grpo"
    bnpo = "bnpo"


class ScaleRewards(StrEnum):  # the std GRPO divides advantages by
    group = "group"
    batch = "batch"
    none = "none"


@dataclass
class GRPOTrain(RLTrainBase):
    beta: float = 0.0  # TRL's GRPO default: no KL term (and no reference model)
    loss_type: LossType = LossType.dapo
    scale_rewards: ScaleRewards = ScaleRewards.group


SPEC = RLSpec(method="grpo", trl_config="GRPOConfig", trl_trainer="GRPOTrainer",
              own_kwargs=lambda t: {"loss_type": t.loss_type.value, "scale_rewards": t.scale_rewards.value},
              tir_rollouts=True)  # GRPOTrainer takes rollout_func (TRL 1.16)


def validate(cfg) -> None:
    from ..train.rl import check
    check(cfg, SPEC)


def build(cfg, ctx):
    from ..train.rl import build as build_rl
    return build_rl(cfg, ctx, SPEC)


def run(cfg, run_dir):
    from ..report.rl_curves import announce
    from ..train.trl_run import run_trainer

    return announce(cfg, run_dir, run_trainer(cfg, run_dir, build))


METHOD = Method(
    name="grpo", run=run, validate=validate, train_schema=GRPOTrain, launched=True,
    needs=("model", "data", "train"),
    consumes={"model": "train.init_from"}, produces={"model": "final"}, scale_caps=RL_SCALE_CAPS,
    doc="GRPO (TRL GRPOTrainer) with code-execution rewards; train.rollout=tir runs SC-TIR rollouts",
)
