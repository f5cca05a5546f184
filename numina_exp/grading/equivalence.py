"""Answer equivalence: AIMO integers, numbers, and MATH expressions (math-verify in workers).

Kinds:

* ``"integer"`` -- both sides through :func:`aimo_integer` (round, keep >= 0, mod 1000) and then
  compared; a side the filter drops (None, unparsable, negative) never matches. This is how the
  AIMO notebook scored: the ground truth was also taken mod 1000, so a NEGATIVE gold (e.g. MATH's
  ``-15``) can never be matched by a filtered prediction.
* ``"numeric"`` -- ToRA/GSM8K style: both parse as floats after removing commas (and a trailing
  ``%`` or ``\\%``), equal within 1e-4 absolute. Pure Python, no workers.
* ``"math"`` -- math-verify (``parse`` + ``verify(gold, pred)``), run in long-lived worker processes
  with an OUTER per-item timeout enforced by the parent (math-verify's own signal-based timeout only
  works in a main thread, and towers of powers can take any grader forever). A timed-out comparison
  counts as NOT equivalent and is flagged in :class:`GradeResult` / counted in ``GraderPool.stats``.
  Fast paths without workers: equal :func:`canonical_key` -> True; two plain integers -> exact
  comparison; two plain decimals with equal value -> True. A trailing percent sign is dropped
  (MATH/ToRA convention: "50\\%" grades equal to 50).
"""
from __future__ import annotations

import atexit
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as _conn_wait
from pathlib import Path

from .aimo import aimo_integer
from .normalize import canonical_key

KINDS = ("integer", "numeric", "math")
_INT = re.compile(r"^[+-]?\d+$")
_DEC = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
_STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class GradeResult:
    equivalent: bool
    status: str = "ok"  # "ok", "fast_path", "timeout", "error: ...", "invalid"

    @property
    def timed_out(self) -> bool:
        return self.status == "timeout"


@dataclass
class PoolStats:
    graded: int = 0
    fast_path: int = 0
    cache_hits: int = 0
    worker_items: int = 0
    timeouts: int = 0
    errors: int = 0
    worker_restarts: int = 0
    timed_out_items: list = field(default_factory=list)  # (pred, gold) of the last 100 timeouts


def _to_float(s) -> float | None:
    if s is None:
        return None
    t = str(s).strip().replace(",", "").replace("\\%", "%").rstrip("%").strip().strip("$")
    try:
        x = float(t)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _local_grade(pred, gold, kind: str) -> GradeResult | None:
    """Decide without a worker where possible; None means "ask math-verify"."""
    if kind == "integer":
        p, g = aimo_integer(pred), aimo_integer(gold)
        if p is None or g is None:
            return GradeResult(False, "invalid")
        return GradeResult(p == g, "fast_path")
    if pred is None or gold is None:
        return GradeResult(False, "invalid")
    if kind == "numeric":
        p, g = _to_float(pred), _to_float(gold)
        if p is None or g is None:
            return GradeResult(False, "invalid")
        return GradeResult(abs(p - g) < 1e-4, "fast_path")
    if kind != "math":
        raise ValueError(f"unknown equivalence kind {kind!r}; expected one of {KINDS}")
    kp, kg = canonical_key(pred), canonical_key(gold)
    if kp == kg and kp != "":
        return GradeResult(True, "fast_path")
    if _INT.match(kp) and _INT.match(kg):
        return GradeResult(int(kp) == int(kg), "fast_path")
    if _DEC.match(kp) and _DEC.match(kg) and Decimal(kp) == Decimal(kg):
        return GradeResult(True, "fast_path")  # "50.0" vs "50" (a difference goes to math-verify)
    return None


def _for_worker(s: str) -> str:
    """What math-verify sees: the answer with a trailing percent sign removed (MATH convention,
    matching :func:`canonical_key`; math-verify would otherwise read "50\\%" as 0.5)."""
    t = s.rstrip()
    for pct in ("\\%", "%"):
        if t.endswith(pct):
            return t[: -len(pct)]
    return s


