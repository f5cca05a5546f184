"""SC-TIR: N copies of the prompt, up to M generate -> execute steps each, majority vote (docs/sc_tir_spec.md).

`sc_tir_numina` is the winning notebook, decision by decision: every step is one batched generate
over the active copies, then the five rules (sc_tir_rules.decide) per copy, then the code of every
copy that asked for it runs, then the next step (a barrier after each step).

`sc_tir` makes the same decisions; options (each a decoding key):
* `early_stop=lossless`: stop a problem once no unfinished copy can change the winner (early_stop.py) -
  the answer is provably the one of the full run. `early_stop=adaptive` also stops once the posterior
  probability that the leader stays the leader reaches `early_stop_threshold` (lossy; never a default).
* `pipelining`: no barrier - a copy's code is submitted to the executor as soon as its generation
  ends, and its next generation is queued as soon as the result lands, while the other copies keep
  generating (vLLM: requests stream through one engine; other backends: whatever is pending is
  batched). Per-request seeds depend only on (seed, problem, copy, step), so both modes produce the
  same texts; the vote's pool order is by (finish step, copy index), not by wall time.
* the sandbox's `default` rendering rules (sandbox=default) and `math`-equivalence voting.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from typing import Iterator, Optional

from numina_exp.core.text import escape_invisible
from numina_exp.generate.base import GenKey, Sampling
from numina_exp.grading import extract_answer

from .early_stop import can_change, confident
from .in_flight import Window, hold_limit, resolve
from .result import CopyResult, ProblemResult
from .sc_tir_rules import STOP, decide
from .voting import pool_position, tally, vote_value


@dataclass
class _Copy:
    idx: int
    res: CopyResult
    text: str = ""  # generated so far since the last restart (the prompt is not included)
    step: int = 0  # the next generation call's step number
    active: bool = True
    answered_live: bool = False  # finish_on_answer=false: has a recorded answer but keeps going
    pending_exec: Optional[tuple] = None  # (key, completion) waiting for its execution result


@dataclass
class _Clock:
    gen: float = 0.0
    exec: float = 0.0
    exec_cpu: float = 0.0


def _exec_record(result) -> dict:
    # bidi overrides and zero-width characters a snippet printed reach the model and the log as visible escapes
    return {"status": result.status, "feedback": escape_invisible(result.feedback)}


class _Problem:
    """One problem's copies and the per-copy decisions; shared by the barrier and pipelined loops."""

    def __init__(self, dec, problem: dict, seed: int, order: int = 0):
        self.dec = dec
        self.order = order  # position in the input (results are yielded in input order)
        self.t0 = time.perf_counter()
        self.wall = 0.0
        self.rounds = 0  # barrier: steps taken by this problem's loop
        self.lines: list = []  # generation-log lines, written just before the problem's result is yielded
        d = self.d = dec.dcfg
        self.pid = problem["id"]
        self.problem = problem
        self.prompt = dec.prompt(problem)
        self.n, self.m = int(d.n), int(d.m)
        self.stop = d.stop[0] if d.stop else STOP
        self.sampling = Sampling(n=1, temperature=d.temperature, top_p=d.top_p, top_k=d.top_k,
                                 max_new_tokens=d.max_new_tokens, stop=list(d.stop) or [STOP],
                                 include_stop_in_output=d.include_stop_in_output, seed=seed)
        self.copies = [_Copy(i, CopyResult(copy=i)) for i in range(self.n)]
        self.clock = _Clock()
        self.code_blocks = 0
        self.early_stopped = False
        self.vote_seed = seed

    def key(self, c: _Copy) -> GenKey:
        return GenKey(self.pid, c.idx, c.step)

    def extract(self, full_text: str):
        if self.d.answer_rule == "numina":
            return extract_answer(full_text, "numina")
        return extract_answer(full_text[len(self.prompt):], self.d.answer_rule)

    def recorded_exec(self, key: GenKey):
        return self.dec.backend.recorded_exec(key)

    def log(self, key: GenKey, comp, exec_rec=None):
        self.lines.append((key.problem_id, key.copy, key.step, comp.text, comp.num_tokens,
                           comp.finish_reason, exec_rec))

    def finish(self) -> None:
        self.wall = time.perf_counter() - self.t0

    def after_generation(self, c: _Copy, comp) -> Optional[str]:
        """Apply the five rules to copy `c` after its generation `comp` of step c.step.
        Returns the code to execute (rule 5), else None (the copy was finished, reset or kept)."""
        step = c.step
        key = self.key(c)
        c.res.steps += 1
        c.res.tokens += comp.num_tokens
        c.text += comp.text
        last = step == self.m - 1
        dec = decide(self.prompt + c.text, last_step=last, restart_on_fail=self.d.restart_on_fail, stop=self.stop)
        ev = {"step": step, "event": dec.action, "rule": dec.rule}
        if dec.action == "execute":
            c.pending_exec = (key, comp)
            ev["event"] = "execute"
            c.res.history.append(ev)
            return dec.code
        self.log(key, comp)
        if dec.action == "restart":
            c.res.restarts += 1
            c.text = ""
            if last:
                c.active = False
        elif dec.action in ("discard", "prune_nocode", "fail"):
            # (finish_on_answer=false: an answer recorded earlier stays and still votes, as in the notebook)
            c.res.status, c.res.finish_step, c.active = "discarded", step, False
        elif dec.action == "answer":
            ans = self.extract(self.prompt + c.text)
            ev["answer"] = ans
            c.res.answer, c.res.value = ans, vote_value(ans, self.d)
            c.res.status, c.res.finish_step = "answered", step
            if self.d.finish_on_answer:
                c.active = False
            else:
                c.answered_live = True
                if last:
                    c.active = False
        elif dec.action == "keep":
            c.active = False
        c.res.history.append(ev)
        c.step += 1
        return None

    def after_exec(self, c: _Copy, exec_rec: dict, elapsed: float = 0.0) -> None:
        key, comp = c.pending_exec
        c.pending_exec = None
        self.log(key, comp, exec_rec)
        c.res.code_runs += 1
        self.code_blocks += 1
        self.clock.exec_cpu += elapsed
        c.res.history[-1]["exec_status"] = exec_rec["status"]
        c.text += f"{exec_rec['feedback']}\n```"
        c.step += 1

    # --- vote -------------------------------------------------------------------------------------
    def position(self, c: _Copy) -> tuple:
        return pool_position(c.res.status, c.res.finish_step, c.idx, self.m, self.d.finish_on_answer)

    def pool(self) -> list[_Copy]:
        return sorted(self.copies, key=self.position)

    def may_change(self) -> bool:
        finished, unfinished = [], []
        for c in self.copies:
            if c.active:
                unfinished.append((c.step, c.idx))
            else:
                finished.append((self.position(c), c.res.value))
        return can_change(finished, unfinished, self.d)

    def stop_now(self) -> bool:
        if not self.d.early_stop or not any(c.active for c in self.copies):
            return False
        if self.may_change() and not (self.d.early_stop == "adaptive" and self.leader_confident()):
            return False
        for c in self.copies:
            if c.active:
                c.active = False
                c.res.stopped_early = True
                c.pending_exec = None
        self.early_stopped = True
        return True

    def leader_confident(self) -> bool:
        """early_stop=adaptive: the votes fixed so far (finished copies) make the leader likely enough."""
        return confident([c.res.value for c in self.pool() if not c.active], self.d)

    def result(self, wall: float) -> ProblemResult:
        pool = self.pool()
        winner, votes, _ = tally([c.res.value for c in pool], self.d, seed=self.vote_seed)
        tokens = sum(c.res.tokens for c in self.copies)
        gen, ex = self.clock.gen, self.clock.exec
        return ProblemResult(
            problem_id=self.pid, strategy=self.d.strategy, answer=winner, votes=votes,
            copies=[c.res for c in self.copies], pool_order=[c.idx for c in pool],
            code_blocks=self.code_blocks, tokens=tokens, generation_s=gen, execution_s=ex,
            other_s=max(0.0, wall - gen - ex), wall_s=wall, exec_cpu_s=self.clock.exec_cpu,
            early_stopped=self.early_stopped, n=self.n, m=self.m, gold=self.problem.get("answer"))


