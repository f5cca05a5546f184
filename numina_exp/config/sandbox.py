"""Schema of the `sandbox` group: how model-written python runs, and how its result is rendered."""
from dataclasses import dataclass
from enum import StrEnum


class Isolation(StrEnum):
    auto = "auto"  # bwrap where it works, else process
    bwrap = "bwrap"
    process = "process"


class SandboxRules(StrEnum):  # how tool output is rendered back to the model
    numina = "numina"  # the winning notebook, exactly
    default = "default"


@dataclass
class SandboxConfig:
    isolation: Isolation = Isolation.auto  # docs/sandbox.md
    rules: SandboxRules = SandboxRules.default
    timeout_s: float = 5.0  # wall clock per snippet, enforced from outside the snippet
    workers: int = 2  # parallel slots: one warm zygote (and, with bwrap, one sandbox) each
    memory_mb: int = 2048  # per snippet: the worker's memory cgroup (memfd, tmpfs too) where one can be made; RLIMIT_AS
    max_output_bytes: int = 65536  # captured per stream while the snippet runs; the rest is discarded
    max_feedback_chars: int = 200  # numina: 200 then " ... (output truncated)"; default: head+tail
    tmpfs_mb: int = 64  # size cap of the private /tmp (bwrap)
    max_processes: int = 64  # tasks (processes and threads) per snippet: the worker's pids cgroup; else RLIMIT_NPROC
    max_open_files: int = 256  # RLIMIT_NOFILE
    max_file_mb: int = 16  # RLIMIT_FSIZE
    cpu_s: float = 0.0  # RLIMIT_CPU per snippet; 0 = timeout_s + 1
    python: str = ""  # interpreter of the zygote; "" = the running one (needs numpy and sympy)
