"""Paths that a pipeline's earlier stages will produce. A pipeline validates every stage before the
first one starts; an input that a previous stage is still to write does not exist yet, so the
validators ask `exists()` here instead of the filesystem."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

_PLANNED: set[str] = set()


def _key(path) -> str:
    return str(Path(str(path)).expanduser().resolve())


def is_planned(path) -> bool:
    return _key(path) in _PLANNED


def exists(path) -> bool:
    return is_planned(path) or os.path.exists(os.path.expanduser(str(path)))


@contextmanager
def planned(paths):
    keys = {_key(p) for p in paths}
    new = keys - _PLANNED
    _PLANNED.update(new)
    try:
        yield
    finally:
        _PLANNED.difference_update(new)
