"""What one snippet run produced."""
from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("ok", "error", "timeout", "killed", "refused")


@dataclass
class ExecResult:
    status: str  # ok | error (non-zero exit) | timeout | killed (signal, or the worker died) | refused
    stdout: str = ""
    stderr: str = ""
    elapsed_s: float = 0.0  # the snippet's own run time, what the timeout counts: fork to exit, less the time it
    # waited for a CPU (machine load), plus the CPU time of its other threads and processes; never queueing
    wall_s: float = 0.0  # fork to exit on the wall clock
    feedback: str = ""  # text for the model's context, rendered by the active rules
    returncode: int | None = None  # negative: killed by that signal; None: never ran / no exit status
    truncated: bool = False  # stdout or stderr went past max_output_bytes (the rest was discarded)
    script_path: str = ""  # where the script lived inside the sandbox (tracebacks name it)
    detail: str = ""  # why, for timeout / killed / refused
    leftovers: int = 0  # processes the snippet left behind that the zygote killed
