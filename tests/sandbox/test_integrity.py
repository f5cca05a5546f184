"""What one snippet must never do, at both isolation levels: reach its parent (memory, pipes, ptrace, protocol),
reach the host's files, exceed its budgets, escape through what audit hooks do not see, break the worker with odd
bytes, or lose its output at the timeout. Most probes go through ctypes/libc on purpose: the kernel has to say
no, not a Python-level guard."""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from numina_exp.sandbox import Executor

from .conftest import FAST, all_marked

LIBC = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"


def run1(ex, code):
    return ex.run([code])[0]


def results(r) -> dict:
    """The snippets below print one JSON dict of probe -> outcome as their last line."""
    assert r.status == "ok", (r.status, r.detail, r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture
def outside(repo_root):
    """A host directory outside any scratch space (and outside /tmp, which bwrap makes private)."""
    d = repo_root / f".sandbox_probe_{uuid.uuid4().hex[:8]}"
    d.mkdir()
    yield d
    subprocess.run(["rm", "-rf", str(d)], check=False)


@pytest.fixture
def one_worker(level):
    ex = Executor(isolation=level, rules="default", **dict(FAST, workers=1))
    yield ex
    ex.close()
    assert all_marked(ex) == []


# ---------------------------------------------------------------- 1. reach the parent
def test_parent_memory_fds_and_ptrace_are_out_of_reach(clean):
    code = LIBC + (
        "ppid, out = os.getppid(), {}\n"
        "for name, path, flags in [('mem', f'/proc/{ppid}/mem', os.O_RDWR), ('environ', f'/proc/{ppid}/environ', 0),\n"
        "                          ('reply_pipe', f'/proc/{ppid}/fd/1', os.O_WRONLY),\n"
        "                          ('request_pipe', f'/proc/{ppid}/fd/0', os.O_WRONLY)]:\n"
        "    out[name] = libc.open(path.encode(), flags) >= 0\n"
        "out['ptrace'] = libc.ptrace(16, ppid, 0, 0) == 0\n"  # PTRACE_ATTACH
        "out['process_vm_readv'] = libc.syscall(310, ppid, 0, 0, 0, 0, 0) == 0\n"
        "print(json.dumps(out))")
    assert results(run1(clean, "import json\n" + code)) == {
        "mem": False, "environ": False, "reply_pipe": False, "request_pipe": False, "ptrace": False,
        "process_vm_readv": False}
    assert run1(clean, "print(6 * 7)").stdout == "42\n"


def _reply_pipe_writer(w) -> int:
    """A write end of the zygote's reply pipe: what a snippet would have if it reached /proc/<zygote>/fd/1."""
    return os.open(f"/proc/self/fd/{w.proc.stdout.fileno()}", os.O_WRONLY)


def test_protocol_violations_kill_the_worker_not_the_run(one_worker):
    """Forged replies, garbage on the reply pipe, requests injected on the zygote's stdin: the snippet in flight gets
    `killed` (or runs untouched), Executor.run never raises, nothing forged is ever reported, the next snippet runs
    on a fresh worker."""
    ex = one_worker
    assert run1(ex, "print(1)").stdout == "1\n"
    next_id = ex._ids + 1
    forged = {"id": next_id, "event": "done", "returncode": 0, "timed_out": False, "stdout": "41\n", "stderr": "",
              "truncated": False, "elapsed": 0.01, "wall": 0.01, "leftovers": 0, "script_path": "/tmp/tmp.py"}
    fd = _reply_pipe_writer(ex._workers[0])
    # a forged result for the next snippet, then garbage (which made Executor.run raise before)
    os.write(fd, (json.dumps({"id": next_id, "event": "started", "pid": 1}) + "\n" + json.dumps(forged) + "\n").encode()
             + b"\xff\xfe not json at all\n")
    os.close(fd)
    rs = ex.run(["print(6 * 7)", "print(7 * 6)"])  # never raises
    assert rs[0].status == "killed" and "protocol" in rs[0].detail and rs[0].stdout == ""
    assert rs[1].stdout == "42\n"  # a fresh worker: the garbage went with the old one
    w = ex._workers[0]
    request = {"id": ex._ids + 1, "script": "print('FORGED')", "timeout": 5.0, "echo": False, "preload": False,
               "wall_limit": 20.0}
    w.proc.stdin.write((json.dumps(request) + "\n").encode())  # what a snippet holding /proc/<zygote>/fd/0 would do
    w.proc.stdin.flush()
    r = run1(ex, "print(6 * 7)")
    assert "FORGED" not in r.stdout and (r.stdout == "42\n" or r.status == "killed"), r
    assert [x.stdout for x in ex.run(["print(6 * 7)", "print(7 * 6)"])] == ["42\n", "42\n"]


# ---------------------------------------------------------------- 2. reach the host through the filesystem
def test_host_unix_sockets_are_not_connectable(clean):
    import socket
    path = f"/var/tmp/numina-probe-{uuid.uuid4().hex[:8]}.sock"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(0.3)
    try:
        code = LIBC + (
            "import struct\n"
            f"addr = struct.pack('H', 1) + {path.encode()!r}.ljust(108, b'\\0')\n"
            "fd = libc.socket(1, 1, 0)\n"
            "print('connected' if fd >= 0 and libc.connect(fd, addr, len(addr)) == 0 else 'refused')")
        r = run1(clean, code)
        assert r.stdout.strip() == "refused"
        with pytest.raises(OSError):
            srv.accept()
    finally:
        srv.close()
        os.unlink(path)


def test_checkout_data_outputs_and_dev_are_out_of_reach(clean, repo_root, outside):
    (outside / "answers.jsonl").write_text('{"answer": 42}\n')
    suites = sorted((repo_root / "numina_exp" / "data" / "suites").glob("*.jsonl"))
    assert suites, "the repository ships suites"
    probe = f"/dev/numina_probe_{uuid.uuid4().hex[:8]}"
    code = LIBC + (
        "import json\nout = {}\n"
        f"for name, path in [('suite', {str(suites[0])!r}), ('outside', {str(outside / 'answers.jsonl')!r}),\n"
        f"                   ('home', os.path.expanduser('~root/.bashrc')), ('checkout', {str(repo_root / 'README.md')!r})]:\n"
        "    out[name] = libc.open(path.encode(), 0) >= 0\n"
        f"fd = libc.open({probe.encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644)\n"
        "out['dev_write'] = fd >= 0\n"
        "out['userns'] = libc.unshare(0x10000000) == 0\n"  # CLONE_NEWUSER
        "print(json.dumps(out))")
    try:
        assert results(run1(clean, code)) == {"suite": False, "outside": False, "home": False, "checkout": False,
                                               "dev_write": False, "userns": False}
    finally:
        if os.path.exists(probe):
            os.unlink(probe)
    assert not os.path.exists(probe)
    r = run1(clean, f"import os\nprint(os.path.exists({probe!r}))")
    assert r.stdout == "False\n"


# ---------------------------------------------------------------- 3. budgets the kernel enforces
def test_memfd_memory_counts_against_memory_mb(clean):
    # 15 MB each (under RLIMIT_FSIZE), 60 of them: 900 MB > memory_mb=512, none of it mapped (RLIMIT_AS sees none)
    code = ("import os\nfds = []\nfor i in range(60):\n    fd = os.memfd_create(f'm{i}')\n"
            "    os.write(fd, b'x' * (15 << 20))\n    fds.append(fd)\nprint('held', len(fds) * 15, 'MB')")
    r = run1(clean, code)
    assert "held" not in r.stdout and r.status in ("killed", "error"), (r.status, r.stdout, r.stderr[-500:])
    assert run1(clean, "print(6 * 7)").stdout == "42\n"
    assert clean.limits == "cgroup"  # what bounds it: the worker's memory cgroup (root; docs/sandbox.md)


def test_forks_through_libc_and_subprocess_stay_within_max_processes(clean):
    budget = FAST["max_processes"]
    code = LIBC + (
        "import subprocess, json\nn = 0\nfor _ in range(3 * %d):\n    pid = libc.fork()\n"
        "    if pid == 0:\n        libc.pause()\n        os._exit(0)\n    if pid < 0:\n        break\n    n += 1\n"
        "m = 0\nfor _ in range(3 * %d):\n    try:\n        subprocess.Popen(['/bin/sleep', '100'])\n        m += 1\n"
        "    except OSError:\n        break\n"
        "print(json.dumps({'libc': n, 'subprocess': m}))") % (budget, budget)
    got = results(run1(clean, code))
    assert clean.limits == "cgroup"  # what counts them: the worker's pids cgroup (root; docs/sandbox.md)
    assert 1 <= got["libc"] < budget and got["libc"] + got["subprocess"] < budget, got


# ---------------------------------------------------------------- 4. what audit hooks never saw
def test_writes_outside_scratch_through_dir_fd_links_sqlite_and_exec(clean, outside):
    code = LIBC + (
        "import json, sqlite3, _posixsubprocess\nout = {}\n"
        "def attempt(name, f):\n    try:\n        f()\n        out[name] = True\n    except Exception:\n"
        "        out[name] = False\n"
        f"d = {str(outside)!r}\n"
        "def dir_fd():\n    fd = os.open(d, os.O_RDONLY)\n"
        "    os.close(os.open('via_dir_fd', os.O_WRONLY | os.O_CREAT, dir_fd=fd))\n"
        "def hard_link():\n    open('mine', 'w').close()\n"
        "    os.link('mine', 'via_link', dst_dir_fd=os.open(d, os.O_RDONLY))\n"
        "def sqlite():\n    sqlite3.connect(d + '/via.sqlite').execute('create table t (x)')\n"
        "def fork_exec():\n    r, w = os.pipe()\n"
        "    pid = _posixsubprocess.fork_exec([b'/bin/sh', b'-c', ('echo x > ' + d + '/via_exec').encode()],\n"
        "        [b'/bin/sh'], True, (w,), None, [b'PATH=/bin'], -1, -1, -1, -1, -1, -1, r, w, True, True, -1,\n"
        "        None, None, None, -1, None, False)\n    os.close(w)\n    os.waitpid(pid, 0)\n"
        "def system():\n    libc.system(('echo x > ' + d + '/via_system').encode())\n"
        "for name, f in [('dir_fd', dir_fd), ('link', hard_link), ('sqlite', sqlite), ('fork_exec', fork_exec),\n"
        "                ('system', system)]:\n    attempt(name, f)\n"
        "print(json.dumps(out))")
    results(run1(clean, code))
    assert sorted(os.listdir(outside)) == []


def test_signals_and_proc_of_the_evaluator_are_out_of_reach(clean, monkeypatch):
    monkeypatch.setenv("NUMINA_TEST_SECRET", "s3cret-value")  # the zygote gets a clean env; /proc must not leak ours
    victim = subprocess.Popen(["sleep", "60"])
    try:
        code = LIBC + (
            "import json, signal\nout = {}\n"
            f"try:\n    signal.pidfd_send_signal(os.pidfd_open({victim.pid}), 9)\n    out['pidfd_kill'] = True\n"
            "except OSError:\n    out['pidfd_kill'] = False\n"
            f"out['kill'] = libc.kill({victim.pid}, 9) == 0\n"
            f"fd = libc.open(b'/proc/{os.getpid()}/environ', 0)\nbuf = ctypes.create_string_buffer(1 << 16)\n"
            "out['environ'] = fd >= 0 and b's3cret' in buf.raw[:max(libc.read(fd, buf, 1 << 16), 0)]\n"
            "print(json.dumps(out))")
        assert results(run1(clean, code)) == {"pidfd_kill": False, "kill": False, "environ": False}
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_orphans_that_shed_their_marks_die_with_the_worker(clean):
    """A grandchild in its own session that exec'd with an empty environment (no worker token to find it by), and
    a snippet that then tries to kill its zygote: the orphan still dies with the snippet."""
    marker = f"{uuid.uuid4().int % 10**6 + 10**6}.5"  # a unique `sleep` argument to find it by
    code = LIBC + (
        "if libc.fork() == 0:\n    os.setsid()\n    if libc.fork() == 0:\n"
        f"        libc.execve(b'/bin/sleep', (ctypes.c_char_p * 3)(b'sleep', b'{marker}', None),\n"
        "                    (ctypes.c_char_p * 1)(None))\n    os._exit(0)\n"
        "import time\ntime.sleep(0.3)\nlibc.kill(os.getppid(), 9)\ntime.sleep(0.3)\nprint('done')")
    try:
        clean.run([code])
        # the kill is sent when the snippet ends; wait (bounded) for the orphan to be gone instead of a fixed
        # sleep that a loaded box can outlast. An orphan nobody kills sleeps for days: it is still here at 10 s.
        deadline = time.monotonic() + 10
        while _processes_with_arg(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        survivors = _processes_with_arg(marker)
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
    assert survivors == []


def _processes_with_arg(arg: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if arg.encode() in f.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                pass
    return found


# ---------------------------------------------------------------- 5. odd bytes
def test_lone_surrogates_in_code_do_not_break_the_worker(clean):
    starts = [w.starts for w in clean._workers]
    rs = clean.run(["s = 'a\ud800b'\nprint(len(s), s.encode().hex())", "x = 1\ud800", "emoji = '\ud83d\ude00'\nprint(emoji)",
                    "print(6 * 7)"])
    assert [r.status for r in rs] == ["ok", "error", "ok", "ok"], [(r.status, r.detail, r.stderr) for r in rs]
    assert rs[0].stdout == "3 61efbfbd62\n"  # the lone surrogate became U+FFFD
    assert "SyntaxError" in rs[1].stderr
    assert rs[2].stdout == "\U0001F600\n"  # a proper surrogate pair is the character
    assert rs[3].stdout == "42\n"
    assert [w.starts for w in clean._workers] == starts  # no worker died


def test_nul_bytes_and_terminal_escapes_in_output(clean):
    code = ("import sys\nprint('a\\x00b\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07 \\x08x\\r\\nline\\rover')\n"
            "sys.stdout.flush()\nsys.stdout.buffer.write(b'\\xff\\xfe raw\\n')\n"
            "_ = sys.stderr.write('\\x1b[2Jcleared\\x00\\n')")
    r = run1(clean, code)
    assert r.stdout == "a\\x00bred \\x08x\nline\\x0dover\n\ufffd\ufffd raw\n"
    assert r.stderr == "cleared\\x00\n"
    assert "\x00" not in r.feedback and "\x1b" not in r.feedback and r.feedback.startswith("a\\x00bred")


# ---------------------------------------------------------------- 6. the timeout race
def test_exit_at_the_deadline_is_complete_output_or_timeout(level):
    """Snippets that write their last 30 KB and exit right at the deadline: each result is either `timeout` or
    `ok` with every byte written, never `ok` with output missing. 800 idle threads make the supervisor's
    own-time check (it reads every thread's /proc entry) last long enough for the write and the exit to land
    between its last read of the pipe and its kill: the old supervisor then reported `ok` with empty output
    for 2-4 of these 16 snippets per run (measured at both levels)."""
    timeout = 0.3
    tail = "x" * 30000 + "END"
    codes = [("import os, sys, time, threading\nt0 = time.monotonic()\nthreading.stack_size(1 << 16)\n"
              "ev = threading.Event()\nfor _ in range(800):\n    threading.Thread(target=ev.wait, daemon=True).start()\n"
              f"time.sleep(max(t0 + {timeout + 0.0015 * i:.4f} - time.monotonic(), 0))\n"
              f"sys.stdout.write({tail!r})\nsys.stdout.flush()\nos._exit(0)") for i in range(16)]
    # room for the threads: tasks (max_processes) and address space (glibc reserves an arena per thread)
    cfg = dict(FAST, timeout_s=timeout, memory_mb=4096, max_processes=2000)
    with Executor(isolation=level, rules="default", **cfg) as ex:
        rs = ex.run(codes)
    for r in rs:
        assert r.status in ("ok", "timeout"), (r.status, r.detail, r.stderr[-500:])
        if r.status == "ok":
            assert r.stdout == tail, (len(r.stdout), r.elapsed_s)
