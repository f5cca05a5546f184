"""A GPTQ model as a plain checkpoint of the weights its kernels compute with, for engines that cannot run
GPTQ layers (vLLM on CPU serves no GPTQ; transformers on CPU runs gptqmodel's torch kernel at a few
tokens/s). Each quantized linear layer's weight is gptqmodel's own `dequantize_weight()` (the codes,
zeros, scales and act-order permutation, exactly what its forward multiplies by), transposed into an
nn.Linear, like gptqmodel's `dequantize_model` -- but in float32 (that helper rounds to float16) and
written into a fresh copy of the unquantized architecture, so the result is an ordinary checkpoint.
Every other tensor (embeddings, norms, head) is the quantized checkpoint's own.

An evaluation of the copy measures what quantizing the weights did; activations stay in the engine's dtype,
as GPTQ's w8a16 kernels keep them. `dequantize_model` checks its own work: the copy's logits against the
quantized model's on a few rows, reported as `logit_max_abs_diff`."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from .fidelity import _is_quantized, _load


def dequantize_model(quantized_dir: str, reference_dir: str, out_dir: Path, rows: list[list[int]],
                     tolerance: float = 1e-3) -> dict:
    """Write the dequantized copy of `quantized_dir` (built on `reference_dir`'s architecture) to `out_dir`,
    via `<out_dir>.tmp`; `rows` (token ids) check it against the quantized model. Raises when a layer does
    not match the reference or the copy's logits differ by more than `tolerance` (relative to their range)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    q = _load(quantized_dir, "cpu")
    ref = AutoModelForCausalLM.from_pretrained(reference_dir, dtype=torch.float32).eval()
    ref_params = dict(ref.named_parameters())
    layers = 0
    # eager: gptqmodel compiles its dequantize step, and recompiles it per layer shape
    with torch.no_grad(), torch.compiler.set_stance("force_eager"):
        for name, module in q.named_modules():
            if not _is_quantized(module):
                continue
            target = ref.get_submodule(name)
            w = module.dequantize_weight().T.to(torch.float32)  # (in, out) -> nn.Linear's (out, in)
            if tuple(w.shape) != tuple(target.weight.shape):
                raise ValueError(f"{quantized_dir}: layer {name} dequantizes to {tuple(w.shape)}, "
                                 f"the reference {reference_dir} has {tuple(target.weight.shape)}")
            target.weight.copy_(w)
            if getattr(module, "bias", None) is not None and target.bias is not None:
                target.bias.copy_(module.bias.to(torch.float32))
            layers += 1
        if not layers:
            raise ValueError(f"{quantized_dir} has no quantized linear layer")
        for name, p in q.named_parameters():  # the rest as the quantized checkpoint stores it
            if name in ref_params and ref_params[name].shape == p.shape:
                ref_params[name].copy_(p.to(torch.float32))
        worst, span = 0.0, 0.0
        for ids in rows:
            x = torch.tensor([ids])
            a, b = q(input_ids=x).logits.float(), ref(input_ids=x).logits.float()
            worst = max(worst, float((a - b).abs().max()))
            span = max(span, float(a.max() - a.min()))
    if worst > tolerance * max(span, 1.0):
        raise ValueError(f"dequantized copy of {quantized_dir} differs from the quantized model by {worst:.3g} in "
                         f"the logits (range {span:.3g}); not written")
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    ref.save_pretrained(str(tmp))
    AutoTokenizer.from_pretrained(quantized_dir).save_pretrained(str(tmp))
    info = {"quantized": str(quantized_dir), "reference": str(reference_dir), "layers": layers,
            "check_rows": len(rows), "logit_max_abs_diff": worst, "logit_range": span}
    (tmp / "dequantized.json").write_text(json.dumps(info, indent=2))
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return info
