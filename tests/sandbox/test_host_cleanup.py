"""Issue 23, item 8: an evaluator killed with SIGKILL cannot clean up; whatever it leaves (worker processes,
cgroups, `process`-level scratch dirs on the host's /tmp) is gone once the next evaluator starts."""
import glob
import os
import signal
import subprocess
import sys
import time

from numina_exp.sandbox import Executor
from numina_exp.sandbox.isolation import marked_pids, scratch_parent

from .conftest import FAST

EVALUATOR = ("import sys, time\nfrom numina_exp.sandbox import Executor\n"
             "ex = Executor(isolation=sys.argv[1], workers=2, timeout_s=3)\n"
             "print(ex.run(['print(1)', 'print(2)'])[1].stdout.strip(), ' '.join(ex.tokens), flush=True)\n"
             "time.sleep(300)\n")


def _ours(pattern: str, tokens: list) -> list:
    return [p for p in glob.glob(pattern, recursive=True) if any(t in p for t in tokens)]


def test_what_a_killed_evaluator_leaves_is_swept(level, repo_root):
    proc = subprocess.Popen([sys.executable, "-c", EVALUATOR, level], stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.DEVNULL, cwd=repo_root)
    first, *tokens = proc.stdout.readline().split()
    assert first == "2" and len(tokens) == 2
    host_dirs = {p for p in glob.glob(os.path.join(scratch_parent(), "numina-sandbox-*"))
                 if os.path.basename(p).split("-")[2].startswith(f"{proc.pid}.")}
    assert len(host_dirs) == (2 if level == "process" else 0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    left_cgroups = _ours("/sys/fs/cgroup/*/**/numina-sandbox-*", tokens)
    assert left_cgroups, "nothing to sweep: the test does not test"
    with Executor(isolation=level, **dict(FAST, workers=1)) as ex:  # the next evaluator
        assert ex.run(["print(3)"])[0].stdout == "3\n"
        assert _ours("/sys/fs/cgroup/*/**/numina-sandbox-*", tokens) == []
        assert [p for t in tokens for p in marked_pids(t)] == []
        assert not any(os.path.exists(d) for d in host_dirs)
