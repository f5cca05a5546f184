"""merge.dtype defaults to the inputs' own dtype (it was bfloat16 whatever the inputs, which rounded fp32
fine-tunes silently); inputs stored in different dtypes are refused, naming the key."""
from __future__ import annotations

import json
import shutil

import pytest
import torch

from numina_exp.merge import MergeRequest, merge
from numina_exp.merge.inputs import InputError

from .test_merge_math import tensors


def test_default_dtype_is_the_inputs_fp32_bit_for_bit(twins, tmp_path):
    A, B = tensors(twins["a"]), tensors(twins["b"])
    out = tmp_path / "m" / "final"
    lineage = merge(MergeRequest(method="linear", models=[str(twins["a"]), str(twins["b"])], weights=[0.5, 0.5]),
                    out, run_dir=tmp_path / "m")
    assert lineage["parameters"]["dtype"] == "float32"
    merged = tensors(out)
    for k in A:  # halves are exact in fp32: a bf16 merge could not reproduce the formula bit for bit
        assert merged[k].dtype == torch.float32 and torch.equal(merged[k], 0.5 * A[k] + 0.5 * B[k]), k


def test_inputs_in_different_dtypes_are_refused(twins, tmp_path):
    half = tmp_path / "b_bf16"
    shutil.copytree(twins["b"], half)
    cfg = json.loads((half / "config.json").read_text())
    cfg["dtype"] = "bfloat16"
    (half / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputError) as err:
        merge(MergeRequest(method="linear", models=[str(twins["a"]), str(half)]), tmp_path / "x" / "final",
              run_dir=tmp_path / "x")
    assert err.value.key == "merge.dtype" and "float32" in err.value.problem and "bfloat16" in err.value.problem
    # an explicit dtype is the user's choice
    merge(MergeRequest(method="linear", models=[str(twins["a"]), str(half)], dtype="float32"),
          tmp_path / "y" / "final", run_dir=tmp_path / "y")
