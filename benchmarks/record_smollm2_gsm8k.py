"""Record a real SC-TIR run for the replay benchmarks: SmolLM2-135M on GSM8K, N=16, M=4, no early stop.

    OMP_NUM_THREADS=2 VLLM_ENABLE_V1_MULTIPROCESSING=0 .venv/bin/python benchmarks/record_smollm2_gsm8k.py \
        --model DEMO_REAL_RUN/1_stage2_tir_lora/final [--problems 30] [--out benchmarks/data/smollm2_gsm8k_n16m4]

`--model` is a SmolLM2 checkpoint that writes tool-integrated solutions: the LoRA-merged model of
`make demo-real` (its `1_stage2_tir_lora/final`); `--model base` records the untuned
SmolLM2-135M-Instruct. The run is a plain `method=evaluate` through the CLI (vLLM, every problem of the
slice in flight, sandbox=numina executing every block, early_stop=none so every copy's history is
complete); its run dir is the recording. Replay it with
`benchmarks/early_stop_curves.py --run OUT` (tokens saved by early stop on real vote patterns) and
`benchmarks/sc_tir_replay.py --recording OUT` (barrier vs pipelined on the same texts).
The GSM8K problems are the first --problems of the test set that the shipped TIR sample (the
fine-tune's data) does not contain, as in demo_real.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="a SmolLM2 model dir, or 'base' for the untuned weights")
    ap.add_argument("--problems", type=int, default=30)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--m", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--in-flight", type=int, default=8, help="decoding.problems_in_flight")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "data" / "smollm2_gsm8k_n16m4"))
    args = ap.parse_args()
    model = [] if args.model == "base" else [f"model.path={Path(args.model).resolve()}"]
    cmd = [sys.executable, "-m", "numina_exp", "method=evaluate", "model=smollm2_135m", *model,
           "eval=gsm8k", f"eval.limit={args.problems}", "eval.seeds=[0]", "eval.nm_grid=true",
           "eval.exclude_problems_in=[${pkg:data/samples/tir_sample.jsonl},${pkg:data/samples/mmos_sample.jsonl}]",
           "decoding=sc_tir", f"decoding.n={args.n}", f"decoding.m={args.m}", "decoding.temperature=0.8",
           f"decoding.max_new_tokens={args.max_new_tokens}", "decoding.early_stop=none", "decoding.pipelining=false",
           "decoding.vote_equivalence=math", f"decoding.problems_in_flight={args.in_flight}",
           "sandbox=numina", "backend=vllm", "backend.enforce_eager=true", "backend.cpu_kvcache_gb=6",
           "backend.max_model_len=4096", f"hydra.run.dir={Path(args.out).resolve()}"]
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": os.environ.get("VLLM_ENABLE_V1_MULTIPROCESSING", "0")}
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env)
    print(f"recorded in {time.perf_counter() - t:.0f} s -> {args.out}")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
