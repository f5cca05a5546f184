"""Every experiment file composes and validates at each scale; the schema is what the CLI uses."""
import pytest
from helpers import compose_cfg, experiment_names
from omegaconf import OmegaConf

from numina_exp.config.scaling import apply_scale
from numina_exp.core.registry import methods
from numina_exp.methods._validate import validate


def test_experiments_are_found():
    names = experiment_names()
    assert {"stage1_cot", "stage2_tir", "demo"} <= set(names)


@pytest.mark.parametrize("scale", ["full", "cpu"])
@pytest.mark.parametrize("experiment", experiment_names())
def test_every_experiment_composes_and_validates(experiment, scale):
    cfg = compose_cfg([f"experiment={experiment}", f"scale={scale}"])
    apply_scale(cfg)
    validate(cfg)
    assert cfg.method.name in methods()
    assert cfg.experiment_name != "default", f"{experiment} should name itself (experiment_name)"
    # fully resolvable: no dangling interpolation or missing mandatory value
    OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)


def test_cpu_scale_changes_only_sizes_and_says_so():
    full = compose_cfg(["experiment=stage1_cot", "scale=full"])
    cpu = compose_cfg(["experiment=stage1_cot", "scale=cpu"])
    changes = apply_scale(cpu)
    assert apply_scale(full) == []
    assert any(c.startswith("model:") for c in changes) and any(c.startswith("train.max_steps") for c in changes)
    # the recipe's values are untouched: only caps and twins differ
    assert cpu.train.learning_rate == full.train.learning_rate == 2e-5
    assert cpu.train.block_size == full.train.block_size
    assert cpu.model.hub_id == full.model.hub_id


def test_experiment_states_only_differences():
    base = compose_cfg([])
    exp = compose_cfg(["experiment=stage2_tir"])
    assert exp.model.name != base.model.name and exp.data.name == "numina_tir"
    assert exp.sandbox == base.sandbox  # untouched groups stay at their defaults
