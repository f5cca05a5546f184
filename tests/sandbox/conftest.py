"""Sandbox fixtures: both isolation levels, leak checks on the processes our workers started."""
import os
from pathlib import Path

import pytest

from numina_exp.sandbox import Executor, bwrap_available
from numina_exp.sandbox.isolation import marked_pids

LEVELS = ["bwrap", "process"]
FAST = dict(timeout_s=1.5, memory_mb=512, workers=2, max_output_bytes=65536, max_processes=32, tmpfs_mb=16)


def require_level(level: str) -> None:
    """Both levels run everywhere we test: a machine without bubblewrap fails here instead of skipping
    (make install puts it in; a CI run that silently tested one level would claim two)."""
    if level == "bwrap":
        assert bwrap_available(), "bubblewrap is not installed or cannot create namespaces here (apt-get install bubblewrap)"


def _stat(pid: int) -> tuple[int, list[str]]:
    with open(f"/proc/{pid}/stat") as f:
        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        cmd = f.read().decode(errors="replace").split("\0")
    return ppid, cmd


def _is_bwrap(pid: int) -> bool:
    try:
        return os.path.basename(_stat(pid)[1][0]) == "bwrap"
    except (OSError, IndexError):
        return False


def stray_processes(ex: Executor) -> list[tuple[int, list[str]]]:
    """Processes of `ex`'s workers that are neither a zygote nor its bwrap wrapper: a snippet's leftovers."""
    stray = []
    for token in ex.tokens:
        for pid in marked_pids(token):
            try:
                ppid, cmd = _stat(pid)
            except (OSError, ValueError):
                continue  # gone meanwhile
            if cmd and os.path.basename(cmd[0]) == "bwrap":
                continue
            if ppid == os.getpid() or _is_bwrap(ppid):  # the zygote itself
                continue
            stray.append((pid, cmd[:3]))
    return stray


def all_marked(ex: Executor) -> list[int]:
    return [p for t in ex.tokens for p in marked_pids(t)]


@pytest.fixture(scope="module", params=LEVELS)
def level(request) -> str:
    require_level(request.param)
    return request.param


@pytest.fixture(scope="module")
def ex(level):
    """One warm executor per isolation level for the module; nothing of it may survive close()."""
    e = Executor(isolation=level, rules="default", **FAST)
    yield e
    e.close()
    assert all_marked(e) == [], "processes left after Executor.close()"


@pytest.fixture
def clean(ex):
    """Run the test, then check the snippet left no process behind."""
    yield ex
    import time
    for _ in range(50):  # the zygote reaps right after the result; allow a moment
        stray = stray_processes(ex)
        if not stray:
            return
        time.sleep(0.02)
    pytest.fail(f"processes left behind: {stray}")


# An honest snippet that uses its whole budget (issue 23): a 200 MB array, 60 open files, a 2 MB file and 1.3 CPU
# seconds of work. Whatever a hostile snippet did before it in the same worker, this must print `budgets ok`.
BUDGETS = dict(FAST, workers=1, timeout_s=3.0, memory_mb=1024)
HONEST = (
    "import numpy as np, time\n"
    "a = np.ones(200 * 2**20 // 8)\nassert a.sum() == len(a)\ndel a\n"
    "files = [open(f'f{i}', 'w') for i in range(60)]\nfor f in files:\n    f.close()\n"
    "with open('big', 'wb') as f:\n    f.write(b'x' * (2 << 20))\n"
    "t = time.process_time()\nwhile time.process_time() - t < 1.3:\n    pass\n"
    "print('budgets ok')")


def assert_full_budgets(ex: Executor) -> None:
    r = ex.run([HONEST])[0]
    assert (r.status, r.stdout) == ("ok", "budgets ok\n"), (r.status, r.detail, r.stderr[-1500:])


def zygote_pid(token: str) -> int:
    """The worker's zygote (as the host sees it): the marked process running zygote.py that is not bwrap."""
    for pid in marked_pids(token):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) != b"bwrap" and any(a.endswith(b"zygote.py") for a in argv):
            return pid
    raise AssertionError(f"no zygote for worker {token}")
