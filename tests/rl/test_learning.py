"""On a dense toy reward (the share of digits in a completion) the random tiny twin learns: the mean
reward of the last quarter of steps exceeds the first quarter's, for GRPO and for RLOO."""
import pytest
from rl_helpers import rl_cfg

from numina_exp.core.registry import method as declared

TOY = {"max_steps": 16, "global_batch_size": 8, "per_device_batch_size": 8, "num_generations": 4,
       "max_completion_length": 16, "learning_rate": 1.0e-2, "activation_checkpointing": False,
       "reward_weights": {"toy_digits": 1.0}, "save_steps": 1000, "beta": 0.0}


def _learns(method: str, tmp_path):
    m = declared(method).run(rl_cfg(method, TOY), tmp_path / method)
    q = m["reward"]
    assert q["steps"] == TOY["max_steps"]
    assert q["last_quarter"] > q["first_quarter"], q
    assert m["rewards"]["toy_digits"] == q  # one function with weight 1: the shaped reward is that function
    assert (tmp_path / method / "final" / "config.json").exists()
    assert (tmp_path / method / "rl_curves.png").exists()


@pytest.mark.timeout(300)
def test_grpo_learns_a_dense_toy_reward(tmp_path):
    _learns("grpo", tmp_path)


@pytest.mark.slow
def test_rloo_learns_a_dense_toy_reward(tmp_path):
    _learns("rloo", tmp_path)
