"""merge/plan.py as a table: every check of check_request on both sides of its boundary (the key it names,
its words, its fix), inputs_dtype's choice and refusals, and the exact mergekit configuration build_plan
writes for each method. The math tests (test_merge_math.py) show that the configurations merge what they
should; these show that a request reaches the configuration unchanged, and a bad one never does."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from numina_exp.merge.inputs import InputError, ModelInput
from numina_exp.merge.plan import MergeMethod, MergeRequest, build_plan, check_request, inputs_dtype


def _req(**changes) -> MergeRequest:
    return MergeRequest(**{"method": "linear", "models": ["a", "b"], **changes})


def _refused(req: MergeRequest) -> InputError:
    with pytest.raises(InputError) as err:
        check_request(req)
    return err.value


@pytest.mark.parametrize("changes", [
    {},
    {"weights": [0.3, 0.7]},
    {"method": "linear", "models": ["a", "b", "c"], "weights": [1, 2, 3]},
    {"method": "slerp", "t": 0.0}, {"method": "slerp", "t": 1.0},
    {"method": "task_arithmetic", "base_model": "c"},
    {"method": "ties", "base_model": "c", "density": 1.0},
    {"method": "dare_ties", "base_model": "c", "density": 1e-6},
    {"method": "dare_linear", "base_model": "c"},
    {"method": "warp", "base_model": "c", "eta": 0.0}, {"method": "warp", "base_model": "c", "eta": 1.0},
    {"density": 0.0},  # linear does not sparsify: merge.density is not read, so not checked
    {"dtype": "auto"}, {"dtype": "float32"}, {"dtype": "bfloat16"}, {"dtype": "float16"},
    {"method": MergeMethod.ties, "base_model": "c"},  # the enum itself, as methods/merge.py may pass it
])
def test_valid_requests_pass(changes):
    check_request(_req(**changes))


MODELS_FIX = "list the models to merge: merge.models=[A,B]"
TWO_FIX = "give two models (for more, merge pairwise in a pipeline)"
BASE_FIX = "set merge.base_model to the model the inputs were fine-tuned from"
NO_BASE_FIX = "unset merge.base_model (merge.base_model=null)"
TV = "merges task vectors (model - base) and needs the base"


@pytest.mark.parametrize("changes,key,problem,fix", [
    ({"method": "average"}, "merge.method", "unknown method 'average'",
     "use one of ['linear', 'slerp', 'task_arithmetic', 'ties', 'dare_ties', 'dare_linear', 'warp']"),
    ({"models": ["a"]}, "merge.models", "needs at least two models, got 1", MODELS_FIX),
    ({"models": []}, "merge.models", "needs at least two models, got 0", MODELS_FIX),
    ({"method": "slerp", "models": ["a", "b", "c"]}, "merge.models", "slerp merges exactly two models, got 3", TWO_FIX),
    ({"method": "warp", "base_model": "z", "models": ["a", "b", "c"]}, "merge.models",
     "warp merges exactly two models, got 3", TWO_FIX),
    ({"models": ["a", "b", "a"]}, "merge.models", "lists the same model twice",
     "list each model once and weight it with merge.weights"),
    ({"method": "slerp", "weights": [0.5, 0.5]}, "merge.weights", "slerp is weighted by merge.t, not merge.weights",
     "unset merge.weights (merge.weights=[]) and set merge.t"),
    ({"weights": [1.0]}, "merge.weights", "1 weights for 2 models",
     "give one weight per model in merge.models (2), or none for equal weights"),
    ({"weights": [1.0, float("nan")]}, "merge.weights", "non-finite weight in [1.0, nan]", "use finite numbers"),
    ({"weights": [float("inf"), 1.0]}, "merge.weights", "non-finite weight in [inf, 1.0]", "use finite numbers"),
    ({"method": "task_arithmetic"}, "merge.base_model", f"task_arithmetic {TV}", BASE_FIX),
    ({"method": "dare_linear"}, "merge.base_model", f"dare_linear {TV}", BASE_FIX),
    ({"method": "warp"}, "merge.base_model", f"warp {TV}", BASE_FIX),
    ({"base_model": "c"}, "merge.base_model", "linear uses no base model", NO_BASE_FIX),
    ({"method": "slerp", "base_model": "c"}, "merge.base_model", "slerp interpolates merge.models[0] -> merge.models[1]",
     NO_BASE_FIX),
    ({"method": "ties", "base_model": "b"}, "merge.base_model", "is also listed in merge.models",
     "list only the fine-tunes in merge.models"),
    ({"method": "ties", "base_model": "c", "density": 0.0}, "merge.density", "must be in (0, 1], got 0.0",
     "e.g. merge.density=0.5"),
    ({"method": "dare_ties", "base_model": "c", "density": 1.0001}, "merge.density", "must be in (0, 1], got 1.0001",
     "e.g. merge.density=0.5"),
    ({"t": -0.01}, "merge.t", "must be in [0, 1], got -0.01", "e.g. merge.t=0.5"),
    ({"t": 1.01}, "merge.t", "must be in [0, 1], got 1.01", "e.g. merge.t=0.5"),
    ({"eta": -0.01}, "merge.eta", "must be in [0, 1], got -0.01", "e.g. merge.eta=0.5"),
    ({"eta": 1.5}, "merge.eta", "must be in [0, 1], got 1.5", "e.g. merge.eta=0.5"),
    ({"dtype": "fp8"}, "merge.dtype", "unknown dtype 'fp8'", "use one of ['auto', 'float32', 'bfloat16', 'float16']"),
])
def test_each_bad_request_names_its_key_problem_and_fix(changes, key, problem, fix):
    err = _refused(_req(**changes))
    assert (err.key, err.problem, err.fix) == (key, problem, fix)
    assert str(err) == f"config error at `{key}`: {problem}\n  fix: {fix}"


def _model(tmp_path: Path, name: str, config: dict | None) -> ModelInput:
    d = tmp_path / name
    d.mkdir()
    if config is not None:
        (d / "config.json").write_text(json.dumps(config))
    return ModelInput(ref=name, path=str(d), kind="model_dir")


def test_inputs_dtype_reads_dtype_then_torch_dtype_then_defaults_to_float32(tmp_path):
    assert inputs_dtype([_model(tmp_path, "a", {"dtype": "bfloat16"}),
                         _model(tmp_path, "b", {"torch_dtype": "bfloat16"})]) == "bfloat16"
    # `dtype` wins over the older `torch_dtype` when both are written
    assert inputs_dtype([_model(tmp_path, "c", {"dtype": "float16", "torch_dtype": "float32"})]) == "float16"
    assert inputs_dtype([_model(tmp_path, "d", {}), _model(tmp_path, "e", {"dtype": None})]) == "float32"


def test_inputs_dtype_refuses_disagreeing_and_unwritable_dtypes(tmp_path):
    a, b = _model(tmp_path, "a", {"dtype": "float32"}), _model(tmp_path, "b", {"dtype": "bfloat16"})
    with pytest.raises(InputError) as err:
        inputs_dtype([a, b])
    assert err.value.key == "merge.dtype"
    assert f"({a.ref}: float32, {b.ref}: bfloat16)" in err.value.problem
    assert "merge.dtype=float32" in err.value.fix and "'bfloat16'" in err.value.fix
    with pytest.raises(InputError) as err:
        inputs_dtype([_model(tmp_path, "c", {"dtype": "int8"}), _model(tmp_path, "d", {"dtype": "int8"})])
    assert err.value.key == "merge.dtype" and "stored in int8, which mergekit does not write" in err.value.problem
    assert "['float32', 'bfloat16', 'float16']" in err.value.fix


A, B, BASE = ModelInput("a", "/m/a", "model_dir"), ModelInput("b", "/m/b", "model_dir"), ModelInput("z", "/m/z", "hub")


def _plan(tmp_path, **req):
    return build_plan(MergeRequest(**{"models": ["a", "b"], "dtype": "float32", **req}), [A, B], BASE,
                      tmp_path / "out", tmp_path / "work")


def test_linear_and_its_equal_default_weights(tmp_path):
    [step] = _plan(tmp_path, method="linear", weights=[0.25, 0.75])
    assert (step.name, step.out_dir) == ("linear", tmp_path / "out")
    assert step.config == {"merge_method": "linear", "dtype": "float32",
                           "models": [{"model": "/m/a", "parameters": {"weight": 0.25}},
                                      {"model": "/m/b", "parameters": {"weight": 0.75}}]}
    [step] = _plan(tmp_path, method="linear")
    assert [m["parameters"]["weight"] for m in step.config["models"]] == [0.5, 0.5]


@pytest.mark.parametrize("method", ["ties", "dare_ties", "dare_linear"])
def test_sparsifying_methods_carry_density_and_the_base(tmp_path, method):
    [step] = _plan(tmp_path, method=method, base_model="z", density=0.3, weights=[1.0, 2.0])
    assert step.name == method
    assert step.config == {"merge_method": method, "dtype": "float32", "base_model": "/m/z",
                           "models": [{"model": "/m/a", "parameters": {"weight": 1.0, "density": 0.3}},
                                      {"model": "/m/b", "parameters": {"weight": 2.0, "density": 0.3}}]}


def test_task_arithmetic_has_the_base_and_no_density(tmp_path):
    [step] = _plan(tmp_path, method="task_arithmetic", base_model="z")
    assert step.config["base_model"] == "/m/z"
    assert all(set(m["parameters"]) == {"weight"} for m in step.config["models"])


def test_slerp_runs_from_the_first_model_to_the_second(tmp_path):
    [step] = _plan(tmp_path, method="slerp", t=0.3)
    assert (step.name, step.out_dir) == ("slerp", tmp_path / "out")
    assert step.config == {"merge_method": "slerp", "base_model": "/m/a", "dtype": "float32",
                           "models": [{"model": "/m/a"}, {"model": "/m/b"}], "parameters": {"t": 0.3}}


def test_warp_is_nuslerp_of_task_vectors_then_a_linear_step_towards_the_base(tmp_path):
    slerp, liti = _plan(tmp_path, method="warp", base_model="z", t=0.3, eta=0.8, dtype="bfloat16")
    assert (slerp.name, slerp.out_dir) == ("warp_slerp", tmp_path / "work" / "warp_slerp")
    assert slerp.config == {"merge_method": "nuslerp", "base_model": "/m/z", "dtype": "bfloat16",
                            "models": [{"model": "/m/a", "parameters": {"weight": pytest.approx(0.7)}},
                                       {"model": "/m/b", "parameters": {"weight": 0.3}}],
                            "parameters": {"nuslerp_flatten": True}}
    assert (liti.name, liti.out_dir) == ("warp_liti", tmp_path / "out")
    assert liti.config == {"merge_method": "linear", "dtype": "bfloat16", "parameters": {"normalize": False},
                           "models": [{"model": str(tmp_path / "work" / "warp_slerp"), "parameters": {"weight": 0.8}},
                                      {"model": "/m/z", "parameters": {"weight": pytest.approx(0.2)}}]}
