"""How far the quantized model is from the unquantized one, on held-out rows (never calibration rows).

Overall, per token of every row: |logit difference| (mean, max, and mean relative to the mean |logit|),
KL(p_unquantized || p_quantized), top-1 agreement, and the perplexity of each model on the rows' text.
Per layer type (q_proj, k_proj, ..., down_proj): each quantized layer's output on the quantized model's
own input activations against the unquantized layer's output on the same inputs, as a relative error
||y_q - y|| / ||y||, pooled over the layers of that type - the error each layer adds, not what it inherits.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

from ..core.io import atomic_write_json, atomic_write_text


def _load(path: str, device: str):
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.float32 if device == "cpu" else torch.float16
    return AutoModelForCausalLM.from_pretrained(path, dtype=dtype, device_map=device).eval()


def _is_quantized(module) -> bool:
    return hasattr(module, "qweight") and hasattr(module, "scales")


def fidelity_report(reference_dir: str, quantized_dir: str, rows: list[list[int]], device: str = "cpu") -> dict:
    """Compare the two models on `rows` (token id lists). Returns the report as a dict."""
    import torch
    import torch.nn.functional as F
    from tqdm import tqdm

    ref, quant = _load(reference_dir, device), _load(quantized_dir, device)
    ref_modules = dict(ref.named_modules())
    layer_sq = defaultdict(lambda: [0.0, 0.0, 0])  # type -> [sum ||y_q - y||^2, sum ||y||^2, layers seen]
    hooks = []

    def hook(name):
        kind = name.rsplit(".", 1)[-1]

        def fn(module, inputs, output):
            with torch.no_grad():
                expected = ref_modules[name](inputs[0].to(ref_modules[name].weight.dtype)).float()
                layer_sq[kind][0] += float((output.float() - expected).pow(2).sum())
                layer_sq[kind][1] += float(expected.pow(2).sum())
                layer_sq[kind][2] += 1
        return fn

    for name, module in quant.named_modules():
        if _is_quantized(module) and name in ref_modules:
            hooks.append(module.register_forward_hook(hook(name)))
    if not hooks:
        raise ValueError(f"{quantized_dir} has no quantized linear layer matching {reference_dir}")

    tot = defaultdict(float)
    max_abs = 0.0
    # gptqmodel wraps dequantization in torch.compile; a few short rows do not repay the compile time.
    stance = torch.compiler.set_stance("force_eager") if hasattr(torch.compiler, "set_stance") else _null()
    with stance, torch.no_grad():
        for ids in tqdm(rows, desc="fidelity", disable=len(rows) < 2):
            x = torch.tensor([ids], device=device)
            a = ref(input_ids=x).logits.float()[0]
            b = quant(input_ids=x).logits.float()[0]
            diff = (a - b).abs()
            max_abs = max(max_abs, float(diff.max()))
            tot["abs_sum"] += float(diff.sum())
            tot["ref_abs_sum"] += float(a.abs().sum())
            tot["logit_count"] += diff.numel()
            la, lb = F.log_softmax(a, -1), F.log_softmax(b, -1)
            tot["kl_sum"] += float((la.exp() * (la - lb)).sum())
            tot["top1_same"] += float((a.argmax(-1) == b.argmax(-1)).sum())
            tot["positions"] += a.shape[0]
            if len(ids) > 1:
                target = x[0, 1:]
                tot["nll_ref"] += float(F.cross_entropy(a[:-1], target, reduction="sum"))
                tot["nll_quant"] += float(F.cross_entropy(b[:-1], target, reduction="sum"))
                tot["targets"] += len(ids) - 1
    for h in hooks:
        h.remove()
    n_tok = max(tot["targets"], 1)
    overall = {
        "rows": len(rows), "tokens": int(tot["positions"]),
        "logit_abs_err_mean": tot["abs_sum"] / max(tot["logit_count"], 1),
        "logit_abs_err_max": max_abs,
        "logit_rel_err_mean": tot["abs_sum"] / max(tot["ref_abs_sum"], 1e-30),
        "kl_mean": tot["kl_sum"] / max(tot["positions"], 1),
        "top1_agreement": tot["top1_same"] / max(tot["positions"], 1),
        "ppl_unquantized": math.exp(tot["nll_ref"] / n_tok),
        "ppl_quantized": math.exp(tot["nll_quant"] / n_tok),
    }
    overall["ppl_change_pct"] = 100.0 * (overall["ppl_quantized"] / overall["ppl_unquantized"] - 1.0)
    per_type = {kind: {"rel_output_err": math.sqrt(e / max(r, 1e-30)), "layers": n // max(len(rows), 1)}
                for kind, (e, r, n) in sorted(layer_sq.items())}
    return {"reference": str(reference_dir), "quantized": str(quantized_dir), "overall": overall, "per_layer_type": per_type}


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def write_report(report: dict, out_dir: Path, settings: dict | None = None) -> tuple[Path, Path]:
    """fidelity.json and fidelity.md in `out_dir`."""
    out_dir = Path(out_dir)
    report = {**report, "settings": settings or {}}
    js = out_dir / "fidelity.json"
    atomic_write_json(js, report)  # a full disk leaves the old report (or none) and no temporary
    o = report["overall"]
    lines = [
        "# GPTQ fidelity: quantized vs unquantized", "",
        f"Reference `{report['reference']}`, quantized `{report['quantized']}`; {o['rows']} held-out rows, "
        f"{o['tokens']} tokens." + (f" Settings: {json.dumps(settings)}." if settings else ""), "",
        "## Overall", "", "| metric | value |", "|---|---|",
        f"| mean abs logit error | {o['logit_abs_err_mean']:.3e} |",
        f"| max abs logit error | {o['logit_abs_err_max']:.3e} |",
        f"| mean abs logit error / mean abs logit | {o['logit_rel_err_mean']:.3e} |",
        f"| KL(unquantized, quantized) per token | {o['kl_mean']:.3e} |",
        f"| top-1 agreement | {100 * o['top1_agreement']:.2f}% |",
        f"| perplexity unquantized | {o['ppl_unquantized']:.4f} |",
        f"| perplexity quantized | {o['ppl_quantized']:.4f} ({o['ppl_change_pct']:+.3f}%) |",
        "", "## Per layer type", "",
        "Relative output error ||y_q - y|| / ||y|| of each quantized layer on the same inputs, pooled over layers.", "",
        "| layer type | layers | relative output error |", "|---|---|---|",
        *[f"| {k} | {v['layers']} | {v['rel_output_err']:.3e} |" for k, v in report["per_layer_type"].items()], "",
    ]
    md = out_dir / "fidelity.md"
    atomic_write_text(md, "\n".join(lines))
    return js, md
