"""Grading worker process: long-lived, grades many (pred, gold) pairs with math-verify.

Protocol over a duplex Pipe: the worker sends ``("ready", None, None)`` once its imports are done,
then for each ``(idx, pred, gold, budget_s)`` it receives it answers ``(idx, equivalent, status)``
where status is ``"ok"``, ``"timeout"`` or ``"error: ..."``. ``None`` ends the worker.

math-verify's own timeouts use ``signal.alarm`` (main thread only); they are disabled here and this
worker arms its own interval timer per item instead, raising a BaseException that math-verify's
``except Exception`` handlers cannot swallow. Code stuck inside C (e.g. a huge integer power holding
the GIL) never sees the signal; the parent then kills and replaces this process.
"""
from __future__ import annotations

import logging
import signal
from functools import lru_cache


class _ItemTimeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _ItemTimeout()


def _wrap(s: str) -> str:
    """Give math-verify a boxed expression (its most reliable LaTeX target); fall back to ``$..$``
    when the braces are unbalanced (a box would swallow or drop text)."""
    depth = 0
    for c in s:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            break
    return f"\\boxed{{{s}}}" if depth == 0 else f"${s}$"


def main(conn) -> None:  # pragma: no cover - runs in a child process
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    from math_verify import parse, verify

    @lru_cache(maxsize=8192)
    def parse_gold(gold: str):
        return parse(_wrap(gold), parsing_timeout=None)

    @lru_cache(maxsize=8192)
    def parse_pred(pred: str):
        return parse(_wrap(pred), parsing_timeout=None)

    signal.signal(signal.SIGALRM, _on_alarm)
    conn.send(("ready", None, None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        idx, pred, gold, budget = msg
        try:
            signal.setitimer(signal.ITIMER_REAL, budget)
            try:
                g = parse_gold(gold)
                p = parse_pred(pred)
                ok = bool(verify(g, p, timeout_seconds=None))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            out = (idx, ok, "ok")
        except _ItemTimeout:
            out = (idx, False, "timeout")
        except Exception as e:  # noqa: BLE001 - any failure counts as not equivalent
            out = (idx, False, f"error: {type(e).__name__}: {e}"[:300])
        conn.send(out)


if __name__ == "__main__":  # pragma: no cover - started by equivalence._Slot
    import sys
    from multiprocessing.connection import Connection

    main(Connection(int(sys.argv[1])))
