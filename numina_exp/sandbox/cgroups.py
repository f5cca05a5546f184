"""One cgroup per sandbox worker, where the kernel lets us make one: the kernel-enforced process and memory
budget of a snippet, and a way to kill everything a worker ever started.

cgroup v1 `pids` and `memory` controllers, nested under the cgroup this process already lives in (never
above it: a worker must not escape the limits its evaluator runs under). Writable as root; elsewhere (and on
cgroup v2, whose "no internal processes" rule forbids nesting under a cgroup that holds us) `create` returns
None and the limits fall back to per-process rlimits (see docs/sandbox.md).

The worker's whole process tree joins at launch (bwrap, its init and the zygote: a `sh` prologue writes its own
pid into cgroup.procs and execs). Once the zygote is idle and ready, the limits become "what the idle worker
uses now + the snippet's budget": only one snippet runs in a worker at a time, so that is the snippet's budget.
Threads count as pids (the kernel counts tasks).
"""
from __future__ import annotations

import os
import signal
import time

ROOT = "/sys/fs/cgroup"
CONTROLLERS = ("pids", "memory")
OPTIONAL = ("cpuacct",)  # where writable: the CPU of every process the snippet ever ran, reaped by anyone
PREFIX = "numina-sandbox-"


def _own_path(controller: str) -> str | None:
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, names, path = line.rstrip("\n").split(":", 2)
                if controller in names.split(","):
                    return path
    except (OSError, ValueError):
        pass
    return None


def _write(path: str, value) -> None:
    with open(path, "w") as f:
        f.write(str(value))


def _read_int(path: str) -> int:
    with open(path) as f:
        return int(f.read().split()[0])


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def name_for(token: str) -> str:
    """A worker cgroup's name: its owner (pid and start time, so a reused pid is not mistaken for it) and token."""
    return f"{PREFIX}{os.getpid()}.{_start_time(os.getpid())}-{token}"


def _base(controller: str) -> str:
    own = _own_path(controller)
    return os.path.join(ROOT, controller) + (own if own and own != "/" else "")


def sweep() -> int:
    """Remove the worker cgroups of evaluators that died without cleaning up (kill -9): kill what is left in them,
    then rmdir. Those of a live owner are left alone. Returns how many were removed."""
    removed = 0
    for c in CONTROLLERS + OPTIONAL:
        base = _base(c)
        try:
            names = [n for n in os.listdir(base) if n.startswith(PREFIX)]
        except OSError:
            continue
        for n in names:
            owner = n[len(PREFIX):].split("-", 1)[0]
            pid, _, start = owner.partition(".")
            if pid.isdigit() and start and _start_time(int(pid)) == start:
                continue  # its evaluator is alive
            cg = WorkerCgroup({c: os.path.join(base, n)})
            cg.kill_all(timeout_s=1.0)
            cg.remove()
            removed += not os.path.exists(os.path.join(base, n))
    return removed


class WorkerCgroup:
    def __init__(self, dirs: dict[str, str]):
        self.dirs = dirs  # controller -> directory

    @classmethod
    def create(cls, name: str) -> "WorkerCgroup | None":
        dirs: dict[str, str] = {}
        for c in CONTROLLERS + OPTIONAL:
            d = os.path.join(_base(c), name)
            try:
                os.mkdir(d)
            except OSError:
                if c in OPTIONAL:
                    continue
                cls(dirs).remove()
                return None
            dirs[c] = d
        return cls(dirs)

    def open_cpu_usage(self) -> int | None:
        """A read-only fd of cpuacct.usage (ns of CPU by every task that ever ran in the worker), for the zygote,
        which cannot see /sys (bwrap); None without the cpuacct controller."""
        d = self.dirs.get("cpuacct")
        if d is None:
            return None
        try:
            return os.open(os.path.join(d, "cpuacct.usage"), os.O_RDONLY)
        except OSError:
            return None

    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.dirs.values()]

    def wrap(self, argv: list[str]) -> list[str]:
        """argv run as a member of this cgroup from its first instruction (so are all its descendants)."""
        files = self.procs_files()
        script = " && ".join(f'echo $$ > "${i + 1}"' for i in range(len(files))) + f' && shift {len(files)} && exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *files, *argv]

    def limit(self, max_tasks: int, memory_bytes: int) -> None:
        """Budget on top of what the (idle) worker uses right now."""
        pids = self.dirs["pids"]
        _write(os.path.join(pids, "pids.max"), _read_int(os.path.join(pids, "pids.current")) + max_tasks)
        mem = self.dirs["memory"]
        limit = _read_int(os.path.join(mem, "memory.usage_in_bytes")) + memory_bytes
        _write(os.path.join(mem, "memory.limit_in_bytes"), limit)
        memsw = os.path.join(mem, "memory.memsw.limit_in_bytes")
        if os.path.exists(memsw):  # no escape into swap either
            try:
                _write(memsw, limit)
            except OSError:
                pass

    def pids(self) -> list[int]:
        out = []
        for f in self.procs_files():
            try:
                with open(f) as fh:
                    out += [int(p) for p in fh.read().split()]
            except (OSError, ValueError):
                pass
        return sorted(set(out))

    def kill_all(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every process in the cgroup until none is left (no fork can outrun it: pids.max goes to 0
        first). True when it is empty."""
        pids_dir = self.dirs.get("pids")
        if pids_dir:
            try:
                _write(os.path.join(pids_dir, "pids.max"), 0)
            except OSError:
                pass
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            left = self.pids()
            if not left:
                return True
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.005)
        return not self.pids()

    def remove(self) -> None:
        for d in self.dirs.values():
            for _ in range(100):  # a killed process leaves its cgroup a moment after it is reaped
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        self.dirs = {}
