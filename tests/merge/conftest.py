"""Tiny twins for the merge tests: an "initialisation" (the tiny Llama twin) and fine-tune stand-ins
made from it by seeded perturbations, all saved as ordinary model directories."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def twins(tmp_path_factory) -> dict[str, Path]:
    """{"base": init, "a", "b", "c": three different fine-tunes of it}, fp32 safetensors + tokenizer."""
    root = tmp_path_factory.mktemp("merge_twins")
    os.environ.setdefault("NUMINA_EXP_CACHE", str(root / "cache"))
    import torch
    from helpers import compose_cfg
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from numina_exp.models.tiny import materialize_tiny

    base = materialize_tiny(compose_cfg(["model=tiny_llama"]).model)
    tok = AutoTokenizer.from_pretrained(str(base))
    out = {"base": Path(base)}
    for seed, name in enumerate("abc", start=1):
        model = AutoModelForCausalLM.from_pretrained(str(base))
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn(p.shape, generator=gen) * 0.02)
        model.save_pretrained(str(root / name))
        tok.save_pretrained(str(root / name))
        out[name] = root / name
    return out