def _report(dec, live, tokens: int) -> None:
    if dec.on_progress is not None:
        dec.on_progress({"tokens": tokens, "live_problems": len(live),
                         "active_copies": sum(c.active for p in live for c in p.copies)})


def _run_barrier(dec, queue: Window, k: int) -> Iterator[_Problem]:
    """Step-synchronous (the notebook): each round is one batched generate over the active copies of
    every live problem (each at its own step), then all their code runs, then the rules; up to k
    problems are live, a finished one is replaced from the queue at the next round."""
    backend, live, tokens = dec.backend, [], 0
    while True:
        live.extend(queue.admit(k - len(live)))
        if not live:
            return
        batch = [(p, c) for p in live for c in p.copies if c.active]
        if batch:
            t = time.perf_counter()
            outs = backend.generate([p.prompt + c.text for p, c in batch], live[0].sampling,
                                    [p.key(c) for p, c in batch])
            elapsed = time.perf_counter() - t
            for p in live:
                p.clock.gen += elapsed  # every live problem waited for the whole call
            tokens += sum(comps[0].num_tokens for comps in outs)
            to_run = []
            for (p, c), comps in zip(batch, outs):
                code = p.after_generation(c, comps[0])
                if code is not None:
                    rec = p.recorded_exec(p.key(c))
                    if rec is not None:
                        p.after_exec(c, rec)
                    else:
                        to_run.append((p, c, code))
            if to_run:
                t = time.perf_counter()
                results = dec.executor.run([code for _, _, code in to_run])
                elapsed = time.perf_counter() - t
                for p in {id(p): p for p, _, _ in to_run}.values():
                    p.clock.exec += elapsed
                for (p, c, _), r in zip(to_run, results):
                    p.after_exec(c, _exec_record(r), r.elapsed_s)
        _report(dec, live, tokens)
        keep = []
        for p in live:
            p.rounds += 1
            # a problem ends after M steps, when no copy is left, or when early stop says so
            if p.stop_now() or p.rounds >= p.m or not any(c.active for c in p.copies):
                p.finish()
                yield p
            else:
                keep.append(p)
        live = keep


