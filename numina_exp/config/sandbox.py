"""Schema of the `sandbox` group: how model-written python runs, and how its result is rendered."""
from dataclasses import dataclass


@dataclass
class SandboxConfig:
    isolation: str = "auto"  # auto (bwrap where it works, else process) | bwrap | process
    rules: str = "default"  # numina (the winning notebook, exactly) | default
    timeout_s: float = 5.0
    workers: int = 2
    memory_mb: int = 2048  # RLIMIT_AS per snippet
    max_output_bytes: int = 65536  # captured per stream while the snippet runs
    max_feedback_chars: int = 200  # numina: 200 then " ... (output truncated)"
    tmpfs_mb: int = 64  # size cap of the private /tmp
    max_processes: int = 64
    max_open_files: int = 256
    max_file_mb: int = 16
