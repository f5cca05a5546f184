"""method=rloo: REINFORCE leave-one-out on TRL's RLOOTrainer, rewarded by executing the model's code.

The write-up's RL ablation: DeepSeekMath-7B-RL (or an SFT run) sampled k times per problem; rewards
for writing a python block, for the block running, and for a correct final answer, shaped by
train.reward_weights. Single-turn rollouts only (RLOOTrainer has no rollout hook in TRL 1.16; the
rewards execute each completion's last block). Everything shared with the other RL methods is
numina_exp.train.rl, which this module hands its RLSpec."""
from __future__ import annotations

from dataclasses import dataclass

from ..core.registry import Method
from ..train.rl import RLSpec
from ..train.rl_config import RL_SCALE_CAPS, RLTrainBase


@dataclass
class RLOOTrain(RLTrainBase):
    normalize_advantages: bool = False  # RLOO's leave-one-out advantages, optionally scaled to unit std


SPEC = RLSpec(method="rloo", trl_config="RLOOConfig", trl_trainer="RLOOTrainer",
              own_kwargs=lambda t: {"normalize_advantages": t.normalize_advantages}, tir_rollouts=False)


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
    name="rloo", run=run, validate=validate, train_schema=RLOOTrain, launched=True,
    needs=("model", "data", "train"),
    consumes={"model": "train.init_from"}, produces={"model": "final"}, scale_caps=RL_SCALE_CAPS,
    doc="RLOO (TRL RLOOTrainer) with code-execution rewards: code_block, executes, correct (weighted)",
)
