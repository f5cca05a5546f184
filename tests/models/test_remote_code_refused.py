"""Model directories are data (issue 23, class 7): a model directory whose config names python code
(auto_map) is refused with a ConfigError at model.trust_remote_code by every method that loads one -
merge, quantize, evaluate, training init - and its code never runs (the marker file never appears).

Two places per method: the CLI (validation refuses a directory given on the command line) and the
method's run itself (a pipeline stage's input exists only once the earlier stage wrote it, so it is
checked where it is loaded). gptqmodel 7.6 imports an auto_map module even with trust_remote_code=False:
quantize_model must refuse before gptqmodel sees the directory."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from helpers import compose_cfg, run_cli
from hostile_model import make_hostile

from numina_exp.core.errors import ConfigError


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    os.environ["NUMINA_EXP_CACHE"] = str(cache)
    from numina_exp.models.tiny import materialize_tiny

    return Path(materialize_tiny(compose_cfg(["model=tiny_llama"]).model))


@pytest.fixture
def hostile(plain, tmp_path):
    marker = tmp_path / "MARKER_code_ran"
    return make_hostile(plain, tmp_path / "hostile_model", marker), marker


def _refused(text: str, marker: Path) -> None:
    assert "model.trust_remote_code" in text and "auto_map" in text, text[-3000:]
    assert not marker.exists(), "the model directory's code ran"


# --- the CLI: refused at validation, before anything loads ---------------------------------------

def _cli(hostile_dir: Path, plain: Path) -> dict:
    return {
        "merge": ["method=merge", "merge.method=linear", f"merge.models=[{plain},{hostile_dir}]", "merge.dtype=float32"],
        "quantize": ["experiment=gptq8", "scale=cpu", f"model.path={hostile_dir}"],
        "evaluate": ["+experiment=eval_math_cot_greedy", "scale=cpu", "backend=hf", f"model.path={hostile_dir}"],
        "training_init": ["experiment=stage2_tir", "scale=cpu", f"train.init_from={hostile_dir}"],
    }


@pytest.mark.parametrize("method", ["merge", "quantize", "evaluate", "training_init"])
def test_cli_refuses_a_model_dir_that_ships_code(method, hostile, plain, tmp_path):
    hostile_dir, marker = hostile
    start = time.monotonic()
    proc = run_cli([*_cli(hostile_dir, plain)[method], f"hydra.run.dir={tmp_path / 'run'}"], timeout=120)
    assert proc.returncode == 2, (proc.stdout + proc.stderr)[-3000:]
    _refused(proc.stderr, marker)
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "run" / "resolved_config.yaml").exists()  # refused by validation: no run started
    assert time.monotonic() - start < 30  # before any model loads


# --- the methods' run: inputs that appear only at run time (pipeline stages) ---------------------

def _cfg(overrides: list[str]):
    from omegaconf import open_dict

    from numina_exp.config.scaling import apply_scale

    cfg = compose_cfg(overrides)
    with open_dict(cfg):
        apply_scale(cfg)
    return cfg


def test_quantize_run_refuses_before_gptqmodel_sees_the_dir(hostile, tmp_path):
    from numina_exp.methods.quantize import run

    hostile_dir, marker = hostile
    cfg = _cfg(["experiment=gptq8", "scale=cpu", f"model.path={hostile_dir}"])
    with pytest.raises(ConfigError) as err:
        run(cfg, tmp_path / "run")
    assert err.value.key == "model.trust_remote_code"
    _refused(str(err.value), marker)


def test_gptqmodel_would_import_it_so_quantize_model_refuses(hostile, tmp_path):
    """The library-level guard: gptqmodel's loader imports auto_map modules with trust_remote_code=False."""
    from numina_exp.quantize import GPTQSettings, quantize_model

    hostile_dir, marker = hostile
    rows = [{"input_ids": list(range(1, 40)), "attention_mask": [1] * 39}] * 2
    try:
        quantize_model(str(hostile_dir), tmp_path / "final", rows, GPTQSettings(group_size=32), device="cpu")
        raised = None
    except ConfigError as err:
        raised = err
    assert not marker.exists(), "gptqmodel imported the directory's auto_map module"
    assert raised is not None and raised.key == "model.trust_remote_code"
    _refused(str(raised), marker)


def test_merge_run_refuses_a_stage_output_that_ships_code(hostile, plain, tmp_path):
    """A pipeline stage's output (a sibling <i>_<name>/final) named by stage name."""
    from numina_exp.methods.merge import run

    hostile_dir, marker = hostile
    pipeline = tmp_path / "pipe"
    (pipeline / "0_kto").mkdir(parents=True)
    (pipeline / "0_kto" / "final").symlink_to(hostile_dir, target_is_directory=True)
    cfg = _cfg(["method=merge", "merge.method=linear", f"merge.models=[{plain},kto]", "merge.dtype=float32"])
    with pytest.raises(ConfigError) as err:
        run(cfg, pipeline / "1_merge")
    assert err.value.key == "model.trust_remote_code" and "merge.models[1]" in str(err.value)
    _refused(str(err.value), marker)
    assert not (pipeline / "1_merge" / "final").exists()


def test_evaluate_backends_refuse_model_path_that_ships_code(hostile):
    from numina_exp.generate.hf import HFBackend

    hostile_dir, marker = hostile
    cfg = _cfg(["experiment=eval_math_cot_greedy", "scale=cpu", "backend=hf", f"model.path={hostile_dir}"])
    with pytest.raises(ConfigError) as err:
        HFBackend(cfg)
    _refused(str(err.value), marker)


def test_training_init_refuses_init_from_that_ships_code(hostile, tmp_path):
    from numina_exp.train.trl_run import make_context

    hostile_dir, marker = hostile
    cfg = _cfg(["experiment=stage2_tir", "scale=cpu", f"train.init_from={hostile_dir}"])
    with pytest.raises(ConfigError) as err:
        make_context(cfg, tmp_path)
    _refused(str(err.value), marker)


def test_tokenizer_config_auto_map_is_code_too(plain, tmp_path):
    from numina_exp.models.load import load_tokenizer

    marker = tmp_path / "MARKER"
    d = make_hostile(plain, tmp_path / "tok_hostile", marker, where="tokenizer_config.json")
    cfg = _cfg(["model=tiny_llama", "scale=cpu"])
    with pytest.raises(ConfigError) as err:
        load_tokenizer(cfg, str(d))
    _refused(str(err.value), marker)


def test_plain_directories_and_trusted_ones_pass(plain, hostile):
    from numina_exp.models.trust import refuse_remote_code, remote_code

    hostile_dir, marker = hostile
    assert remote_code(plain) == []
    refuse_remote_code(plain, "model.path", trusted=False)
    refuse_remote_code(hostile_dir, "model.path", trusted=True)  # the user said so
    found = remote_code(hostile_dir)
    assert len(found) == 1 and "evil.EvilForCausalLM" in found[0]
    assert json.loads((hostile_dir / "config.json").read_text())["model_type"] == "llama"
    assert not marker.exists()
