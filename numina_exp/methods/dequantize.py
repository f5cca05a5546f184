"""method=dequantize: a GPTQ model (a quantize run's final/) -> final/, an ordinary checkpoint holding the
weights its GPTQ layers compute with (numina_exp/quantize/dequantize.py), for engines that cannot serve
GPTQ, e.g. vLLM on CPU: evaluating it measures what 8-bit quantization did to the weights with the same
engine, seeds and copies as the unquantized model's evaluation. model.path is the quantized model; the
unquantized architecture it is written into is the one its lineage.json names (the quantize run's input).
A rerun in the same run dir keeps a finished final/."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from ..core.errors import ConfigError
from ..core.registry import Method

log = logging.getLogger("numina_exp")

# The copy is checked against the quantized model's logits on these (a solution's opening and a program).
CHECK_TEXTS = ("### Problem: What is the remainder when 2024 is divided by 7?\n### Solution: ",
               "```python\nfrom math import comb\nprint(comb(10, 3) % 1000)\n```\n```output\n120\n```\n")


def _quantized_input(cfg) -> tuple[Path, str]:
    """(the quantized model dir, its unquantized source), from model.path and its lineage.json."""
    path = cfg.model.path
    if not path:
        raise ConfigError("model.path", "is not set", "point it at a quantize run's final/ (or run after a quantize stage)")
    src = Path(str(path))
    config = src / "config.json"
    if not src.exists():
        raise ConfigError("model.path", f"{src} does not exist", "point it at a quantize run's final/")
    if not config.exists() or "quantization_config" not in json.loads(config.read_text()):
        raise ConfigError("model.path", f"{src} is not a quantized model (no quantization_config in its config.json)",
                          "point it at a quantize run's final/")
    lineage = src / "lineage.json"
    reference = json.loads(lineage.read_text()).get("input", {}).get("path") if lineage.exists() else None
    if not reference or not (Path(reference) / "config.json").exists():
        raise ConfigError("model.path", f"{src}'s lineage.json names no unquantized model that exists here ({reference!r})",
                          "dequantize a model quantized by method=quantize on this machine")
    return src, reference


def validate(cfg) -> None:
    # A pipeline plans this stage with model.path set to the quantize stage's final/, before that stage has run:
    # a path that does not exist yet is checked when the stage runs.
    if cfg.model.path and Path(str(cfg.model.path)).exists():
        _quantized_input(cfg)


def run(cfg, run_dir) -> dict:
    from transformers import AutoTokenizer

    from ..quantize.dequantize import dequantize_model

    src, reference = _quantized_input(cfg)
    final = Path(run_dir) / "final"
    info_path = final / "dequantized.json"
    if info_path.exists():
        log.info("dequantize: %s is complete; not dequantizing again", final)
        info = json.loads(info_path.read_text())
    else:
        tok = AutoTokenizer.from_pretrained(str(src))
        rows = [tok(t)["input_ids"] for t in CHECK_TEXTS]
        info = dequantize_model(str(src), reference, final, rows)
        (final / "lineage.json").write_text(json.dumps(
            {"kind": "dequantize", "input": {"path": str(src)}, "reference": reference, "check": info}, indent=2))
    print(f"[dequantize] {info['layers']} GPTQ layers of {src} -> {final}; logits vs the quantized model: "
          f"max |diff| {info['logit_max_abs_diff']:.2e} (range {info['logit_range']:.1f})", flush=True)
    return {"final_dir": str(final), **info}


METHOD = Method(
    name="dequantize", run=run, validate=validate, needs=("model",),
    consumes={"model": "model.path"}, produces={"model": "final"},
    doc="a GPTQ model's dequantized weights as an ordinary checkpoint (to evaluate it on engines without GPTQ kernels)",
)
