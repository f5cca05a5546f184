"""method=dequantize: a GPTQ model's weights as an ordinary checkpoint. The copy, reloaded by plain
transformers (no quantization config), computes the quantized model's logits and not the unquantized twin's;
a path that is not a quantized model is refused by the CLI naming model.path before anything loads."""
from __future__ import annotations

import json
import time

import pytest
from helpers import run_cli


def _logits(path, rows):
    import torch
    from transformers import AutoModelForCausalLM

    m = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32).eval()
    with torch.compiler.set_stance("force_eager"), torch.no_grad():
        return [m(input_ids=torch.tensor([ids])).logits[0] for ids in rows]


def test_the_copy_computes_the_quantized_models_logits(pair, tmp_path):
    from numina_exp.quantize.dequantize import dequantize_model

    twin, quant, held = pair
    out = tmp_path / "deq"
    info = dequantize_model(str(quant), str(twin), out, held[:2])
    assert info["layers"] > 0 and info["logit_max_abs_diff"] <= 1e-3 * max(info["logit_range"], 1.0)
    assert "quantization_config" not in json.loads((out / "config.json").read_text())
    assert json.loads((out / "dequantized.json").read_text()) == info and not out.with_name("deq.tmp").exists()
    copy, quantized, unquantized = _logits(out, held), _logits(quant, held), _logits(twin, held)
    for c, q, u in zip(copy, quantized, unquantized):
        assert float((c - q).abs().max()) < 1e-3
        assert float((c - u).abs().max()) > 1e-2  # 2-bit weights: the copy is not the twin


def test_the_check_refuses_a_copy_that_differs(pair, tmp_path):
    from numina_exp.quantize.dequantize import dequantize_model

    twin, quant, held = pair
    with pytest.raises(ValueError, match="differs from the quantized model"):
        dequantize_model(str(quant), str(twin), tmp_path / "deq", held[:1], tolerance=-1.0)
    assert not (tmp_path / "deq").exists()


def test_a_model_that_is_not_quantized_is_refused_before_loading(pair, tmp_path):
    twin, _, _ = pair
    start = time.monotonic()
    proc = run_cli(["+experiment=dequantize_gptq", f"model.path={twin}", f"hydra.run.dir={tmp_path / 'run'}"], timeout=120)
    assert proc.returncode != 0
    assert "model.path" in proc.stderr and "is not a quantized model" in proc.stderr, proc.stderr[-2000:]
    assert time.monotonic() - start < 60
