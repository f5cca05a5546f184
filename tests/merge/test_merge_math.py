"""Merges of tiny twins against their definitions: linear as a weighted sum, ties/dare_ties against
mergekit's own `mergekit-yaml` CLI, DARE's seed, and warp's two steps written out in the test."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from numina_exp.merge import MergeRequest, merge


def tensors(model_dir: Path) -> dict:
    """Every tensor of a model directory, by name (all shards)."""
    from safetensors.torch import load_file

    out = {}
    for shard in sorted(Path(model_dir).glob("*.safetensors")):
        out.update(load_file(str(shard)))
    assert out, f"no safetensors in {model_dir}"
    return out


def _merge(tmp_path, name, **kw):
    out = tmp_path / name / "final"
    kw.setdefault("dtype", "float32")
    merge(MergeRequest(**kw), out, run_dir=tmp_path / name)
    return tensors(out), out


def test_linear_is_the_weighted_sum_tensor_by_tensor(twins, tmp_path):
    A, B = tensors(twins["a"]), tensors(twins["b"])
    # w = 0.5: both products are exact in binary floating point, so the merge must equal the formula bit for bit.
    half, out = _merge(tmp_path, "half", method="linear", models=[str(twins["a"]), str(twins["b"])], weights=[0.5, 0.5])
    assert set(half) == set(A)
    for k in A:
        assert torch.equal(half[k], 0.5 * A[k] + 0.5 * B[k]), k
    # w = 0.3: mergekit rounds the weights to float32 and accumulates with a fused multiply-add, so the
    # result may differ from the two-rounding formula in the last bits; it must equal the exact value
    # (float64) to within float32 rounding of the two products (2 eps of |w A| + |(1 - w) B|).
    w = 0.3
    m, _ = _merge(tmp_path, "w03", method="linear", models=[str(twins["a"]), str(twins["b"])], weights=[w, 1 - w])
    eps = torch.finfo(torch.float32).eps
    for k in A:
        exact = w * A[k].double() + (1 - w) * B[k].double()
        scale = w * A[k].double().abs() + (1 - w) * B[k].double().abs()
        assert m[k].dtype == torch.float32
        assert bool(((m[k].double() - exact).abs() <= 2 * eps * scale).all()), k
        assert not torch.equal(m[k], A[k]) and not torch.equal(m[k], B[k])
    # the output is a loadable model with the inputs' tokenizer and its lineage
    lineage = json.loads((out / "lineage.json").read_text())
    assert [i["path"] for i in lineage["inputs"]] == [str(twins["a"]), str(twins["b"])]
    assert (out / "tokenizer_config.json").exists()


def _cli_merge(config: dict, out: Path, seed: int) -> dict:
    cfg_file = out.with_suffix(".yml")
    cfg_file.write_text(yaml.safe_dump(config))
    cli = Path(sys.executable).parent / "mergekit-yaml"
    proc = subprocess.run([str(cli), str(cfg_file), str(out), "--random-seed", str(seed)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return tensors(out)


@pytest.mark.parametrize("method", ["ties", "dare_ties"])
def test_ties_and_dare_ties_equal_the_mergekit_cli_bit_for_bit(twins, tmp_path, method):
    a, b, base = str(twins["a"]), str(twins["b"]), str(twins["base"])
    ours, _ = _merge(tmp_path, "ours", method=method, models=[a, b], weights=[0.6, 0.4], base_model=base,
                     density=0.5, seed=7)
    # The same merge written as a mergekit YAML by hand, run by mergekit's own CLI.
    reference = {"merge_method": method, "base_model": base, "dtype": "float32",
                 "models": [{"model": a, "parameters": {"weight": 0.6, "density": 0.5}},
                            {"model": b, "parameters": {"weight": 0.4, "density": 0.5}}]}
    theirs = _cli_merge(reference, tmp_path / "cli", 7)
    assert set(ours) == set(theirs)
    for k in ours:
        assert torch.equal(ours[k], theirs[k]), k
    # and it is a real merge: neither input nor the base
    assert any(not torch.equal(ours[k], tensors(twins["a"])[k]) for k in ours)


def test_dare_is_reproducible_with_its_seed_and_differs_across_seeds(twins, tmp_path):
    common = dict(method="dare_linear", models=[str(twins["a"]), str(twins["b"])], base_model=str(twins["base"]),
                  density=0.5)
    first, _ = _merge(tmp_path, "s1", seed=1, **common)
    again, _ = _merge(tmp_path, "s1_again", seed=1, **common)
    other, _ = _merge(tmp_path, "s2", seed=2, **common)
    assert all(torch.equal(first[k], again[k]) for k in first)
    differing = [k for k in first if not torch.equal(first[k], other[k])]
    assert len(differing) > len(first) // 2, differing  # every 2-D weight gets a different random mask


def test_warp_matches_slerp_of_task_vectors_then_interpolation_towards_init(twins, tmp_path):
    t, eta = 0.3, 0.6
    warp, out = _merge(tmp_path, "warp", method="warp", models=[str(twins["a"]), str(twins["b"])],
                       base_model=str(twins["base"]), t=t, eta=eta)
    A, B, init = tensors(twins["a"]), tensors(twins["b"]), tensors(twins["base"])
    for k in init:
        # step 1: SLERP of the two task vectors (each tensor as one flat vector), in float64
        da, db = (A[k] - init[k]).double().flatten(), (B[k] - init[k]).double().flatten()
        cos = torch.dot(da, db) / (da.norm() * db.norm())
        theta = torch.acos(cos.clamp(-1, 1))
        if theta.abs() < 1e-6:
            slerp = (1 - t) * da + t * db
        else:
            slerp = (torch.sin((1 - t) * theta) * da + torch.sin(t * theta) * db) / torch.sin(theta)
        # step 2: eta * (init + slerp) + (1 - eta) * init
        expected = (init[k].double().flatten() + eta * slerp).reshape(init[k].shape)
        assert torch.allclose(warp[k].double(), expected, rtol=1e-5, atol=1e-6), (k, (warp[k].double() - expected).abs().max())
    steps = json.loads((out / "lineage.json").read_text())["mergekit_steps"]
    assert [s["config"]["merge_method"] for s in steps] == ["nuslerp", "linear"]


def test_a_finished_merge_is_not_redone(twins, tmp_path):
    kw = dict(method="task_arithmetic", models=[str(twins["a"]), str(twins["b"])], base_model=str(twins["base"]))
    _, out = _merge(tmp_path, "ta", **kw)
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    _merge(tmp_path, "ta", **kw)
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp
    assert math.isclose(json.loads((out / "lineage.json").read_text())["parameters"]["t"], 0.5)
