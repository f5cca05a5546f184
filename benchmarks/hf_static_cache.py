"""The `hf` backend's inference ablation on a real model: static KV cache + torch.compile vs the dynamic
cache, SmolLM2-135M-Instruct on CPU (the write-up reports 2-3x on H100 for a 7B model).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/hf_static_cache.py [--prompts 4] [--max-new-tokens 64]

Greedy decoding of the same GSM8K prompts through `HFBackend` (backend=hf) in three settings: dynamic
cache (default), static cache, static cache + compile. The compiled run is timed after a warm-up call
(compilation is reported separately). Prints tokens/s, the ratio to the dynamic cache and whether the
greedy texts are identical.
"""
from __future__ import annotations

import argparse
import time

from sc_tir_overhead import make_cfg, setup_env, smollm_dir

SETTINGS = {"dynamic": [], "static": ["backend.static_cache=true"],
            "static+compile": ["backend.static_cache=true", "backend.compile=true"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--model-dir", default=None)
    args = ap.parse_args()
    setup_env()
    model_dir = smollm_dir(args.model_dir)
    from numina_exp.evaluate.suites import load_suite
    from numina_exp.generate.base import Sampling
    from numina_exp.generate.hf import HFBackend
    from numina_exp.models import load_model, load_tokenizer, render_prompt

    base = ["model=smollm2_135m", f"model.path={model_dir}", "backend=hf", f"backend.batch_size={args.prompts}"]
    cfg0 = make_cfg(base)
    rows = load_suite(make_cfg(base + ["eval=gsm8k", f"eval.limit={args.prompts}"]).eval)
    prompts = [render_prompt(r["problem"], "chatml") for r in rows]
    tok, model = load_tokenizer(cfg0), load_model(cfg0, device="cpu")
    sampling = Sampling(n=1, temperature=0.0, max_new_tokens=args.max_new_tokens)
    out = {}
    failed = {}
    for name, ov in SETTINGS.items():
        try:
            backend = HFBackend(make_cfg(base + ov), model=model, tokenizer=tok)
            t = time.perf_counter()
            backend.generate(prompts, sampling)  # warm-up (compilation for the compiled setting)
            warm = time.perf_counter() - t
            t = time.perf_counter()
            comps = backend.generate(prompts, sampling)
        except Exception as err:  # noqa: BLE001 - a setting that does not run here is a result too
            failed[name] = f"{type(err).__name__}: {err}"
            continue
        wall = time.perf_counter() - t
        toks = sum(c[0].num_tokens for c in comps)
        out[name] = (wall, toks, [c[0].text for c in comps], warm)
    w0, t0, texts0, _ = out["dynamic"]
    print(f"SmolLM2-135M-Instruct, hf backend, CPU fp32, 1 OMP thread, {len(prompts)} GSM8K prompts batched, greedy, "
          f"{args.max_new_tokens} new tokens max")
    print("| cache | tokens/s | vs dynamic | first call s (compile) | greedy texts identical |\n|---|---:|---:|---:|---|")
    for name, (wall, toks, texts, warm) in out.items():
        print(f"| {name} | {toks / wall:.1f} | {w0 / t0 * toks / wall:.2f}x | {warm:.1f} | {texts == texts0} |")
    for name, why in failed.items():
        print(f"| {name} | failed: {why[:160]} | | | |")


if __name__ == "__main__":
    main()
