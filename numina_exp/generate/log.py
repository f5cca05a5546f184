"""generations.jsonl: one line per generated segment (format in docs/generation_log.md; keep it stable).

    {"problem_id": str, "copy": int, "step": int, "text": str, "num_tokens": int,
     "finish_reason": str, "exec": {"status": str, "feedback": str} | null}

Lines are buffered and written by `flush()` (the decoder flushes once per finished problem), so a
problem is either fully in the file or not at all, up to a crash in the middle of one write.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional, Union

from ..core.io import JsonlError, append_jsonl, read_jsonl

FIELDS = ("problem_id", "copy", "step", "text", "num_tokens", "finish_reason", "exec")


class GenerationLog:
    """Append-only writer. `GenerationLog(None)` keeps nothing (a decode without a log)."""

    def __init__(self, path: Union[str, os.PathLike, None]):
        self.path = Path(path) if path is not None else None
        self._buffer: list[str] = []
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, problem_id: str, copy: int, step: int, text: str, num_tokens: int,
               finish_reason: str, exec: Optional[dict] = None) -> None:
        rec = {"problem_id": str(problem_id), "copy": int(copy), "step": int(step), "text": text,
               "num_tokens": int(num_tokens), "finish_reason": finish_reason,
               "exec": None if exec is None else {"status": exec["status"], "feedback": exec["feedback"]}}
        if self.path is not None:
            self._buffer.append(rec)

    def flush(self) -> None:
        if self.path is None or not self._buffer:
            self._buffer = []
            return
        append_jsonl(self.path, self._buffer)
        self._buffer = []

    def discard(self) -> None:
        """Drop buffered lines (a problem that did not finish)."""
        self._buffer = []

    def close(self) -> None:
        self.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def as_log(log: Union[GenerationLog, str, os.PathLike, None]) -> GenerationLog:
    return log if isinstance(log, GenerationLog) else GenerationLog(log)


def read_generations(path: Union[str, os.PathLike]) -> list[dict]:
    """All records in file order. A torn last line (a kill during a write) is skipped; any other bad
    line raises numina_exp.core.io.JsonlError naming the file and line."""
    out = []
    for i, rec in enumerate(read_jsonl(path), 1):
        missing = [k for k in ("problem_id", "copy", "step", "text") if k not in rec]
        if missing:
            raise JsonlError(path, i, f"missing keys {missing} (a generations.jsonl line has problem_id, copy, step, text)")
        rec["problem_id"] = str(rec["problem_id"])
        out.append(rec)
    return out


def index_generations(records: Iterable[dict]) -> dict:
    """(problem_id, copy, step) -> record (a later line for the same key wins)."""
    return {(r["problem_id"], int(r["copy"]), int(r["step"])): r for r in records}
