"""Isolation levels: how a worker's zygote is started, and what a snippet can see and touch.

- `bwrap`: the zygote runs in a bubblewrap sandbox whose root holds only what a snippet needs (the interpreter and
  its libraries, a few files of /etc, a minimal read-only /dev, a private size-capped /tmp and /dev/shm), every
  namespace unshared (no network, own PID namespace), no capabilities, no nested user namespaces.
- `process`: the zygote runs as a plain process; the kernel confines each snippet's child with Landlock (the
  same read list as bwrap's binds, writes only in its scratch dir), seccomp, no capabilities and no_new_privs.

Both levels apply the Landlock + seccomp confinement to every snippet (confine.py), and both run each worker in
its own cgroup when one can be made (cgroups.py). docs/sandbox.md has the table of what each level guarantees.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from numina_exp.core.errors import ConfigError

from . import confine

log = logging.getLogger(__name__)

ZYGOTE = Path(__file__).with_name("zygote.py")
TOKEN_VAR = "NUMINA_SANDBOX_TOKEN"  # marks every process of a worker (inherited environ; see kill_marked)
# What a snippet may read besides its interpreter: system libraries and the few files of /etc they open.
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc/ld.so.cache",
               "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")

# What each level does *not* guarantee; `auto` and explicit choices print it (docs/sandbox.md has the full table).
NOT_GUARANTEED = {
    "bwrap": "safety from kernel exploits and CPU side channels, a CPU share; without a writable cgroup (non-root) "
             "memory is bounded per process (RLIMIT_AS: an unmapped memfd escapes it) and processes per user "
             "(RLIMIT_NPROC, not for root)",
    "process": "a private /tmp (the scratch dir is in the host's /dev/shm, or its /tmp where /dev/shm is no tmpfs: "
               "then no total disk cap, max_file_mb is per file), hidden host pids; plus everything bwrap does not "
               "guarantee",
}


@functools.lru_cache(maxsize=None)
def bwrap_probe() -> tuple[bool, bool]:
    """(bubblewrap can build our sandbox here, it supports --disable-userns), tried once and cached."""
    exe = shutil.which("bwrap")
    if not exe:
        return False, False
    for userns in (True, False):
        argv = bwrap_argv(exe, tmpfs_mb=8, disable_userns=userns) + ["/bin/true"]
        try:
            ok = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                timeout=10, env=clean_env("probe")).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return True, userns
    return False, False


def bwrap_available() -> bool:
    """True when bubblewrap is installed *and* can actually build our sandbox here."""
    return bwrap_probe()[0]


@functools.lru_cache(maxsize=None)
def process_level_problem() -> str | None:
    """None when the `process` level can be made kernel-enforced here, else what is missing."""
    abi = confine.landlock_abi()
    if abi < 1:
        return "the kernel has no Landlock (Linux >= 5.13 with lsm=landlock)"
    problem = confine.seccomp_available()
    if problem:
        return problem
    return None


def resolve(isolation: str) -> str:
    """auto -> bwrap where it works, else process. A level that cannot run here is an error, never a fallback.
    Logs the level chosen and what it does not guarantee."""
    if isolation not in ("auto", "bwrap", "process"):
        raise ConfigError("sandbox.isolation", f"must be auto|bwrap|process, got {isolation!r}", "use auto")
    if confine.seccomp_available():
        raise ConfigError("sandbox.isolation", confine.seccomp_available(), "pip install -e . (pins pyseccomp)")
    if isolation in ("auto", "bwrap") and bwrap_available():
        mode = "bwrap"
    elif isolation == "bwrap":
        raise ConfigError("sandbox.isolation", "isolation=bwrap but bubblewrap is not installed or cannot create "
                          "namespaces here", "apt-get install bubblewrap (make install does), or set "
                          "sandbox.isolation=process")
    else:
        problem = process_level_problem()
        if problem:
            raise ConfigError("sandbox.isolation", f"isolation={isolation}: bubblewrap is unavailable and the "
                              f"process level cannot be enforced: {problem}", "install bubblewrap, or run on a "
                              "kernel with Landlock")
        mode = "process"
    log.warning("sandbox isolation=%s -> %s; not guaranteed at this level: %s", isolation, mode,
                NOT_GUARANTEED[mode])
    return mode


def clean_env(token: str, home: str = "/tmp") -> dict[str, str]:
    """The zygote's whole environment: nothing of the caller's (API keys, tokens) gets through."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "MPLBACKEND": "Agg", TOKEN_VAR: token,
    }


