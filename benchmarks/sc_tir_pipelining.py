"""SC-TIR with a barrier after each step vs pipelined execution, same workload and seeds.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sc_tir_pipelining.py [--max-new-tokens 256]

Both runs use decoding=sc_tir with early_stop=none (so they do the same work): `pipelining=false`
(one batched generate per step, then all code, as in the notebook) and `pipelining=true` (requests
stream through one vLLM engine; a copy's code runs while the others generate). Per-request seeds make
the texts the same in both runs; the script checks that the answers agree and prints the wall ratio.
"""
from __future__ import annotations

from sc_tir_overhead import base_overrides, make_cfg, parse_args, problems, run_decode, setup_env, smollm_dir, split


def main() -> None:
    args = parse_args()
    setup_env()
    model_dir = smollm_dir(args.model_dir)
    from numina_exp.decode import make_decoder
    from numina_exp.generate.vllm import VLLMBackend
    from numina_exp.sandbox import Executor

    common = ["decoding=sc_tir", "decoding.early_stop=none", *base_overrides(model_dir, args.max_new_tokens, args.n, args.m)]
    cfg_barrier = make_cfg([*common, "decoding.pipelining=false"])
    cfg_pipe = make_cfg([*common, "decoding.pipelining=true"])
    backend = VLLMBackend(cfg_barrier)
    probs = problems(args.problems)
    rows = {}
    with Executor.from_config(cfg_barrier.sandbox) as ex:
        # warm-up: one short generate so neither timed run pays first-call costs
        make_decoder(cfg_barrier, backend=backend, executor=ex)
        from numina_exp.generate.base import Sampling
        backend.generate(["warm up"], Sampling(max_new_tokens=8))
        for name, cfg in (("barrier", cfg_barrier), ("pipelined", cfg_pipe)):
            dec = make_decoder(cfg, backend=backend, executor=ex)
            results, wall = run_decode(dec, probs, args.seed)
            rows[name] = (results, wall)
    print(f"sc_tir N={args.n} M={args.m}, {len(probs)} problems, max_new_tokens/step={args.max_new_tokens}, seed {args.seed}")
    print("| mode | wall s | generation s | execution (blocked) s | other s | tokens | code blocks | snippet run s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (results, wall) in rows.items():
        gen, exe, other = split(results, wall)
        print(f"| {name} | {wall:.1f} | {gen:.1f} | {exe:.1f} | {other:.1f} | {sum(r.tokens for r in results)} | "
              f"{sum(r.code_blocks for r in results)} | {sum(r.exec_cpu_s for r in results):.1f} |")
    (rb, wb), (rp, wp) = rows["barrier"], rows["pipelined"]
    same = [a.answer for a in rb] == [b.answer for b in rp]
    print(f"ratio barrier / pipelined wall: {wb / wp:.2f}x; same answers: {same}")
    backend.close()


if __name__ == "__main__":
    main()
