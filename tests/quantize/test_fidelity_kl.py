"""fidelity_report's KL(p_unquantized || p_quantized) against a hand computation: both models loaded
again, every position's two distributions compared in float64 with the textbook sum
p * (log p - log q), averaged over positions. 2-bit weights (not the recipe's 8; CPU 4-bit kernels need dims divisible by 16, the twin's
are not) make the two models differ enough that KL taken the wrong way round, or the log ratio weighted by
the quantized distribution, falls outside the tolerance (the test checks that it would)."""
from __future__ import annotations

import json

import pytest

from numina_exp.quantize import fidelity_report


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


def _hand_overall_and_layers(twin, quant, held):
    """Every overall metric in float64 from the two models' logits, and each layer type's pooled
    relative output error from hooks that feed the unquantized layer the quantized layer's own input."""
    import math
    from collections import defaultdict

    import torch
    from transformers import AutoModelForCausalLM

    ref = AutoModelForCausalLM.from_pretrained(str(twin), dtype=torch.float32).eval()
    q = AutoModelForCausalLM.from_pretrained(str(quant), dtype=torch.float32).eval()
    ref_mods = dict(ref.named_modules())
    sq = defaultdict(lambda: [0.0, 0.0])
    calls = defaultdict(int)

    def hook(name):
        def fn(module, inputs, output):
            y = ref_mods[name](inputs[0]).double()
            sq[name.split(".")[-1]][0] += float((output.double() - y).pow(2).sum())
            sq[name.split(".")[-1]][1] += float(y.pow(2).sum())
            calls[name.split(".")[-1]] += 1
        return fn

    hooks = [m.register_forward_hook(hook(n)) for n, m in q.named_modules() if hasattr(m, "qweight")]
    abs_sum = ref_abs = count = top1 = nll_r = nll_q = targets = 0.0
    max_abs, positions = 0.0, 0
    with torch.compiler.set_stance("force_eager"), torch.no_grad():
        for ids in held:
            x = torch.tensor([ids])
            a = ref(input_ids=x).logits[0].double()
            b = q(input_ids=x).logits[0].double()
            d = (a - b).abs()
            abs_sum += float(d.sum())
            ref_abs += float(a.abs().sum())
            count += d.numel()
            max_abs = max(max_abs, float(d.max()))
            top1 += float((a.argmax(-1) == b.argmax(-1)).sum())
            positions += len(ids)
            nxt = torch.tensor(ids[1:], dtype=torch.long)
            nll_r -= float(torch.log_softmax(a[:-1], -1).gather(1, nxt[:, None]).sum())
            nll_q -= float(torch.log_softmax(b[:-1], -1).gather(1, nxt[:, None]).sum())
            targets += len(ids) - 1
    for h in hooks:
        h.remove()
    overall = {"logit_abs_err_mean": abs_sum / count, "logit_abs_err_max": max_abs,
               "logit_rel_err_mean": abs_sum / ref_abs, "top1_agreement": top1 / positions,
               "ppl_unquantized": math.exp(nll_r / targets) if targets else 1.0,
               "ppl_quantized": math.exp(nll_q / targets) if targets else 1.0}
    overall["ppl_change_pct"] = 100 * (overall["ppl_quantized"] / overall["ppl_unquantized"] - 1)
    layers = {k: {"rel_output_err": math.sqrt(e / r), "layers": calls[k] // len(held)} for k, (e, r) in sq.items()}
    return overall, layers


def test_every_metric_is_the_hand_computed_one(pair, tmp_path):
    from numina_exp.quantize.fidelity import write_report

    twin, quant, held = pair
    report = fidelity_report(str(twin), str(quant), held)
    overall, layers = _hand_overall_and_layers(twin, quant, held)
    got = report["overall"]
    assert got["rows"] == len(held)
    assert (report["reference"], report["quantized"]) == (str(twin), str(quant))
    for key, want in overall.items():
        # float32 against float64: 1e-4 relative; the perplexity change is a small difference of two
        # perplexities, so it gets an absolute tolerance in percentage points (measured error 7e-5)
        tol = {"abs": 5e-4} if key == "ppl_change_pct" else {"rel": 1e-4, "abs": 1e-6}
        assert got[key] == pytest.approx(want, **tol), key
    # 2-bit weights: the two models disagree visibly, so a metric computed from the wrong model or
    # the wrong axis cannot pass by accident
    assert 0 < got["top1_agreement"] < 1 and got["ppl_quantized"] != pytest.approx(got["ppl_unquantized"], rel=1e-3)
    assert set(report["per_layer_type"]) == set(layers) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                            "up_proj", "down_proj"}
    for kind, want in layers.items():
        assert report["per_layer_type"][kind]["layers"] == want["layers"] >= 1, kind
        assert type(report["per_layer_type"][kind]["layers"]) is int, kind  # a count, "2" not "2.0" in the table
        assert report["per_layer_type"][kind]["rel_output_err"] == pytest.approx(want["rel_output_err"], rel=1e-3), kind
    # the layer count is per model, not per row: one row gives the same counts
    one = fidelity_report(str(twin), str(quant), held[:1])
    assert {k: v["layers"] for k, v in one["per_layer_type"].items()} == {k: v["layers"] for k, v in layers.items()}

    js, md = write_report(report, tmp_path, settings={"bits": 2})
    assert json.loads(js.read_text()) == json.loads(json.dumps({**report, "settings": {"bits": 2}}))
    text = md.read_text()
    assert f"{len(held)} held-out rows, {got['tokens']} tokens." in text and '"bits": 2' in text
    for line in (f"| KL(unquantized, quantized) per token | {got['kl_mean']:.3e} |",
                 f"| top-1 agreement | {100 * got['top1_agreement']:.2f}% |",
                 f"| perplexity quantized | {got['ppl_quantized']:.4f} ({got['ppl_change_pct']:+.3f}%) |",
                 f"| max abs logit error | {got['logit_abs_err_max']:.3e} |",
                 f"| q_proj | {report['per_layer_type']['q_proj']['layers']} | "
                 f"{report['per_layer_type']['q_proj']['rel_output_err']:.3e} |"):
        assert line in text, line


def test_the_shortest_rows_one_position_and_one_target(pair):
    """A one-token row has a position but nothing to predict; a two-token row has one target. Every average is
    over what exists: KL and top-1 over the one position, perplexity over the one target (1.0 with none)."""
    twin, quant, held = pair
    one = fidelity_report(str(twin), str(quant), [held[0][:1]])["overall"]
    fwd, _, _ = _hand_kl(twin, quant, [held[0][:1]])
    assert one["tokens"] == 1 and one["kl_mean"] == pytest.approx(fwd, rel=1e-4, abs=1e-9)
    hand_one, _ = _hand_overall_and_layers(twin, quant, [held[0][:1]])
    assert one["top1_agreement"] == hand_one["top1_agreement"] and one["ppl_unquantized"] == one["ppl_quantized"] == 1.0
    two = fidelity_report(str(twin), str(quant), [held[0][:2]])["overall"]
    hand_two, _ = _hand_overall_and_layers(twin, quant, [held[0][:2]])
    assert two["tokens"] == 2
    for key in ("ppl_unquantized", "ppl_quantized", "top1_agreement", "logit_abs_err_mean"):
        assert two[key] == pytest.approx(hand_two[key], rel=1e-4), key
    assert two["ppl_unquantized"] != pytest.approx(1.0, abs=1e-3)  # the one target is counted


def test_a_model_without_quantized_layers_is_refused_by_name(pair):
    twin, _, held = pair
    with pytest.raises(ValueError, match="has no quantized linear layer"):
        fidelity_report(str(twin), str(twin), held)
