"""Bad merge input fails with an error naming the config key, before any tensor is read: the inputs
here carry a garbage weights file, so anything that loaded tensors would fail differently."""
from __future__ import annotations

import json
import shutil

import pytest

from numina_exp.merge import InputError, MergeRequest, merge


@pytest.fixture()
def garbage_twin(twins, tmp_path):
    """A copy of twin `a`'s config.json (edited by the test) over an unreadable weights file."""
    def make(name, **config_changes):
        d = tmp_path / name
        d.mkdir()
        cfg = json.loads((twins["a"] / "config.json").read_text())
        cfg.update(config_changes)
        (d / "config.json").write_text(json.dumps(cfg))
        (d / "model.safetensors").write_bytes(b"not a tensor file")
        return str(d)
    return make


def _fails(tmp_path, key, words, **kw):
    with pytest.raises(InputError) as err:
        merge(MergeRequest(**kw), tmp_path / "out" / "final", run_dir=tmp_path / "out")
    assert err.value.key == key, err.value
    for w in words:
        assert w in str(err.value), str(err.value)
    assert not (tmp_path / "out" / "final").exists()
    return err.value


def test_mismatched_architectures(twins, tmp_path, garbage_twin):
    mixtral = garbage_twin("mixtral", architectures=["MixtralForCausalLM"], model_type="mixtral", num_local_experts=4)
    _fails(tmp_path, "merge.models[1]", ["MixtralForCausalLM", "LlamaForCausalLM", "one architecture"],
           method="ties", models=[str(twins["a"]), mixtral], base_model=str(twins["base"]))
    wider = garbage_twin("wider", hidden_size=256)
    _fails(tmp_path, "merge.models[1]", ["hidden_size"], method="linear", models=[str(twins["a"]), wider])
    # the base model is checked too
    _fails(tmp_path, "merge.base_model", ["vocab_size"], method="ties", models=[str(twins["a"]), str(twins["b"])],
           base_model=garbage_twin("vocab", vocab_size=99))


def test_weights_must_match_the_model_list(twins, tmp_path):
    _fails(tmp_path, "merge.weights", ["3 weights for 2 models"], method="linear",
           models=[str(twins["a"]), str(twins["b"])], weights=[0.2, 0.3, 0.5])
    _fails(tmp_path, "merge.weights", ["merge.t"], method="slerp", models=[str(twins["a"]), str(twins["b"])], weights=[0.5, 0.5])


@pytest.mark.parametrize("method", ["task_arithmetic", "ties", "dare_ties", "dare_linear", "warp"])
def test_task_vector_methods_need_a_base_model(twins, tmp_path, method):
    _fails(tmp_path, "merge.base_model", ["task vectors", "set merge.base_model"], method=method,
           models=[str(twins["a"]), str(twins["b"])])


def test_unknown_references_and_quantized_inputs(twins, tmp_path, garbage_twin):
    _fails(tmp_path, "merge.models[1]", ["not an existing directory"], method="linear",
           models=[str(twins["a"]), "no_such_stage"])
    empty = tmp_path / "empty_run"
    empty.mkdir()
    _fails(tmp_path, "merge.models[0]", ["no config.json"], method="linear", models=[str(empty), str(twins["a"])])
    gptq = garbage_twin("gptq", quantization_config={"quant_method": "gptq", "bits": 8})
    _fails(tmp_path, "merge.models[1]", ["quantized", "quantize after merging"], method="linear",
           models=[str(twins["a"]), gptq])


def test_a_pipeline_stage_name_resolves_to_that_stage_final(twins, tmp_path):
    pipeline = tmp_path / "pipe"
    for i, name in enumerate(["stage2_tir", "kto"]):
        shutil.copytree(twins["ab"[i]], pipeline / f"{i}_{name}" / "final")
    out = pipeline / "2_merge"
    lineage = merge(MergeRequest(method="linear", models=["stage2_tir", "kto"], dtype="float32"), out / "final", run_dir=out)
    assert [(i["resolved_as"], i["path"]) for i in lineage["inputs"]] == [
        ("stage", str(pipeline / "0_stage2_tir" / "final")), ("stage", str(pipeline / "1_kto" / "final"))]


@pytest.mark.parametrize("changes,key,words", [
    ({"method": "slerp", "models": ["a", "b", "c"]}, "merge.models", "exactly two"),
    ({"method": "linear", "models": ["a"]}, "merge.models", "at least two"),
    ({"method": "ties", "base_model": "c", "density": 1.5}, "merge.density", "(0, 1]"),
    ({"method": "warp", "base_model": "c", "eta": -0.1}, "merge.eta", "[0, 1]"),
    ({"method": "slerp", "base_model": "c"}, "merge.base_model", "unset merge.base_model"),
    ({"method": "ties", "base_model": "a"}, "merge.base_model", "also listed"),
    ({"method": "linear", "models": ["a", "a"]}, "merge.models", "twice"),
])
def test_request_checks_need_no_files(changes, key, words):
    from numina_exp.merge import check_request

    req = MergeRequest(**{"method": "linear", "models": ["a", "b"], **changes})
    with pytest.raises(InputError) as err:
        check_request(req)
    assert err.value.key == key and words in str(err.value), str(err.value)
