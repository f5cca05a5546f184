"""Decoding strategies over a generation backend (the strategies and their capabilities:
decode/strategies.py; the backends: generate/backends.py).

The API (stable; evaluation codes against it)::

    decoder = make_decoder(cfg, backend=None, executor=None)   # builds both lazily from cfg.backend / cfg.sandbox
    for result in decoder.decode(problems, seed=0, gen_log="run/generations.jsonl"):
        result.to_json()        # {"problem_id", "answer", "votes", "copies", ...} one line of per_problem.jsonl
    decoder.close()             # or `with make_decoder(cfg) as decoder:`

* `problems`: dicts with `id` and `problem` (other keys, e.g. `answer`, are carried as `gold`).
* `seed`: the run seed; every request's sampling seed derives from (seed, problem id, copy, step).
* `gen_log`: a `GenerationLog`, a path (appended to), or None. One line per generated segment,
  flushed once per finished problem (format: docs/generation_log.md; reader: `read_generations`).
* Results are yielded as problems finish, in input order.
"""
from __future__ import annotations

import os
from typing import Iterable, Iterator, Optional, Union

from ..generate.log import GenerationLog, as_log, index_generations, read_generations
from .result import CopyResult, ProblemResult
from .strategies import Strategy, strategy_class

__all__ = ["Decoder", "make_decoder", "ProblemResult", "CopyResult", "GenerationLog", "read_generations",
           "index_generations"]


class Decoder:
    def __init__(self, cfg, backend=None, executor=None):
        self.cfg = cfg
        self.dcfg = cfg.decoding
        self._backend = backend
        self._executor = executor
        self._own_executor = executor is None
        # called with {"tokens", "live_problems", "active_copies"} after each SC-TIR step / poll, so a
        # progress bar moves while several problems are in flight (none of them has finished yet)
        self.on_progress = None

    # --- lazily built pieces ---------------------------------------------------------------------
    @property
    def backend(self):
        if self._backend is None:
            from numina_exp.generate.backends import backend_class
            self._backend = backend_class(self.cfg.backend.name)(self.cfg)
        return self._backend

    @property
    def strategy(self) -> type[Strategy]:
        """The class of decoding.strategy: its decode function and capability flags."""
        return strategy_class(self.dcfg.strategy)

    @property
    def executor(self):
        if self._executor is None:
            from numina_exp.sandbox import Executor
            self._executor = Executor.from_config(self.cfg.sandbox)
            if hasattr(self._executor, "__enter__"):
                self._executor = self._executor.__enter__() or self._executor
        return self._executor

    @property
    def chat_template(self) -> str:
        try:
            return self.cfg.model.chat_template
        except Exception:  # a config without a model section (replay from a bare script)
            return "numina"

    def prompt(self, problem: dict) -> str:
        from numina_exp.models.chat_template import render_prompt
        return render_prompt(problem["problem"], self.chat_template)

    # --- the one entry point -----------------------------------------------------------------------
    def decode(self, problems: Iterable[dict], seed: Optional[int] = None,
               gen_log: Union[GenerationLog, str, os.PathLike, None] = None) -> Iterator[ProblemResult]:
        strategy = self.strategy  # an unknown name fails here, before the log is touched
        seed = int(self.dcfg.seed if seed is None else seed)
        log = as_log(gen_log)
        problems = [dict(p, id=str(p["id"])) for p in problems]
        try:
            for result in strategy.decode(self, problems, seed, log):
                log.flush()
                yield result
        finally:
            log.discard()  # lines of a problem that did not finish

    def close(self) -> None:
        if self._executor is not None and self._own_executor:
            ex, self._executor = self._executor, None
            if hasattr(ex, "__exit__"):
                ex.__exit__(None, None, None)
            elif hasattr(ex, "close"):
                ex.close()
        if self._backend is not None:
            b, self._backend = self._backend, None
            b.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_decoder(cfg, backend=None, executor=None) -> Decoder:
    """A decoder for cfg.decoding; the backend (cfg.backend) and the executor (cfg.sandbox) are built on
    first use unless given (tests pass scripted ones)."""
    return Decoder(cfg, backend=backend, executor=executor)