class _Slot:
    """One worker: ``python -m numina_exp.grading._worker <fd>`` joined to us by a socketpair.

    A plain subprocess (not ``multiprocessing``) so the caller's ``__main__`` is never re-imported
    and scripts need no ``if __name__ == "__main__"`` guard; it also works from threads.
    """

    def __init__(self):
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env.setdefault("OMP_NUM_THREADS", "1")
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "numina_exp.grading._worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.ready = False
        self.started = time.monotonic()
        self.item: int | None = None
        self.deadline = 0.0

    def kill(self) -> None:
        try:
            self.proc.kill()
        except Exception:  # noqa: BLE001
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()


class GraderPool:
    """A small pool of long-lived math-verify workers.

    Each worker grades many items; the parent gives each item ``timeout_s`` (the worker's own timer
    fires at 80 % of it so a slow item normally costs no restart). A worker still busy at the
    deadline -- or one that died -- is killed and replaced; its item is marked ``timeout`` (or
    ``error``) and grading continues. Results (not timeouts) are cached in the parent.
    """

    def __init__(self, workers: int = 2, timeout_s: float = 5.0, cache_size: int = 200_000,
                 inner_fraction: float = 0.8):
        self.workers = max(1, int(workers))
        # The worker's own timer fires at inner_fraction * timeout_s (> 1 disables it in effect,
        # leaving only the parent's kill -- used by the tests).
        self.inner_fraction = float(inner_fraction)
        self.timeout_s = float(timeout_s)
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._cache: dict[tuple, bool] = {}
        self._cache_size = cache_size
        self.stats = PoolStats()

    # -- lifecycle ------------------------------------------------------------------------------
    def _ensure_started(self, n: int) -> None:
        while len(self._slots) < n:
            self._slots.append(_Slot())

    def close(self) -> None:
        for s in self._slots:
            try:
                s.conn.send(None)
            except Exception:  # noqa: BLE001
                pass
        for s in self._slots:
            try:
                s.proc.wait(timeout=2)
                s.conn.close()
            except subprocess.TimeoutExpired:
                s.kill()
        self._slots = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- grading --------------------------------------------------------------------------------
    def grade(self, preds, golds, kind: str = "math", fast_path: bool = True) -> list[GradeResult]:
        """Grade pairs; ``fast_path=False`` sends every non-None ``math`` pair to math-verify."""
        preds, golds = list(preds), list(golds)
        if len(preds) != len(golds):
            raise ValueError(f"{len(preds)} preds but {len(golds)} golds")
        with self._lock:
            return self._grade(preds, golds, kind, fast_path)

    def _grade(self, preds, golds, kind, fast_path=True) -> list[GradeResult]:
        results: list[GradeResult | None] = [None] * len(preds)
        todo: dict[tuple, list[int]] = {}  # unique (pred, gold) -> positions
        st = self.stats
        for i, (p, g) in enumerate(zip(preds, golds)):
            st.graded += 1
            if fast_path or kind != "math" or p is None or g is None:
                local = _local_grade(p, g, kind)
            else:
                local = None
            if local is not None:
                st.fast_path += 1
                results[i] = local
                continue
            key = (_for_worker(str(p)), _for_worker(str(g)))
            if key in self._cache:
                st.cache_hits += 1
                results[i] = GradeResult(self._cache[key], "ok")
                continue
            todo.setdefault(key, []).append(i)
        if todo:
            for key, res in zip(todo, self._run_workers(list(todo))):
                if res.status == "ok":
                    if len(self._cache) >= self._cache_size:
                        self._cache.clear()
                    self._cache[key] = res.equivalent
                for i in todo[key]:
                    results[i] = res
        return results  # type: ignore[return-value]

    def _run_workers(self, items: list[tuple[str, str]]) -> list[GradeResult]:
        st = self.stats
        out: list[GradeResult | None] = [None] * len(items)
        n = min(self.workers, len(items))
        self._ensure_started(n)
        slots = self._slots[:n]
        nxt = 0
        done = 0
        inner = max(0.05, self.inner_fraction * self.timeout_s)
        while done < len(items):
            now = time.monotonic()
            for s in slots:
                if s.ready and s.item is None and nxt < len(items):
                    p, g = items[nxt]
                    try:
                        s.conn.send((nxt, p, g, inner))
                    except (BrokenPipeError, OSError):
                        self._replace(s)
                        continue
                    s.item, s.deadline = nxt, now + self.timeout_s
                    nxt += 1
            waits = [s.deadline if s.ready else s.started + _STARTUP_TIMEOUT_S for s in slots]
            budget = max(0.0, min(waits) - time.monotonic())
            for conn in _conn_wait([s.conn for s in slots], timeout=budget):
                s = next(x for x in slots if x.conn is conn)
                try:
                    idx, ok, status = conn.recv()
                except (EOFError, OSError):
                    if s.item is not None:
                        out[s.item] = GradeResult(False, "error: worker died")
                        st.errors += 1
                        done += 1
                    self._replace(s)
                    continue
                if idx == "ready":
                    s.ready = True
                    continue
                st.worker_items += 1
                if status == "timeout":
                    st.timeouts += 1
                    self._note_timeout(items[idx])
                elif status != "ok":
                    st.errors += 1
                out[idx] = GradeResult(ok, status)
                s.item = None
                done += 1
            now = time.monotonic()
            for s in slots:
                if s.ready and s.item is not None and now > s.deadline:
                    out[s.item] = GradeResult(False, "timeout")
                    st.timeouts += 1
                    st.worker_items += 1
                    self._note_timeout(items[s.item])
                    done += 1
                    self._replace(s)
                elif not s.ready and now > s.started + _STARTUP_TIMEOUT_S:
                    raise RuntimeError("math-verify grading worker failed to start")
        return out  # type: ignore[return-value]

    def _note_timeout(self, item) -> None:
        self.stats.timed_out_items.append(item)
        del self.stats.timed_out_items[:-100]

    def _replace(self, s: _Slot) -> None:
        """Kill ``s`` and start a fresh process in its place (the _Slot object is reused)."""
        s.kill()
        fresh = _Slot()
        s.__dict__.update(fresh.__dict__)
        self.stats.worker_restarts += 1


