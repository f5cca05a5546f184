"""Isolation levels: how a worker's zygote is started (bwrap sandbox or a plain, rlimited process)."""
from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

ZYGOTE = Path(__file__).with_name("zygote.py")
TOKEN_VAR = "NUMINA_SANDBOX_TOKEN"  # marks every process of a worker (inherited environ; see kill_marked)
PROCESS_WARNING = ("sandbox isolation=process: containment is weaker than bwrap (no filesystem, "
                   "network or PID namespace; best-effort audit-hook guards, rlimits, own session, clean env)")


@functools.lru_cache(maxsize=None)
def bwrap_available() -> bool:
    """True when bubblewrap is installed *and* can actually build our sandbox here (tried once, cached)."""
    exe = shutil.which("bwrap")
    if not exe:
        return False
    argv = bwrap_argv(exe, tmpfs_mb=8) + ["/bin/true"]
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10, env=clean_env("probe")).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def resolve(isolation: str) -> str:
    """auto -> bwrap where it works, else process (with a warning). bwrap when unavailable is an error."""
    if isolation not in ("auto", "bwrap", "process"):
        raise ValueError(f"sandbox isolation must be auto|bwrap|process, got {isolation!r}")
    if isolation == "process":
        log.warning(PROCESS_WARNING)
        return "process"
    if bwrap_available():
        return "bwrap"
    if isolation == "bwrap":
        raise RuntimeError("sandbox isolation=bwrap but bubblewrap is not installed or cannot create namespaces "
                           "here (apt-get install bubblewrap; or use isolation=auto|process)")
    log.warning("bubblewrap is unavailable here; " + PROCESS_WARNING)
    return "process"


def clean_env(token: str, home: str = "/tmp") -> dict[str, str]:
    """The zygote's whole environment: nothing of the caller's (API keys, tokens) gets through."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "MPLBACKEND": "Agg", TOKEN_VAR: token,
    }


def tmp_keep_paths() -> list[str]:
    """What the zygote must still see under the private /tmp: the interpreter's install and the zygote
    script, when they live under the host's /tmp. Bound read-only, exactly these paths (not the whole
    checkout), and left alone by the per-snippet wipe of /tmp."""
    need = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, ZYGOTE.parent)}
    return sorted(p for p in need if p.startswith("/tmp/") and os.path.isdir(p))


def bwrap_argv(exe: str, tmpfs_mb: int) -> list[str]:
    """Read-only /, private size-capped /tmp and /dev/shm, new /proc and /dev, every namespace unshared (no
    network), no capabilities (even when started as root), killed with its parent. $HOME is hidden behind an
    empty read-only tmpfs, except the interpreter's own install if it lives there."""
    size = str(int(tmpfs_mb) << 20)
    argv = [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/dev/shm"]
    for p in tmp_keep_paths():  # a checkout or venv under /tmp (CI clones, scratch dirs): the zygote needs it
        argv += ["--ro-bind", p, p]
    home = os.path.realpath(os.path.expanduser("~"))
    if home not in ("/", "/tmp") and os.path.isdir(home):
        argv += ["--tmpfs", home]
        keep = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.executable)}
        for p in sorted(keep):
            if p.startswith(home + os.sep) and os.path.exists(p):
                top = home + os.sep + os.path.relpath(p, home).split(os.sep)[0]
                argv += ["--ro-bind", top, top]
        argv += ["--remount-ro", home]
    argv += ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
             "--hostname", "sandbox", "--chdir", "/tmp"]
    return argv


def worker_launch(mode: str, python: str, settings: dict, tmpfs_mb: int) -> tuple[list[str], dict, str | None]:
    """(argv, env, host scratch dir to delete afterwards or None) for one worker's zygote."""
    token = uuid.uuid4().hex
    if mode == "bwrap":
        settings = dict(settings, scratch_root="/tmp", wipe_dirs=["/tmp", "/dev/shm"], wipe_keep=tmp_keep_paths(),
                        mode="bwrap", strict=False, pdeathsig=True)
        argv = bwrap_argv(shutil.which("bwrap"), tmpfs_mb) + [python, "-I", "-B", str(ZYGOTE), _json(settings)]
        return argv, clean_env(token), None
    host_dir = tempfile.mkdtemp(prefix="numina-sandbox-")
    settings = dict(settings, scratch_root=host_dir, wipe_dirs=[], mode="process", strict=True, pdeathsig=True)
    argv = [python, "-I", "-B", str(ZYGOTE), _json(settings)]
    return argv, clean_env(token, home=host_dir), host_dir


def _json(obj) -> str:
    import json
    return json.dumps(obj)


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
    """Kill every process marked with `token` (process mode's backstop when a zygote died or hung)."""
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