# Asked of the zygote's interpreter itself, as the zygote starts it (-I): where it is installed, what it imports
# from, and where it finds this package (a wheel puts it, suites and configs included, in site-packages).
_LAYOUT = ("import importlib.util, json, sys\n"
           "spec = importlib.util.find_spec('numina_exp')\n"
           "pkg = list(spec.submodule_search_locations or []) if spec else []\n"
           "print(json.dumps({'dirs': [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix] + sys.path,"
           " 'pkg': pkg}))")


@functools.lru_cache(maxsize=None)
def python_layout(python: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the directories the interpreter `python` needs: its prefixes (a venv and its base install) and the
    directories on its isolated sys.path; where it finds the numina_exp package)."""
    out = subprocess.run([python, "-I", "-c", _LAYOUT], capture_output=True, text=True, timeout=120,
                         env=clean_env("layout"), cwd="/")
    layout = json.loads(out.stdout) if out.returncode == 0 else {"dirs": [], "pkg": []}
    found = layout["dirs"] + [os.path.dirname(os.path.dirname(python))]
    dirs = tuple(sorted({p for p in found if p and os.path.isabs(p) and os.path.isdir(p)}))
    return dirs, tuple(layout["pkg"])


def python_dirs(python: str) -> tuple[str, ...]:
    return python_layout(python)[0]


def read_paths(python: str) -> list[str]:
    """Everything a snippet may read, as paths in the host's tree: the interpreter's install, the zygote's code
    (numina_exp/sandbox only, not the checkout), the system libraries. `hidden_paths` are cut out of it."""
    return sorted({*python_dirs(python), str(ZYGOTE.parent)}) + [p for p in SYSTEM_READ if os.path.lexists(p)]


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def hidden_paths(python: str) -> list[str]:
    """What lies inside `read_paths` but must stay unreadable: the numina_exp package (suites with their answers,
    configs, Mini-AIMO test files: package data under a wheel install) wherever this interpreter or the host
    imports it from, and the config tree. Only numina_exp/sandbox, the zygote's own code, is let back in."""
    import numina_exp
    from numina_exp.core.paths import conf_dir
    candidates = {*python_layout(python)[1], *numina_exp.__path__}
    try:
        candidates.add(str(conf_dir()))
    except FileNotFoundError:  # a copy without its config tree (a bare package): nothing to hide there
        pass
    roots = [os.path.realpath(p) for p in read_paths(python)]
    out = set()
    for c in candidates:
        real = os.path.realpath(c)
        if os.path.isdir(real) and any(_under(real, r) and real != r for r in roots):
            out.add(real)
    return sorted(h for h in out if not any(_under(h, o) and h != o for o in out))  # outermost only


def tmp_keep_paths(python: str = sys.executable) -> list[str]:
    """Read-only binds that land inside the private /tmp (a checkout or venv under the host's /tmp, as in CI
    clones): left alone by the per-snippet wipe of /tmp."""
    return sorted(p for p in read_paths(python) if p == "/tmp" or p.startswith("/tmp/"))


def bwrap_argv(exe: str, tmpfs_mb: int, disable_userns: bool | None = None, python: str = sys.executable) -> list[str]:
    """An empty read-only root with only `read_paths` bound read-only (at their own paths; symlinked ones such as
    a venv reached through a link, at both), a minimal read-only /dev, a private size-capped /tmp and /dev/shm,
    a new /proc, every namespace unshared (no network), no capabilities, killed with its parent."""
    if disable_userns is None:
        disable_userns = bwrap_probe()[1]
    size = str(int(tmpfs_mb) << 20)
    argv = [exe, "--unshare-all"]
    if disable_userns:
        argv += ["--unshare-user", "--disable-userns"]
    argv += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox"]
    tmp_binds = []
    for p in read_paths(python):
        if os.path.islink(p) and p in SYSTEM_READ:  # merged /usr: /bin -> usr/bin
            argv += ["--symlink", os.readlink(p), p]
            continue
        real = os.path.realpath(p)
        binds = [("--ro-bind", real, p)] + ([("--ro-bind", real, real)] if real != p else [])
        for b in binds:
            (tmp_binds if b[2] == "/tmp" or b[2].startswith("/tmp/") else argv).extend(b)
    argv += ["--dev", "/dev", "--proc", "/proc", "--size", size, "--tmpfs", "/tmp", "--size", size,
             "--tmpfs", "/dev/shm"]
    argv += tmp_binds  # after the private /tmp exists
    zygote_dir = str(ZYGOTE.parent)
    for h in hidden_paths(python):  # an empty read-only tmpfs over the package; its sandbox/ bound back
        argv += ["--tmpfs", h]
        if _under(os.path.realpath(zygote_dir), h):
            argv += ["--ro-bind", os.path.realpath(zygote_dir), os.path.realpath(zygote_dir)]
        argv += ["--remount-ro", h]
    argv += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    return argv