_DEFAULT: GraderPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool(workers: int = 2, timeout_s: float = 5.0) -> GraderPool:
    """A process-wide pool, started lazily, reused by :func:`is_equivalent` and friends."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = GraderPool(workers=workers, timeout_s=timeout_s)
            atexit.register(_DEFAULT.close)
        return _DEFAULT


def grade_batch_detailed(preds, golds, kind: str = "math", workers: int = 2,
                         timeout_s: float = 5.0, pool: GraderPool | None = None,
                         fast_path: bool = True) -> list[GradeResult]:
    """Grade many (pred, gold) pairs; see :class:`GradeResult` for the per-item status."""
    if kind != "math":  # no workers involved
        return [_local_grade(p, g, kind) for p, g in zip(preds, golds, strict=True)]
    if pool is None:
        pool = default_pool(workers=workers, timeout_s=timeout_s)
        pool.workers, pool.timeout_s = max(1, int(workers)), float(timeout_s)
    return pool.grade(preds, golds, kind, fast_path=fast_path)


def grade_batch(preds, golds, kind: str = "math", workers: int = 2, timeout_s: float = 5.0,
                pool: GraderPool | None = None) -> list[bool]:
    """``[is_equivalent(p, g, kind) for p, g in ...]`` with shared long-lived workers."""
    return [r.equivalent for r in grade_batch_detailed(preds, golds, kind, workers, timeout_s, pool)]


def is_equivalent_detailed(pred, gold, kind: str = "math", timeout_s: float = 5.0) -> GradeResult:
    return grade_batch_detailed([pred], [gold], kind, timeout_s=timeout_s)[0]


def is_equivalent(pred, gold, kind: str = "math", timeout_s: float = 5.0) -> bool:
    """True iff ``pred`` is equivalent to ``gold`` under ``kind`` (module docstring).

    ``math`` is NOT symmetric (math-verify treats its first argument as the gold). A timed-out
    comparison is False; use :func:`is_equivalent_detailed` to see that it timed out.
    """
    return is_equivalent_detailed(pred, gold, kind, timeout_s).equivalent
