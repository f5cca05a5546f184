"""On a dense toy reward (the share of digits in a completion) the random tiny twin learns: the mean
reward of the last quarter of steps exceeds the first quarter's, for GRPO and for RLOO. The same runs'
log lines carry our step-time shares and sandbox status shares (`executes` at weight 0 scores every
completion through the sandbox path without changing the shaped reward)."""
import pytest
from rl_helpers import check_step_lines, rl_cfg

from numina_exp.core.registry import method as declared

TOY = {"max_steps": 16, "global_batch_size": 8, "per_device_batch_size": 8, "num_generations": 4,
       "max_completion_length": 16, "learning_rate": 1.0e-2, "activation_checkpointing": False,
       "reward_weights": {"toy_digits": 1.0, "executes": 0.0}, "save_steps": 1000, "beta": 0.0}


def _learns(method: str, tmp_path):
    m = declared(method).run(rl_cfg(method, TOY), tmp_path / method)
    q = m["reward"]
    assert q["steps"] == TOY["max_steps"]
    assert q["last_quarter"] > q["first_quarter"], q
    # toy_digits at weight 1, executes at 0: the shaped reward is toy_digits (up to float32 rounding of the sum)
    assert m["rewards"]["toy_digits"] == pytest.approx(q, rel=1e-6)
    assert (tmp_path / method / "final" / "config.json").exists()
    assert (tmp_path / method / "rl_curves.png").exists()
    lines = check_step_lines(m["log_history"], sandbox=True)
    assert sum(m["sandbox_statuses"].values()) == TOY["max_steps"] * TOY["global_batch_size"]
    # the random twin writes no closed python block: every batch is all no_code, in every line
    assert all(h["sandbox/no_code"] == 1.0 for h in lines), lines


@pytest.mark.timeout(300)
def test_grpo_learns_a_dense_toy_reward(tmp_path):
    _learns("grpo", tmp_path)


def test_rloo_learns_a_dense_toy_reward(tmp_path):
    _learns("rloo", tmp_path)
