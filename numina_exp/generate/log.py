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

from ..core.io import JsonlError, append_jsonl, read_jsonl_numbered

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


class GenerationLogError(JsonlError):
    """A generation-log line that is not in the format of docs/generation_log.md (names file and line)."""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_generation_record(rec) -> str | None:
    """What is wrong with one generation-log line (format: docs/generation_log.md), or None."""
    if not isinstance(rec, dict):
        return f"not a JSON object ({type(rec).__name__})"
    missing = [k for k in ("problem_id", "copy", "step", "text") if k not in rec]
    if missing:
        return f"missing keys {missing}"
    if not (isinstance(rec["problem_id"], str) or _is_int(rec["problem_id"])):
        return f"problem_id must be a string, got {rec['problem_id']!r}"
    for k in ("copy", "step"):
        if not _is_int(rec[k]) or rec[k] < 0:
            return f"{k} must be an integer >= 0, got {rec[k]!r}"
    if not isinstance(rec["text"], str):
        return f"text must be a string, got {type(rec['text']).__name__}"
    if "num_tokens" in rec and not (_is_int(rec["num_tokens"]) and rec["num_tokens"] >= 0):
        return f"num_tokens must be an integer >= 0, got {rec['num_tokens']!r}"
    if "finish_reason" in rec and not isinstance(rec["finish_reason"], str):
        return f"finish_reason must be a string, got {rec['finish_reason']!r}"
    ex = rec.get("exec")
    if ex is not None and not (isinstance(ex, dict) and isinstance(ex.get("status", ""), str)
                               and isinstance(ex.get("feedback", ""), str)):
        return f"exec must be null or {{\"status\": str, \"feedback\": str}}, got {ex!r}"[:300]
    return None


def read_generations(path: Union[str, os.PathLike]) -> list[dict]:
    """All records in file order. A torn last line (a kill during a write, also inside a multi-byte
    character) is skipped; any other bad line (not JSON, a missing key, a wrong type) raises
    GenerationLogError (a core.io.JsonlError) naming the file and line."""
    out = []
    for line, rec in read_jsonl_numbered(path)[0]:
        problem = check_generation_record(rec)
        if problem:
            raise GenerationLogError(path, line, problem)
        rec["problem_id"] = str(rec["problem_id"])
        out.append(rec)
    return out


def index_generations(records: Iterable[dict]) -> dict:
    """(problem_id, copy, step) -> record (a later line for the same key wins)."""
    return {(r["problem_id"], int(r["copy"]), int(r["step"])): r for r in records}
