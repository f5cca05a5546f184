"""Per-snippet resource limits, computed host-side and applied by the zygote's child (setrlimit)."""
from __future__ import annotations

import math
import os

from numina_exp.config.sandbox import SandboxConfig


def rlimits(cfg: SandboxConfig) -> dict[str, int]:
    """RLIMIT_* name -> value (soft = hard). RLIMIT_NPROC does not bind root: the zygote's fork budget does."""
    cpu = cfg.cpu_s if cfg.cpu_s > 0 else cfg.timeout_s + 1
    return {
        "RLIMIT_AS": int(cfg.memory_mb) << 20,
        "RLIMIT_CPU": max(1, math.ceil(cpu)),
        "RLIMIT_FSIZE": int(cfg.max_file_mb) << 20,
        "RLIMIT_NOFILE": int(cfg.max_open_files),
        # per *user*, counted system-wide: leave room for what the user already runs (ignored for root)
        "RLIMIT_NPROC": int(cfg.max_processes) + (0 if os.geteuid() == 0 else _user_processes()),
        "RLIMIT_CORE": 0,
    }


def _user_processes() -> int:
    uid, n = os.geteuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                n += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass
    return n
