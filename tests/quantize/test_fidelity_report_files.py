"""write_report's two files from a report dict, no model: fidelity.json holds the report and its settings,
fidelity.md renders every metric in a fixed layout a reader (and a diff between two runs) can rely on."""
from __future__ import annotations

import json

from numina_exp.quantize.fidelity import write_report

REPORT = {
    "reference": "runs/sft/final", "quantized": "runs/gptq/final",
    "overall": {"rows": 3, "tokens": 288, "logit_abs_err_mean": 0.01234, "logit_abs_err_max": 0.5,
                "logit_rel_err_mean": 0.002, "kl_mean": 1.5e-5, "top1_agreement": 0.98765,
                "ppl_unquantized": 4.25, "ppl_quantized": 4.2625, "ppl_change_pct": 0.2941},
    "per_layer_type": {"down_proj": {"rel_output_err": 0.031, "layers": 2},
                       "q_proj": {"rel_output_err": 0.0125, "layers": 2}},
}

MD = """# GPTQ fidelity: quantized vs unquantized

Reference `runs/sft/final`, quantized `runs/gptq/final`; 3 held-out rows, 288 tokens.{settings}

## Overall

| metric | value |
|---|---|
| mean abs logit error | 1.234e-02 |
| max abs logit error | 5.000e-01 |
| mean abs logit error / mean abs logit | 2.000e-03 |
| KL(unquantized, quantized) per token | 1.500e-05 |
| top-1 agreement | 98.77% |
| perplexity unquantized | 4.2500 |
| perplexity quantized | 4.2625 (+0.294%) |

## Per layer type

Relative output error ||y_q - y|| / ||y|| of each quantized layer on the same inputs, pooled over layers.

| layer type | layers | relative output error |
|---|---|---|
| down_proj | 2 | 3.100e-02 |
| q_proj | 2 | 1.250e-02 |
"""


def test_report_files_with_settings(tmp_path):
    js, md = write_report(REPORT, tmp_path, {"bits": 8, "group_size": 128})
    assert (js, md) == (tmp_path / "fidelity.json", tmp_path / "fidelity.md")
    assert json.loads(js.read_text()) == {**REPORT, "settings": {"bits": 8, "group_size": 128}}
    assert md.read_text() == MD.format(settings=' Settings: {"bits": 8, "group_size": 128}.')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fidelity.json", "fidelity.md"]  # no temporary left


def test_report_files_without_settings(tmp_path):
    js, md = write_report(REPORT, tmp_path)
    assert json.loads(js.read_text())["settings"] == {}
    assert md.read_text() == MD.format(settings="")
    assert "settings" not in REPORT  # the caller's dict is not modified
