"""Hostile snippets, under both isolation levels: each is contained, the run goes on, the result says what
happened, and no process is left behind (the `clean` fixture checks after every test; `ex` after close)."""
import os
import socket
import uuid

import pytest

from numina_exp.sandbox import Executor

from .conftest import FAST, all_marked, stray_processes


def run1(ex, code):
    return ex.run([code])[0]


def test_infinite_loop(clean):
    r = run1(clean, "while True:\n    pass")
    assert r.status == "timeout" and r.feedback == "Timed out after 1.5 seconds."
    # its own time reached the timeout, or (a machine loaded far beyond its cores) the hard wall limit did
    assert 1.4 < r.elapsed_s < 3 or r.wall_s >= 4 * 1.5 - 0.05


def test_long_c_call_is_killed_from_outside(clean):
    # catastrophic regex backtracking: one C call that never checks for signals
    r = run1(clean, "import re\nre.match(r'(a*)*b', 'a' * 60)")
    assert r.status == "timeout"


def test_sympy_factorint_huge(clean):
    r = run1(clean, "import sympy\nprint(sympy.factorint(2**1279 - 3))")
    assert r.status == "timeout"


def test_huge_allocation(clean):
    r = run1(clean, "x = bytearray(10 * 1024**3)\nprint(len(x))")
    assert r.status == "error" and "MemoryError" in r.stderr
    r = run1(clean, "import numpy as np\nx = np.ones(10 * 1024**3 // 8)\nprint(x.sum())")
    assert r.status == "error" and "MemoryError" in r.stderr or "Unable to allocate" in r.stderr


def test_fork_bomb(clean):
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    r = run1(clean, code)
    assert r.status in ("timeout", "error", "killed")
    assert run1(clean, "print('alive')").stdout == "alive\n"


def test_thread_bomb(clean):
    code = ("import threading, time\nn = 0\nwhile True:\n"
            "    threading.Thread(target=time.sleep, args=(1000,)).start()\n    n += 1")
    r = run1(clean, code)
    assert r.status in ("timeout", "error")
    if r.status == "error":
        assert "can't start new thread" in r.stderr or "MemoryError" in r.stderr


def test_setsid_orphan_is_killed(clean):
    code = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        time.sleep(1000)\n    os._exit(0)\nprint('parent done')")
    r = run1(clean, code)
    assert r.status == "ok" and r.stdout.strip() == "parent done"
    assert r.leftovers >= 1  # the zygote found and killed the escaped grandchild


def test_setsid_orphan_survives_nothing_after_close(level):
    ex = Executor(isolation=level, **FAST)
    code = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\nprint('x')"
    with ex:
        assert ex.run([code, code]) and stray_processes(ex) == []
    assert all_marked(ex) == []


@pytest.mark.parametrize("target", ["/etc/numina_sandbox_probe", "REPO", "HOME"])
def test_write_outside_scratch(clean, target, repo_root):
    name = f"numina_sandbox_probe_{uuid.uuid4().hex[:8]}"
    path = {"REPO": str(repo_root / name), "HOME": os.path.join(os.path.expanduser("~"), name)}.get(target, target)
    try:
        # Under bwrap a checkout in the host's /tmp (CI clones) sits in the sandbox's private /tmp: the write
        # "succeeds" there, and is wiped; what matters is that the host never sees it.
        private = clean.mode == "bwrap" and path.startswith("/tmp/")
        r = run1(clean, f"with open({path!r}, 'w') as f:\n    f.write('pwned')\nprint('wrote')")
        assert r.status == ("ok" if private else "error")
        assert not os.path.exists(path)
        r = run1(clean, f"import shutil\nshutil.rmtree({str(repo_root / 'numina_exp')!r})")
        assert r.status == "error" and (repo_root / "numina_exp" / "__init__.py").exists()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_secrets_not_visible(level, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "secret-123")
    monkeypatch.setenv("HF_TOKEN", "secret-456")
    code = (f"import os\nprint(sorted(k for k, v in os.environ.items() if 'secret' in v))\n"
            f"try:\n    print('secret' in open('/proc/{os.getpid()}/environ').read())\n"
            f"except Exception as e:\n    print(type(e).__name__)")
    with Executor(isolation=level, **FAST) as ex:
        r = run1(ex, code)
    assert r.status == "ok", r.stderr
    assert r.stdout.split("\n")[0] == "[]"
    assert "True" not in r.stdout and "secret" not in r.stdout


def test_no_network(clean):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]
    try:
        code = (f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
                "s.sendall(b'leak')\nprint('connected')")
        r = run1(clean, code)
        assert r.status == "error" and "connected" not in r.stdout
        with pytest.raises(OSError):
            srv.accept()
    finally:
        srv.close()


def test_kill_parent(clean):
    r = run1(clean, "import os\nos.kill(os.getppid(), 9)")
    assert r.status in ("killed", "error")  # bwrap: kills its zygote (restarted); process: refused by the guard
    assert [x.stdout for x in clean.run(["print(1)", "print(2)", "print(3)"])] == ["1\n", "2\n", "3\n"]


def test_sys_exit(clean):
    r = run1(clean, "import sys\nprint('bye')\nsys.exit(3)")
    assert r.status == "error" and r.returncode == 3 and r.stdout == "bye\n"


def test_os_exit_no_output(clean):
    r = run1(clean, "import os\nos._exit(0)")
    assert r.status == "ok" and r.returncode == 0 and r.stdout == "" and r.feedback == "(no output)"


def test_segfault(clean):
    r = run1(clean, "import ctypes\nctypes.string_at(0)")
    assert r.status == "killed" and r.returncode == -11 and "SIGSEGV" in r.feedback


def test_huge_stdout(clean):
    r = run1(clean, "import sys\nsys.stdout.write('x' * 100_000_000)\nprint('end')")
    assert r.status == "ok" and r.truncated
    assert len(r.stdout) == FAST["max_output_bytes"]
    assert len(r.feedback) < 1000


def test_read_stdin(clean):
    r = run1(clean, "import sys\nprint(repr(sys.stdin.read()))\ninput()")
    assert r.status == "error" and r.stdout == "''\n" and "EOFError" in r.stderr


def test_deep_recursion(clean):
    r = run1(clean, "def f(n):\n    return f(n + 1)\nf(0)")
    assert r.status == "error" and "RecursionError" in r.stderr
    r = run1(clean, "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nf(0)")
    assert r.status in ("killed", "error", "timeout")


def test_sigterm_ignored(clean):
    code = ("import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
            "    signal.signal(s, signal.SIG_IGN)\ntime.sleep(100)")
    assert run1(clean, code).status == "timeout"


def test_no_state_leaks(clean):
    first = ("import math, os\nmath.pi = 3\nimport sympy\nsympy.pi = 3\nopen('left.txt', 'w').write('x')\n"
             "try:\n    open('/tmp/left.txt', 'w').write('x')\nexcept OSError:\n    pass\n"
             "try:\n    open('/dev/shm/left.txt', 'w').write('x')\nexcept OSError:\n    pass\nGLOBAL = 1")
    second = ("import math, os, sympy\nprint(math.pi, sympy.pi, os.path.exists('left.txt'), "
              "os.path.exists('/tmp/left.txt'), os.path.exists('/dev/shm/left.txt'), 'GLOBAL' in globals())")
    for _ in range(2):  # twice so that both workers have seen a `first`
        r = clean.run([first, first])
        assert all(x.status == "ok" for x in r), [(x.status, x.detail, x.elapsed_s, x.stderr) for x in r]
    for r in clean.run([second, second]):
        assert r.stdout.strip() == "3.141592653589793 pi False False False False"
