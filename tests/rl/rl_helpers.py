"""RL test helpers (importable as `rl_helpers`): the composed config of an RL run at scale=cpu (the
real config tree, as the entrypoint composes it) and a toy dense reward a random tiny twin can learn
within a few dozen steps."""
from __future__ import annotations

from helpers import compose_cfg
from omegaconf import OmegaConf

from numina_exp.config.scaling import apply_scale
from numina_exp.train.rewards import register_reward

DIGITS = set("0123456789")


@register_reward("toy_digits")
def toy_digits(scored, _r):
    """Dense toy reward: the share of a completion's characters that are digits."""
    return [sum(ch in DIGITS for ch in t) / max(len(t), 1) for t in scored.texts]


def rl_cfg(method: str, train: dict | None = None, overrides: list[str] | None = None):
    """method=rloo|grpo on the RL data at scale=cpu; `train` values are set after scaling (as a test wants them)."""
    cfg = compose_cfg([f"method={method}", "model=deepseek_math_7b_rl", "data=numina_tir", "scale=cpu", *(overrides or [])])
    apply_scale(cfg)
    for k, v in (train or {}).items():
        OmegaConf.update(cfg.train, k, v, merge=False)
    return cfg
