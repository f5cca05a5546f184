"""How many SC-TIR problems share the engine (`decoding.problems_in_flight`), and the admission window
that keeps results in input order with a bounded number of them held.

`auto` fills the batch the backend declares (`Backend.max_batch_sequences`) with whole problems of N
copies, where that cannot change a result (`Backend.batch_invariant`: per-request seeds, so a problem's
texts are the same whatever is decoded beside it). Elsewhere (hf: one sampling generator per batch) it
is 1, and the reason is logged once.

Results come out in input order. A problem that finished while an older one is still running is held
until the older one is out; without a bound a slow head-of-line problem would let every later problem
be decoded and held (the whole suite's copies in memory). `Window` admits problem i only while
i < oldest unfinished + k * max(m, 2): a barrier run's problems take at most m rounds, so in barrier mode
the bound never binds (at most (k - 1)(m - 1) problems can finish while the head runs), and pipelined
runs hold no more than that either.
"""
from __future__ import annotations

import logging
from typing import Iterable, Iterator

from omegaconf import OmegaConf

AUTO = "auto"
log = logging.getLogger("numina_exp")


def resolve(cfg, backend) -> tuple[int, str]:
    """(problems in flight, why) for cfg.decoding.problems_in_flight (an int >= 1 or "auto")."""
    d = cfg.decoding
    value = d.problems_in_flight
    if value != AUTO:
        return int(value), f"decoding.problems_in_flight={value}"
    if d.strategy not in ("sc_tir", "sc_tir_numina"):
        return 1, f"{d.strategy} batches problems itself (backend.batch_size prompts per generate call)"
    if OmegaConf.select(cfg, "eval.mode") == "kaggle_sim":
        return 1, "eval.mode=kaggle_sim costs each problem from its own seconds, which would overlap"
    name = OmegaConf.select(cfg, "backend.name") or type(backend).__name__
    if not backend.batch_invariant:
        return 1, (f"backend={name} draws sampling noise per batch, so a problem's samples would change with "
                   "the problems decoded beside it (set an int to batch problems anyway)")
    cap = backend.max_batch_sequences
    if not cap:
        return 1, f"backend={name} declares no batch size"
    n = int(d.n)
    k = max(1, int(cap) // n)
    note = getattr(backend, "capacity_note", f"{cap} sequences")
    return k, f"backend={name} runs {cap} sequences at once ({note}) / decoding.n={n}"


def hold_limit(k: int, m: int) -> int:
    """Problems admitted past the oldest unfinished one (see the module docstring)."""
    return k * max(int(m), 2)


class Window:
    """Admits problems in input order, at most `limit` positions past the oldest one not yet released,
    and releases finished problems in input order. `held` counts finished problems waiting for an older
    one; `max_held` is its peak."""

    def __init__(self, problems: Iterable, limit: int):
        self._pending: Iterator = iter(problems)
        self.limit = limit
        self.admitted = 0  # problems taken from the input so far (the next one's order)
        self.head = 0  # the oldest problem not released yet
        self._held: dict = {}
        self.max_held = 0

    def admit(self, free: int) -> list:
        out = []
        while len(out) < free and self.admitted < self.head + self.limit:
            p = next(self._pending, None)
            if p is None:
                break
            out.append(p)
            self.admitted += 1
        return out

    @property
    def held(self) -> int:
        return len(self._held)

    def finished(self, p) -> list:
        """`p` (with its input position `p.order`) is done: the problems now releasable, in order."""
        self._held[p.order] = p
        out = []
        while self.head in self._held:
            out.append(self._held.pop(self.head))
            self.head += 1
        self.max_held = max(self.max_held, len(self._held))
        return out
