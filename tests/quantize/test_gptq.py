"""8-bit GPTQ of a tiny twin with the recipe's settings, calibrated on the shipped TIR sample rendered
with the training template; the output reloads through transformers (the hf backend's path), generates,
and stays close to the unquantized model on rows held out from calibration."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from numina_exp.quantize import GPTQSettings, calibration_rows, fidelity_report, quantize_model, render, tokenize, write_report

SAMPLE = Path(__file__).resolve().parents[2] / "numina_exp" / "data" / "samples" / "tir_sample.jsonl"


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    os.environ.setdefault("NUMINA_EXP_CACHE", str(tmp_path_factory.mktemp("cache")))
    from helpers import compose_cfg

    from numina_exp.models.tiny import materialize_tiny

    return materialize_tiny(compose_cfg(["model=tiny_llama"]).model)


@pytest.fixture(scope="module")
def tokenizer(twin):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(twin))


def _rows():
    return [json.loads(line) for line in SAMPLE.read_text().splitlines()]


def test_calibration_rows_are_training_texts_at_full_length_shuffled_by_seed(tokenizer):
    rows = _rows()
    picked = calibration_rows(rows, 256)
    assert len(picked) == len(rows)  # fewer rows than asked: all of them, none twice
    assert calibration_rows(rows, 8) == calibration_rows(rows, 8, seed=42) != calibration_rows(rows, 8, seed=43)
    assert calibration_rows(rows, 8) != rows[:8]
    texts = render(picked[:8], tokenizer, "numina")
    for row, text in zip(picked[:8], texts):
        assert text.startswith("<s>### Problem: " + row["problem"]) and text.endswith(row["solution"] + "\n</s>")
    longest = max(texts, key=len)
    ids = tokenize([longest], tokenizer, max_length=100_000)[0]["input_ids"]
    assert len(ids) > 256 and ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id  # not cut


def test_gptq8_of_a_twin_reloads_generates_and_stays_close(twin, tokenizer, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    rows = calibration_rows(_rows(), len(_rows()))
    calib, held_out = rows[:32], rows[-6:]
    out = tmp_path / "final"
    quantize_model(str(twin), out, tokenize(render(calib, tokenizer, "numina"), tokenizer, 4096), GPTQSettings())

    qc = json.loads((out / "config.json").read_text())["quantization_config"]
    assert (qc["quant_method"], qc["bits"], qc["group_size"], qc["desc_act"]) == ("gptq", 8, 128, True)

    model = AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32).eval()
    assert sum(hasattr(m, "qweight") for m in model.modules()) == 4 * 7  # every linear of 4 layers but lm_head
    prompt = tokenizer("### Problem: What is 2+3?\n### Solution: ", return_tensors="pt")
    with torch.compiler.set_stance("force_eager"), torch.no_grad():
        gen = model.generate(**prompt, max_new_tokens=8, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    assert gen.shape[1] == prompt["input_ids"].shape[1] + 8

    held = [r["input_ids"] for r in tokenize(render(held_out, tokenizer, "numina"), tokenizer, 4096)]
    report = fidelity_report(str(twin), str(out), held)
    o = report["overall"]
    # The bound: 8-bit weights move logits by under 2% of their mean magnitude, keep >= 95% of argmaxes
    # and perplexity within 1% (measured on this twin: 0.9%, 98.8%, +0.02%).
    assert o["tokens"] > 500
    assert o["logit_rel_err_mean"] < 0.02, o
    assert o["top1_agreement"] >= 0.95, o
    assert abs(o["ppl_change_pct"]) < 1.0, o
    assert set(report["per_layer_type"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert all(0 < v["rel_output_err"] < 0.05 and v["layers"] == 4 for v in report["per_layer_type"].values()), report
    js, md = write_report(report, tmp_path, {"bits": 8})
    assert json.loads(js.read_text())["overall"] == o and "| down_proj | 4 |" in md.read_text()
