"""Issue 23, classes 5 and 8: what a snippet is charged for. The CPU of every process it ran counts against its
timeout, including grandchildren reaped by an intermediate process (their time sat in its cutime, never read) and
processes the kernel reaped itself (SIGCHLD ignored: counted nowhere but the cgroup's cpuacct). `leftovers`
counts processes, not kill attempts."""
from numina_exp.sandbox import Executor

from .conftest import BUDGETS, assert_full_budgets

# The snippet's first process sleeps (its own clock runs at wall speed); an intermediate reaps four 0.5 CPU-s
# grandchildren, then lets the kernel reap two more; it stays alive while the first process exits.
HIDDEN_CPU = """
import os, signal, time
def burn(s):
    t = time.process_time()
    while time.process_time() - t < s:
        pass
r, w = os.pipe()
if os.fork() == 0:
    kids = []
    for _ in range(4):
        k = os.fork()
        if k == 0:
            burn(0.5)
            os._exit(0)
        kids.append(k)
    for k in kids:
        os.waitpid(k, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    done_r, done_w = os.pipe()
    for _ in range(2):
        if os.fork() == 0:
            os.close(done_r)
            burn(0.5)
            os._exit(0)  # done_w closes with it
    os.close(done_w)
    os.read(done_r, 1)  # EOF: both exited (and were reaped by the kernel)
    os.write(w, b'x')
    time.sleep(100)
os.read(r, 1)
print('done')
"""


def test_cpu_of_every_descendant_counts(level):
    with Executor(isolation=level, rules="default", **dict(BUDGETS, timeout_s=15.0)) as ex:
        assert ex.limits == "cgroup"
        r = ex.run([HIDDEN_CPU])[0]
        assert (r.status, r.stdout) == ("ok", "done\n"), (r.status, r.detail, r.stderr[-800:])
        # 3 CPU-s burnt by grandchildren on top of the first process's own (sleeping) wall time
        assert r.elapsed_s - r.wall_s > 2.6, (r.elapsed_s, r.wall_s)
        # the intermediate, still alive when the snippet ended (and a burner still in its exit, at most)
        assert 1 <= r.leftovers <= 3, r.leftovers
        assert_full_budgets(ex)


def test_leftovers_counts_processes_not_kill_attempts(level):
    code = ("import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        os.setsid()\n"
            "        import signal\n        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n        time.sleep(100)\n"
            "print('left 3')")
    with Executor(isolation=level, rules="default", **BUDGETS) as ex:
        rs = ex.run([code, code])
        assert [(r.status, r.stdout, r.leftovers) for r in rs] == [("ok", "left 3\n", 3)] * 2
