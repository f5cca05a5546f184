"""8-bit GPTQ through gptqmodel (the maintained successor of auto-gptq; see docs/merge_quantize.md).

    calibration.py  TIR rows rendered with the training template at full length, shuffled (seed 42)
    gptq.py         gptqmodel: quantize and save a model directory loadable by transformers / vLLM
    fidelity.py     quantized vs unquantized on held-out rows: logit error, KL, top-1 agreement and
                    perplexity overall, and the output error of each quantized layer type
"""
from .calibration import calibration_rows, render, tokenize
from .fidelity import fidelity_report, write_report
from .gptq import GPTQSettings, quantize_model

__all__ = ["calibration_rows", "render", "tokenize", "fidelity_report", "write_report", "GPTQSettings", "quantize_model"]
