"""The quantized pair several quantize tests read: the tiny Llama twin and its 2-bit GPTQ copy (2 bits, not the
recipe's 8: the two models must differ enough for the tests to tell a right computation from a wrong one;
CPU 4-bit kernels need dims divisible by 16, the twin's are not), plus held-out rows."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from numina_exp.quantize import GPTQSettings, calibration_rows, quantize_model, render, tokenize

SAMPLE = Path(__file__).resolve().parents[2] / "numina_exp" / "data" / "samples" / "tir_sample.jsonl"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    os.environ.setdefault("NUMINA_EXP_CACHE", str(tmp_path_factory.mktemp("cache")))
    from helpers import compose_cfg
    from transformers import AutoTokenizer

    from numina_exp.models.tiny import materialize_tiny

    twin = materialize_tiny(compose_cfg(["model=tiny_llama"]).model)
    tok = AutoTokenizer.from_pretrained(str(twin))
    rows = calibration_rows([json.loads(line) for line in SAMPLE.read_text().splitlines()], 64)
    # Cached under NUMINA_EXP_CACHE by the quantizer's own sources: a fresh cache per pytest session here, but
    # scripts/mutants.py shares one across its mutants, which only touch fidelity.py, so the quantized model
    # is built once per mutation run instead of once per mutant.
    import hashlib

    from numina_exp.models.tokenizer import cache_root
    from numina_exp.quantize import gptq

    qdir = Path(gptq.__file__).parent
    key = hashlib.sha256(b"".join((qdir / f).read_bytes() for f in ("gptq.py", "calibration.py"))
                         + twin.name.encode() + SAMPLE.read_bytes()).hexdigest()[:12]
    out = cache_root() / "test-fidelity" / f"q2-{key}"
    if not (out / "config.json").exists():
        quantize_model(str(twin), out, tokenize(render(rows[:16], tok, "numina"), tok, 4096), GPTQSettings(bits=2))
    held = [r["input_ids"][:96] for r in tokenize(render(rows[-3:], tok, "numina"), tok, 4096)]
    return twin, out, held
