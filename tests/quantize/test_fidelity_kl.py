"""fidelity_report's KL(p_unquantized || p_quantized) against a hand computation: both models loaded
again, every position's two distributions compared in float64 with the textbook sum
p * (log p - log q), averaged over positions. 2-bit weights (not the recipe's 8; CPU 4-bit kernels need dims divisible by 16, the twin's
are not) make the two models differ enough that KL taken the wrong way round, or the log ratio weighted by
the quantized distribution, falls outside the tolerance (the test checks that it would)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from numina_exp.quantize import GPTQSettings, calibration_rows, fidelity_report, quantize_model, render, tokenize

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
    out = tmp_path_factory.mktemp("q4") / "final"
    quantize_model(str(twin), out, tokenize(render(rows[:16], tok, "numina"), tok, 4096), GPTQSettings(bits=2))
    held = [r["input_ids"][:96] for r in tokenize(render(rows[-3:], tok, "numina"), tok, 4096)]
    return twin, out, held


def _hand_kl(twin, quant, held):
    import torch
    from transformers import AutoModelForCausalLM

    ref = AutoModelForCausalLM.from_pretrained(str(twin), dtype=torch.float32).eval()
    q = AutoModelForCausalLM.from_pretrained(str(quant), dtype=torch.float32).eval()
    fwd = rev = wrong = 0.0
    positions = 0
    with torch.compiler.set_stance("force_eager"), torch.no_grad():
        for ids in held:
            x = torch.tensor([ids])
            a = ref(input_ids=x).logits[0].double()
            b = q(input_ids=x).logits[0].double()
            log_p = a - torch.logsumexp(a, -1, keepdim=True)
            log_q = b - torch.logsumexp(b, -1, keepdim=True)
            p, qq = log_p.exp(), log_q.exp()
            fwd += float((p * (log_p - log_q)).sum())
            rev += float((qq * (log_q - log_p)).sum())
            wrong += float((qq * (log_p - log_q)).sum())
            positions += len(ids)
    return fwd / positions, rev / positions, wrong / positions


def test_kl_is_the_hand_computed_kl_of_unquantized_to_quantized(pair):
    twin, quant, held = pair
    report = fidelity_report(str(twin), str(quant), held)
    fwd, rev, wrong = _hand_kl(twin, quant, held)
    got = report["overall"]["kl_mean"]
    assert report["overall"]["tokens"] == sum(len(r) for r in held)
    assert fwd > 0
    assert got == pytest.approx(fwd, rel=5e-5), (got, fwd, rev)  # measured: 2e-6 (float32 vs float64)
    # the test can tell the directions apart: the reverse KL and the q-weighted log ratio are outside it
    # (measured: the reverse KL differs by 6e-4 relative, the q-weighted one has the other sign)
    assert abs(rev - fwd) > 2e-4 * fwd and abs(wrong - fwd) > fwd, (fwd, rev, wrong)
