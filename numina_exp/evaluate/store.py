"""Resume: per-problem results appended as they finish, and the generation log kept consistent.

A record is one JSON line, written with a single `write` + fsync once the problem is final, so after a
`kill -9` the file holds whole lines plus at most one partial last line. On restart `ResultStore`
drops that partial line, and `prune_generation_log` keeps only the log lines of problems that have a
record (a half-finished problem's lines are dropped, so it is regenerated once, without duplicates).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable


def _read_lines(path: Path) -> tuple[list[dict], bool]:
    """Whole JSON lines; True if a trailing partial/garbled line was found (and skipped)."""
    if not path.exists():
        return [], False
    text = path.read_text(encoding="utf-8")
    out, broken = [], False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if i < len(lines) - 2:
                raise ValueError(f"{path}:{i + 1}: corrupt line in the middle of the file")
            broken = True
    if text and not text.endswith("\n"):
        broken = True
    return out, broken


def _atomic_write(path: Path, records: Iterable[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ResultStore:
    """`per_problem.jsonl`: `key(record) = (seed, problem_id)`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        records, broken = _read_lines(self.path)
        if broken:
            _atomic_write(self.path, records)
        self.records: dict[tuple, dict] = {}
        for r in records:
            self.records[(int(r["seed"]), str(r["problem_id"]))] = r

    def done(self, seed: int) -> set[str]:
        return {pid for (s, pid) in self.records if s == int(seed)}

    def append(self, record: dict) -> None:
        key = (int(record["seed"]), str(record["problem_id"]))
        if key in self.records:
            raise RuntimeError(f"problem {key[1]} (seed {key[0]}) already has a result: refusing to record it twice")
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.records[key] = record

    def finalize(self, order: list[tuple]) -> list[dict]:
        """Rewrite the file in the canonical (seed, suite) order: the same bytes whatever order the
        problems finished in, and whether or not the run was interrupted."""
        out = [self.records[k] for k in order if k in self.records]
        _atomic_write(self.path, out)
        return out


def prune_generation_log(path: str | os.PathLike, keep_ids: set[str]) -> int:
    """Drop lines of problems without a result (and a partial last line). Returns lines dropped."""
    path = Path(path)
    if not path.exists():
        return 0
    records, broken = _read_lines(path)
    kept = [r for r in records if str(r.get("problem_id")) in keep_ids]
    dropped = len(records) - len(kept)
    if dropped or broken:
        _atomic_write(path, kept)
    return dropped
