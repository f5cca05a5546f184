"""Each RL method hands the shared plumbing its own TRL classes and arguments (train.rl.RLSpec): the keys
only one trainer has reach that trainer's TRL config, and never the other's."""
import trl
from helpers import compose_cfg

from numina_exp.methods import grpo, rloo
from numina_exp.train.rl import rl_kwargs


def test_grpo_passes_its_own_arguments_to_grpoconfig(tmp_path):
    cfg = compose_cfg(["experiment=grpo_tir", "train.loss_type=bnpo", "train.scale_rewards=batch"])
    kwargs = rl_kwargs(cfg, tmp_path, grpo.SPEC, cpu=True, bf16_ok=False)
    args = getattr(trl, grpo.SPEC.trl_config)(**kwargs)
    assert (args.loss_type, args.scale_rewards) == ("bnpo", "batch")
    assert "normalize_advantages" not in kwargs


def test_rloo_passes_its_own_arguments_to_rlooconfig(tmp_path):
    cfg = compose_cfg(["experiment=rloo_from_rl", "train.normalize_advantages=true", "train.num_generations=8"])
    kwargs = rl_kwargs(cfg, tmp_path, rloo.SPEC, cpu=True, bf16_ok=False)
    args = getattr(trl, rloo.SPEC.trl_config)(**kwargs)
    assert args.normalize_advantages is True and args.num_generations == 8
    assert "loss_type" not in kwargs and "scale_rewards" not in kwargs
