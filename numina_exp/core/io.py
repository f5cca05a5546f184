"""File io every layer shares: jsonl readers that name file and line, fsync'd appends, atomic writes.

Append-only jsonl files (generation logs, per-problem results, samples) are written one line per
`write` and fsync'd, so a kill -9 can leave at most a torn *last* line: readers skip that one (it is
recomputed on resume) and fail loudly, naming file and line, on anything else that is not a JSON object."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterable, Iterator, TextIO


class JsonlError(ValueError):
    """A jsonl file that is not what its reader expects; the message names the file and the line."""

    def __init__(self, path, line: int, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        super().__init__(f"{path}:{line}: {problem}")


def read_jsonl(path: str | os.PathLike, *, torn_tail_ok: bool = True) -> list[dict]:
    """Every line as a dict. A final line without its newline that does not parse is a torn write
    (skipped when `torn_tail_ok`); any other bad line raises JsonlError(file, line)."""
    rows, torn = read_jsonl_torn(path)
    if torn and not torn_tail_ok:
        raise JsonlError(path, len(rows) + 1, "the last line is cut off (an interrupted write)")
    return rows


def read_jsonl_torn(path: str | os.PathLike) -> tuple[list[dict], bool]:
    """(rows, whether a torn last line was skipped)."""
    rows, torn = read_jsonl_numbered(path)
    return [row for _, row in rows], torn


def read_jsonl_numbered(path: str | os.PathLike) -> tuple[list[tuple[int, dict]], bool]:
    """([(line number, row)], whether a torn last line was skipped): for readers that check each row and
    must name the line. Lines are decoded one by one, so a write torn inside a multi-byte character
    (files written with ensure_ascii=False) is a torn last line too, not an encoding error."""
    path = Path(path)
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete = data.endswith(b"\n") or not data
    rows, torn = [], False
    for i, raw in enumerate(lines, 1):
        last = i == len(lines) and not complete
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            if last:
                torn = True
                break
            raise JsonlError(path, i, f"not UTF-8 ({err.reason} at byte {err.start} of the line)") from None
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            if last:
                torn = True
                break
            raise JsonlError(path, i, f"not JSON ({err.msg})") from None
        if not isinstance(row, dict):
            raise JsonlError(path, i, f"expected a JSON object, got {type(row).__name__}")
        rows.append((i, row))
    return rows, torn


def append_jsonl(path: str | os.PathLike, rows: Iterable[dict], fsync: bool = True) -> None:
    """Append rows, one `write` for the batch, then fsync: a kill leaves at most a torn last line, and a
    failed write (disk full) leaves the file as it was."""
    data = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    if not data:
        return
    data = data.encode("utf-8")
    with open(path, "ab", buffering=0) as f:  # unbuffered: nothing is left to flush after a failed write
        start = f.seek(0, os.SEEK_END)
        try:
            done = 0
            while done < len(data):
                done += f.write(data[done:])
            if fsync:
                os.fsync(f.fileno())
        except OSError:
            # A full disk (or a file-size limit) cut the batch: take the partial lines back, or the next
            # successful append would leave them as a bad line in the middle of the file.
            with contextlib.suppress(OSError):
                os.ftruncate(f.fileno(), start)
            raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[TextIO]:
    """A text file to write that appears at `path` only when the block ends: written under a per-process
    temporary name beside it, fsync'd, renamed over it; readers see the old or the new file, never half.
    Rows can be streamed (a large dataset is not held as one string)."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Disk full, a file-size limit, a row that cannot be written, Ctrl-C: the old file stays and no
        # `.tmpNNN` is left beside it.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path) as f:
        f.write(text)


def atomic_write_json(path: str | os.PathLike, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, default=str))


def atomic_write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    with atomic_open(path) as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
