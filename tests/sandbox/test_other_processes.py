"""Issue 23, class 1: a snippet acts on its own process only. Landlock scopes signals and ptrace-class access, not
the calls that take a pid: prlimit64 lowered the zygote's hard limits (every later snippet of that worker ran with
them), the evaluator's and any same-uid process's. seccomp now refuses prlimit64, setpriority, sched_set* and
ioprio_set on any pid but 0 (the caller), at both levels; the next honest snippet keeps its whole budget."""
import json
import os
import resource
import subprocess

from numina_exp.sandbox import Executor

from .conftest import BUDGETS, all_marked, assert_full_budgets, zygote_pid

LIMITS = ("RLIMIT_AS", "RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_STACK")

# prlimit64(pid, resource, new, old) through libc (no Python guard in the way); then the other pid-taking calls.
ATTACK = """
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
class RL(ctypes.Structure):
    _fields_ = [('cur', ctypes.c_ulong), ('max', ctypes.c_ulong)]
out = {}
low = {9: 300 << 20, 7: 40, 1: 1 << 20, 6: 5, 3: 1 << 20}  # AS, NOFILE, FSIZE, NPROC, STACK
for who, pid in [('zygote', os.getppid()), ('victim', VICTIM)]:
    out[who + '_prlimit'] = [libc.syscall(302, pid, r, ctypes.byref(RL(v, v)), None) == 0 for r, v in low.items()]
    out[who + '_setpriority'] = libc.setpriority(0, pid, 19) == 0
    out[who + '_affinity'] = libc.syscall(203, pid, 8, ctypes.byref(ctypes.c_ulong(1))) == 0
    out[who + '_scheduler'] = libc.syscall(144, pid, 3, ctypes.byref(ctypes.c_int(0))) == 0  # SCHED_BATCH
    out[who + '_ioprio'] = libc.syscall(251, 1, pid, (3 << 13)) == 0  # IOPRIO_CLASS_IDLE
def err(rc):
    return ctypes.get_errno() if rc != 0 else 0
# PRIO_USER with who=0 means every process of our uid. Probed with values that change nothing even where the call
# goes through (nice -20 needs CAP_SYS_NICE, which a snippet lacks; a uid with no processes), so that the errno
# tells the filter (EPERM) from the kernel's own answer (EACCES, ESRCH) without renicing the machine.
out['user_setpriority'] = err(libc.setpriority(2, 0, -20))
out['user_ioprio'] = err(libc.syscall(251, 3, 65533, (2 << 13) | 4))
out['own_prlimit'] = libc.syscall(302, 0, 7, ctypes.byref(RL(100, 100)), None) == 0  # its own: allowed
print(json.dumps(out))
"""
REFUSED = {f"{w}_{k}": v for w in ("zygote", "victim") for k, v in
           [("prlimit", [False] * 5), ("setpriority", False), ("affinity", False), ("scheduler", False),
            ("ioprio", False)]}


def _zygote_pid(ex: Executor) -> int:
    return zygote_pid(ex._workers[0].token)


def _state(pid: int) -> dict:
    return {"limits": {n: resource.prlimit(pid, getattr(resource, n)) for n in LIMITS},
            "nice": os.getpriority(os.PRIO_PROCESS, pid), "affinity": os.sched_getaffinity(pid),
            "scheduler": os.sched_getscheduler(pid)}


def test_a_snippet_reaches_no_other_process_limits_and_the_next_keeps_its_budget(level):
    victim = subprocess.Popen(["sleep", "120"])  # another process of the evaluator's uid (root here)
    ex = Executor(isolation=level, rules="default", **BUDGETS)
    try:
        assert_full_budgets(ex)
        zygote = _zygote_pid(ex)
        before = {"zygote": _state(zygote), "victim": _state(victim.pid)}
        r = ex.run([ATTACK.replace("VICTIM", str(victim.pid))])[0]
        assert r.status == "ok", (r.detail, r.stderr[-1500:])
        assert_full_budgets(ex)  # the same worker, its limits untouched
        assert _zygote_pid(ex) == zygote  # (nothing restarted it)
        assert {"zygote": _state(zygote), "victim": _state(victim.pid)} == before
        got = json.loads(r.stdout)
        assert got == dict(REFUSED, user_setpriority=1, user_ioprio=1, own_prlimit=True), got  # 1: EPERM
    finally:
        ex.close()
        victim.kill()
        victim.wait()
    assert all_marked(ex) == []


def test_x32_and_i386_entry_points_do_not_bypass_the_filter(level):
    """The same prlimit64 through the x32 syscall numbers: the filter checks the architecture (a call from
    another ABI kills the caller) instead of letting it through unfiltered."""
    code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "rl = (ctypes.c_ulong * 2)(40, 40)\n"
            "print(libc.syscall(0x40000000 + 302, os.getppid(), 7, rl, None))")
    with Executor(isolation=level, rules="default", **BUDGETS) as ex:
        r = ex.run([code])[0]
        assert r.status == "killed" or r.stdout.strip() == "-1", (r.status, r.stdout)
        assert_full_budgets(ex)
