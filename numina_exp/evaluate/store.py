"""Resume: per-problem results appended as they finish, and the generation log kept consistent.

A record is one JSON line, written with a single `write` + fsync once the problem is final, so after a
`kill -9` the file holds whole lines plus at most one partial last line. On restart `ResultStore`
drops that partial line, and `prune_generation_log` keeps only the log lines of problems that have a
record (a half-finished problem's lines are dropped, so it is regenerated once, without duplicates).
"""
from __future__ import annotations

import os
from pathlib import Path

from numina_exp.core.io import JsonlError, append_jsonl, atomic_write_jsonl, read_jsonl_numbered
from numina_exp.core.rundir import RunError

FIX = "Repair or delete the file (eval.resume=false starts over)."


class RunFileError(RunError, ValueError):
    """A run-dir file that cannot be read back (names the file and line)."""


def _read_lines(path: Path, check=None) -> tuple[list[dict], bool]:
    """Whole JSON lines; True if a torn last line (a write cut short by a crash) was skipped. A bad line
    anywhere else, or a record `check(record)` rejects (it returns the problem), raises RunFileError
    naming file and line."""
    if not path.exists():
        return [], False
    try:
        rows, torn = read_jsonl_numbered(path)
    except JsonlError as err:
        raise RunFileError(f"{err}; only a torn LAST line is expected after a crash. {FIX}") from None
    for line, rec in rows:
        problem = check(rec) if check else None
        if problem:
            raise RunFileError(f"{path}:{line}: {problem}. {FIX}")
    return [rec for _, rec in rows], torn


def check_record(rec: dict) -> str | None:
    """The problem with a per_problem.jsonl record, or None."""
    missing = [k for k in ("seed", "problem_id", "correct") if k not in rec]
    if missing:
        return f"missing keys {missing}"
    if not isinstance(rec["seed"], int) or isinstance(rec["seed"], bool):
        return f"seed must be an integer, got {rec['seed']!r}"
    if not isinstance(rec["problem_id"], (str, int)) or isinstance(rec["problem_id"], bool):
        return f"problem_id must be a string, got {rec['problem_id']!r}"
    if not isinstance(rec["correct"], bool):
        return f"correct must be true or false, got {rec['correct']!r}"
    if not isinstance(rec.get("copies", []), list):
        return f"copies must be a list, got {type(rec['copies']).__name__}"
    return None


def check_log_line(rec: dict) -> str | None:
    """The problem with a generation-log line (only what resume relies on: the problem id), or None."""
    if "problem_id" not in rec:
        return "missing key problem_id"
    return None


class ResultStore:
    """`per_problem.jsonl`: `key(record) = (seed, problem_id)`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        records, broken = _read_lines(self.path, check_record)
        if broken:
            atomic_write_jsonl(self.path, records)
        self.records: dict[tuple, dict] = {}
        for r in records:
            self.records[(int(r["seed"]), str(r["problem_id"]))] = r

    def done(self, seed: int) -> set[str]:
        return {pid for (s, pid) in self.records if s == int(seed)}

    def append(self, record: dict) -> None:
        key = (int(record["seed"]), str(record["problem_id"]))
        if key in self.records:
            raise RuntimeError(f"problem {key[1]} (seed {key[0]}) already has a result: refusing to record it twice")
        append_jsonl(self.path, [record])
        self.records[key] = record

    def finalize(self, order: list[tuple]) -> list[dict]:
        """Rewrite the file in the canonical (seed, suite) order: the same bytes whatever order the
        problems finished in, and whether or not the run was interrupted."""
        out = [self.records[k] for k in order if k in self.records]
        atomic_write_jsonl(self.path, out)
        return out


def prune_generation_log(path: str | os.PathLike, keep_ids: set[str]) -> int:
    """Drop lines of problems without a result (and a partial last line). Returns lines dropped."""
    path = Path(path)
    if not path.exists():
        return 0
    records, broken = _read_lines(path, check_log_line)
    kept = [r for r in records if str(r.get("problem_id")) in keep_ids]
    dropped = len(records) - len(kept)
    if dropped or broken:
        atomic_write_jsonl(path, kept)
    return dropped