def _run_pipelined(dec, queue: Window, k: int) -> Iterator[_Problem]:
    """No barrier: every copy of every live problem streams through one engine; a copy's code runs as
    soon as its generation ends and its next generation is queued as soon as the result lands. An
    active copy always has exactly one request or execution outstanding, so a problem is over when
    none of its copies is active (or early stop ends it: its outstanding work is cancelled)."""
    streamer = dec.backend.streamer()
    live: dict = {}  # problem id -> _Problem
    futures: dict = {}  # execution future -> (problem, copy)
    tokens = 0

    def submit_gen(p, c):
        streamer.submit(p.prompt + c.text, p.sampling, p.key(c))

    def admit():
        for p in queue.admit(k - len(live)):
            live[p.pid] = p
            for c in p.copies:
                submit_gen(p, c)

    try:
        admit()
        while live:
            if streamer.pending():
                t = time.perf_counter()
                outs = streamer.poll()
                elapsed = time.perf_counter() - t
                for p in live.values():
                    p.clock.gen += elapsed
            else:
                if not futures:  # an active copy always has work outstanding: a bug, not a hang
                    raise RuntimeError(f"SC-TIR pipelining: problems {sorted(live)} have active copies but "
                                       "no request or execution outstanding")
                t = time.perf_counter()
                wait(list(futures), return_when=FIRST_COMPLETED)
                elapsed = time.perf_counter() - t
                for p in {id(p): p for p, _ in futures.values()}.values():
                    p.clock.exec += elapsed
                outs = []
            if outs:
                tokens += sum(comp.num_tokens for _, comp in outs)
                _report(dec, list(live.values()), tokens)
            touched = set()
            for key, comp in outs:
                p = live.get(key.problem_id)
                if p is None:
                    continue  # its problem already ended (early stop)
                c = p.copies[key.copy]
                if not c.active or key.step != c.step:
                    continue  # cancelled by early stop
                touched.add(p.pid)
                code = p.after_generation(c, comp)
                if code is not None:
                    rec = p.recorded_exec(key)
                    if rec is not None:
                        p.after_exec(c, rec)
                        submit_gen(p, c)
                    else:
                        futures[dec.executor.submit(code)] = (p, c)
                elif c.active:
                    submit_gen(p, c)
            for f in [f for f in futures if f.done()]:
                p, c = futures.pop(f)
                if not c.active or p.pid not in live:
                    continue
                touched.add(p.pid)
                r = f.result()
                p.after_exec(c, _exec_record(r), r.elapsed_s)
                submit_gen(p, c)
            for pid in [pid for pid in live if pid in touched]:
                p = live[pid]
                if p.stop_now() or not any(c.active for c in p.copies):
                    del live[pid]
                    streamer.cancel(pid)
                    for f in [f for f, (q, _) in futures.items() if q is p]:
                        del futures[f]
                        f.cancel()  # a run already started finishes on its worker; its result is dropped
                    p.finish()
                    yield p
            admit()
    finally:
        streamer.cancel()
        for f in futures:
            f.cancel()


_log = logging.getLogger("numina_exp")


def decode(dec, problems: list[dict], seed: int, log) -> Iterator[ProblemResult]:
    """Up to `decoding.problems_in_flight` problems at once through one engine (`auto`: as many as fill
    the backend's batch, in_flight.resolve); each problem's decisions, texts (per-request seeds) and
    vote are those of decoding it alone. Results and their generation-log lines come out in input
    order, each problem's lines written just before its result; a problem is admitted only within
    in_flight.hold_limit of the oldest unfinished one, so few finished results wait behind a slow one."""
    d = dec.dcfg
    pipelined = dec.strategy.early_stop and d.pipelining  # a capability of sc_tir, not of the notebook
    k, why = resolve(dec.cfg, dec.backend)
    if getattr(dec, "in_flight", None) != (k, why):
        _log.info("[decode] %d problem(s) in flight: %s", k, why)
    dec.in_flight = (k, why)
    window = Window((_Problem(dec, problem, seed, order=i) for i, problem in enumerate(problems)),
                    hold_limit(k, int(d.m)))
    dec.window = window  # its counters (held results, their peak) stay readable after the run
    for p in (_run_pipelined if pipelined else _run_barrier)(dec, window, k):
        for q in window.finished(p):
            for rec in q.lines:
                log.append(*rec)
            yield q.result(q.wall)