def landlock_paths(mode: str, python: str, scratch_root: str) -> dict:
    """The Landlock rules of a snippet (paths as the zygote sees them)."""
    if mode == "bwrap":  # inside the sandbox: its own /proc, private /tmp and /dev/shm
        read = read_paths(python) + ["/proc"]
        write = ["/tmp", "/dev/shm"]
    else:
        read = read_paths(python)
        write = [scratch_root]
    return {"read": read, "write": write, "devices": list(DEVICES), "hidden": hidden_paths(python)}


def worker_launch(mode: str, python: str, settings: dict, tmpfs_mb: int,
                  token: str | None = None) -> tuple[list[str], dict, str | None]:
    """(argv, env, host scratch dir to delete afterwards or None) for one worker's zygote."""
    token = token or uuid.uuid4().hex
    use_landlock = confine.landlock_abi() >= 1
    if mode == "bwrap":
        keep = tmp_keep_paths(python)
        settings = dict(settings, scratch_root="/tmp", wipe_dirs=["/tmp", "/dev/shm"], wipe_keep=keep,
                        mode="bwrap", strict=False, pdeathsig=True,
                        landlock=landlock_paths(mode, python, "/tmp") if use_landlock else None)
        argv = bwrap_argv(shutil.which("bwrap"), tmpfs_mb, python=python) + [python, "-I", "-B", str(ZYGOTE),
                                                                              json.dumps(settings)]
        return argv, clean_env(token), None
    host_dir = tempfile.mkdtemp(prefix=host_dir_prefix(), dir=scratch_parent())
    settings = dict(settings, scratch_root=host_dir, wipe_dirs=[host_dir], mode="process", strict=True, pdeathsig=True,
                    landlock=landlock_paths(mode, python, host_dir))
    argv = [python, "-I", "-B", str(ZYGOTE), json.dumps(settings)]
    return argv, clean_env(token, home=host_dir), host_dir


def host_dir_prefix(pid: int | None = None) -> str:
    """The name prefix of a `process` worker's host scratch dir: its owner (pid and start time), so that
    `sweep_host_dirs` can tell the dirs of an evaluator that died (kill -9) from those of a live one."""
    from .cgroups import _start_time
    pid = os.getpid() if pid is None else pid
    return f"numina-sandbox-{pid}.{_start_time(pid)}-"


def scratch_parent() -> str:
    """Where `process` workers put their scratch dirs: the host's /dev/shm when it is a writable tmpfs (a snippet's
    files are memory, charged to the worker's memory cgroup, and the per-snippet mkdir/create/wipe costs 0.08 ms
    there against 4 ms on this box's disk), else the temp dir."""
    shm = "/dev/shm"
    try:
        if os.access(shm, os.W_OK | os.X_OK) and os.statvfs(shm).f_bsize and _is_tmpfs(shm):
            return shm
    except OSError:
        pass
    return tempfile.gettempdir()


def _is_tmpfs(path: str) -> bool:
    try:
        with open("/proc/self/mounts") as f:
            return any(line.split()[1:3] == [path, "tmpfs"] for line in f)
    except OSError:
        return False


def sweep_host_dirs() -> int:
    """Remove the host scratch dirs of evaluators that died without cleaning up. Returns how many."""
    removed = 0
    for root in sorted({scratch_parent(), tempfile.gettempdir()}):
        removed += _sweep_in(root)
    return removed


def _sweep_in(root: str) -> int:
    from .wipe import remove_path
    removed = 0
    try:
        names = os.listdir(root)
    except OSError:
        return 0
    for n in names:
        if not n.startswith("numina-sandbox-"):
            continue
        owner = n[len("numina-sandbox-"):].split("-", 1)[0]
        pid, _, start = owner.partition(".")
        if not (pid.isdigit() and start) or n.startswith(host_dir_prefix(int(pid))):
            continue  # not ours to judge, or its owner is alive (same pid, same start time)
        removed += remove_path(os.path.join(root, n)) is None
    return removed


def marked_pids(token: str) -> list[int]:
    """Processes whose initial environment carries this worker's token (they descend from its zygote)."""
    needle = f"{TOKEN_VAR}={token}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    out.append(int(entry))
        except OSError:
            pass
    return out


def kill_marked(token: str, rounds: int = 50) -> None:
    """Kill every process marked with `token` (the backstop when a zygote died or hung and no cgroup holds the
    worker; a process that exec'd with a new environment is not found this way)."""
    import signal
    import time
    for _ in range(rounds):
        pids = marked_pids(token)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
