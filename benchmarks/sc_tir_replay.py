"""SC-TIR overhead and pipelining where code runs: a recorded real run replayed at the engine's speed.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sc_tir_replay.py [--run benchmarks/data/<name>] [--tok-s R]

The workload is a recorded SmolLM2 run (fine-tuned on TIR, so its copies write ```python blocks and
the output marker). `paced_replay.PacedReplay` serves its texts taking tokens / R seconds, R = the
tokens/s its engine measured in the recording (or --tok-s), and hides the recorded execution results,
so every block runs again in the sandbox (sandbox=numina, 2 workers). Two runs, same texts:
* barrier (the notebook's loop: one batched generate per step, then all code): the wall time split
  into generation / execution / other (rules, extraction, vote, log, glue). Target: other < 5 %.
* pipelined (a copy's code runs while the others generate; the streamer models continuous batching):
  wall time vs barrier, and the answers must be identical. Target: >= 1.3x.
"""
from __future__ import annotations

import argparse
import time

from paced_replay import PacedReplay
from recorded import DATA, cfg_for, load_recording


def run(cfg, rec, tok_s: float, executor):
    from numina_exp.decode import make_decoder

    backend = PacedReplay(rec.generations, tok_s)
    dec = make_decoder(cfg, backend=backend, executor=executor)
    t = time.perf_counter()
    results = list(dec.decode(rec.problems, seed=0))
    return results, time.perf_counter() - t, backend.slept


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default=None, help="recorded run dir (default: the first benchmarks/data/* recording)")
    ap.add_argument("--tok-s", type=float, default=None, help="engine tokens/s (default: measured in the recording)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    run_dir = args.run or sorted(str(p) for p in DATA.iterdir() if (p / "generations.jsonl").exists())[0]
    rec = load_recording(run_dir)
    tok_s = args.tok_s or rec.tokens_per_s

    from numina_exp.sandbox import Executor

    common = [f"sandbox.workers={args.workers}", "decoding.early_stop=none"]
    cfg_b = cfg_for(rec, common + ["decoding.pipelining=false"])
    cfg_p = cfg_for(rec, common + ["decoding.pipelining=true"])
    rows = {}
    with Executor.from_config(cfg_b.sandbox) as ex:
        ex.run(["print(1)"] * args.workers)  # warm the workers
        for name, cfg in (("barrier", cfg_b), ("pipelined", cfg_p)):
            rows[name] = run(cfg, rec, tok_s, ex)
    copies = len(rec.problems) * rec.n
    print(f"{rec.name}: {rec.config['model']['name']} on {rec.config['eval']['name']}, {len(rec.problems)} problems, "
          f"N={rec.n} M={rec.m}, replayed at {tok_s:.0f} tokens/s (measured in the recording), sandbox=numina "
          f"{args.workers} workers")
    print("| mode | wall s | generation s | execution (blocked) s | other s | other share | tokens | code blocks run | "
          "blocks per copy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, (results, wall, _) in rows.items():
        gen = sum(r.generation_s for r in results)
        exe = sum(r.execution_s for r in results)
        other = wall - gen - exe
        blocks = sum(r.code_blocks for r in results)
        print(f"| {name} | {wall:.1f} | {gen:.1f} | {exe:.1f} | {other:.2f} | {100 * other / wall:.2f} % | "
              f"{sum(r.tokens for r in results):,} | {blocks} | {blocks / copies:.2f} |")
    (rb, wb, _), (rp, wp, _) = rows["barrier"], rows["pipelined"]
    same = [a.answer for a in rb] == [b.answer for b in rp]
    gen, exe = sum(r.generation_s for r in rb), sum(r.execution_s for r in rb)
    print(f"barrier split: generation {100 * gen / wb:.1f} %, execution {100 * exe / wb:.1f} %, other "
          f"{100 * (wb - gen - exe) / wb:.2f} % (target < 5 %: {'yes' if (wb - gen - exe) / wb < 0.05 else 'NO'})")
    print(f"barrier / pipelined wall: {wb / wp:.2f}x (target >= 1.3x: {'yes' if wb / wp >= 1.3 else 'NO'}); "
          f"identical answers: {same}")


if __name__ == "__main__":
    main()
