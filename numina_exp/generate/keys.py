"""Checks of the keys only one backend reads (its `check_config`, generate/base.py): the endpoint of
backend=openai, the recording of backend=replay. Run at validation, before anything loads."""
from __future__ import annotations

import os

from omegaconf import DictConfig

from ..config.validate import _file, _positive
from ..core.errors import ConfigError


def check_openai(cfg: DictConfig) -> None:
    """An OpenAI-compatible endpoint: its URL, concurrency, retries and where the key is read from."""
    b = cfg.backend
    if not b.url or not str(b.url).startswith(("http://", "https://")):
        raise ConfigError("backend.url", f"backend={b.name} needs an http(s) URL, got {b.url!r}", "set backend.url=http://HOST:PORT/v1")
    _positive("backend.concurrency", b.concurrency)
    _positive("backend.retries", b.retries, 0)
    if b.request_timeout_s <= 0 or b.backoff_s < 0 or b.backoff_max_s < b.backoff_s:
        raise ConfigError("backend.request_timeout_s", "needs request_timeout_s > 0 and 0 <= backoff_s <= backoff_max_s",
                          "use e.g. request_timeout_s=120 backoff_s=1 backoff_max_s=30")
    if b.api_key_env and not os.environ.get(str(b.api_key_env)):
        raise ConfigError("backend.api_key_env", f"the environment variable {b.api_key_env} is not set",
                          f"export {b.api_key_env}=... (the key is read from there, never from the config)")


def check_replay(cfg: DictConfig) -> None:
    """Saved generations: the file exists and holds at least decoding.n copies of every problem."""
    if not cfg.backend.path:
        raise ConfigError("backend.path", f"backend={cfg.backend.name} replays saved generations", "set backend.path=RUN_DIR/generations.jsonl")
    _file("backend.path", cfg.backend.path)
    _replay_covers_width(cfg)


def _replay_covers_width(cfg: DictConfig) -> None:
    """Fail before decoding when the saved generations hold fewer copies per problem than decoding.n
    (depth and missing problems can only be known per problem; the backend names those). Reads past a
    torn last line; a line without a usable problem_id / copy is named with file and line (the full
    line format is checked by method=evaluate's own validate: numina_exp.evaluate.checks)."""
    from numina_exp.core.io import JsonlError, read_jsonl_numbered

    path = cfg.backend.path
    fix = "point backend.path at a generations.jsonl in the format of docs/generation_log.md (repair or drop that line)"
    try:
        rows, _ = read_jsonl_numbered(path)
    except JsonlError as err:
        raise ConfigError("backend.path", str(err), fix) from None
    except OSError as err:
        raise ConfigError("backend.path", f"cannot read {path}: {err}", "point it at a readable file") from None
    copies: dict[str, int] = {}
    for line, row in rows:
        pid, copy = row.get("problem_id"), row.get("copy")
        if isinstance(pid, bool) or not isinstance(pid, (str, int)):
            raise ConfigError("backend.path", f"{path}:{line}: problem_id must be a string, got {pid!r}"[:300], fix)
        if isinstance(copy, bool) or not isinstance(copy, int) or copy < 0:
            raise ConfigError("backend.path", f"{path}:{line}: copy must be an integer >= 0, got {copy!r}"[:300], fix)
        copies[str(pid)] = max(copies.get(str(pid), 0), copy + 1)
    if not copies:
        raise ConfigError("backend.path", f"{path} holds no generations", "point it at a non-empty generations.jsonl")
    width = min(copies.values())
    if cfg.decoding.n > width:
        raise ConfigError("decoding.n", f"{path} holds only {width} copies for some problems, decoding.n={cfg.decoding.n}",
                          f"set decoding.n<={width} (any n and m the file covers can be replayed)")
