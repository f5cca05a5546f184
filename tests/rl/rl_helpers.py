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


STATUSES = ("sandbox/ok", "sandbox/error", "sandbox/timeout", "sandbox/no_code")
TIMES = ("time/reward_share", "time/exec_share", "time/step_s")


def check_step_lines(log_history: list[dict], sandbox: bool) -> list[dict]:
    """Every training log line (the ones with TRL's `reward`) carries our per-step numbers: the step-time
    shares and, when a reward function executes code, the sandbox status shares of the scored batches.
    Returns those lines."""
    lines = [h for h in log_history if "reward" in h]
    assert lines, log_history
    for h in lines:
        assert all(k in h for k in TIMES), sorted(h)
        assert 0.0 <= h["time/reward_share"] <= 1.0 and 0.0 <= h["time/exec_share"] <= h["time/reward_share"], h
        assert h["time/step_s"] > 0.0, h
        if sandbox:
            assert all(k in h for k in STATUSES), sorted(h)
            assert abs(sum(v for k, v in h.items() if k.startswith("sandbox/")) - 1.0) < 1e-6, h  # shares of a batch
        else:
            assert not any(k.startswith("sandbox/") for k in h), h
    assert any(h["time/reward_share"] > 0.0 for h in lines), lines  # the rewards' time was measured
    return lines
