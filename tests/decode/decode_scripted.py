"""Scripted SC-TIR runs: texts per (problem, copy, step) served by the replay backend."""
from __future__ import annotations

from helpers import compose_cfg  # noqa: E402

from numina_exp.decode import make_decoder  # noqa: E402
from numina_exp.generate.replay import ReplayBackend  # noqa: E402
from numina_exp.sandbox.result import ExecResult  # noqa: E402

STOP = "```output\n"


def code(body: str = "print(6*7)") -> str:
    """A generation that writes a python block and asks for its output (ends with the stop string)."""
    return f"Let us compute.\n```python\n{body}\n```\n{STOP}"


def final(ans: str = "42") -> str:
    return f"\nThe result follows, so the answer is $\\boxed{{{ans}}}$."


class FakeExecutor:
    """Records the code it is asked to run; feedback from `fn(code)` (default: '42')."""

    def __init__(self, fn=None):
        self.fn = fn or (lambda c: "42")
        self.calls: list[str] = []

    def _one(self, c):
        self.calls.append(c)
        return ExecResult("ok", feedback=self.fn(c), elapsed_s=0.0)

    def run(self, codes):
        return [self._one(c) for c in codes]

    def submit(self, c):
        from concurrent.futures import Future
        f = Future()
        f.set_result(self._one(c))
        return f


class RecordingReplay(ReplayBackend):
    """Replay that also remembers the prompt it was given for each key."""

    def __init__(self, records):
        super().__init__(records=records)
        self.prompts: dict = {}
        self.calls = 0

    def generate(self, prompts, sampling, keys=None):
        self.calls += 1
        for p, k in zip(prompts, keys):
            self.prompts[(k.problem_id, k.copy, k.step)] = p
        return super().generate(prompts, sampling, keys)


def records(script: dict, pid: str = "p", execs: dict | None = None) -> list[dict]:
    """script: {copy: [text of step 0, text of step 1, ...]}; execs: {(copy, step): (status, feedback)}."""
    out = []
    for copy, texts in script.items():
        for step, text in enumerate(texts):
            if text is None:
                continue
            rec = {"problem_id": pid, "copy": copy, "step": step, "text": text, "num_tokens": max(1, len(text) // 4),
                   "finish_reason": "stop" if text.endswith(STOP) else "eos"}
            if execs and (copy, step) in execs:
                st, fb = execs[(copy, step)]
                rec["exec"] = {"status": st, "feedback": fb}
            out.append(rec)
    return out


def cfg_for(strategy: str = "sc_tir_numina", n: int = 1, m: int = 4, extra: list | None = None):
    return compose_cfg([f"decoding={strategy}", f"decoding.n={n}", f"decoding.m={m}", "backend=replay",
                        "backend.path=unused.jsonl", "model=tiny_llama", *(extra or [])])


def run(script: dict, n: int | None = None, m: int = 4, strategy: str = "sc_tir_numina", extra: list | None = None,
        executor=None, execs: dict | None = None, problem: str = "What is 6 times 7?", log=None, pid: str = "p"):
    n = n if n is not None else len(script)
    backend = RecordingReplay(records(script, pid=pid, execs=execs))
    ex = executor if executor is not None else FakeExecutor()
    dec = make_decoder(cfg_for(strategy, n, m, extra), backend=backend, executor=ex)
    (result,) = list(dec.decode([{"id": pid, "problem": problem}], seed=0, gen_log=log))
    return result, backend, ex
