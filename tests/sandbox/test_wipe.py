"""Issue 23, classes 2-3: nothing a snippet leaves on disk reaches the next snippet or breaks the executor. The
per-snippet wipe restores modes, removes any depth iteratively (shutil.rmtree raised RecursionError, in the zygote
and then in the host), empties /tmp and /dev/shm (bwrap) or the whole scratch root (process); scratch dirs have
random names, created exclusively (pre-created `runN` dirs made the next innocent snippet `killed`). A worker
whose wipe fails is replaced and the snippet it ran is the one reported."""
import glob
import os
import subprocess
import sys
from pathlib import Path

from numina_exp.sandbox import Executor
from numina_exp.sandbox.isolation import scratch_parent

from .conftest import BUDGETS, HONEST, all_marked, zygote_pid

SANDBOX_DIR = Path(__file__).resolve().parents[2] / "numina_exp" / "sandbox"

# Everything through libc: the process level's audit hook (a courtesy) must not be what stops it.
HOSTILE = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
root = os.path.dirname(os.getcwd())
for i in range(1, 300):  # the next scratch dirs, as the zygote used to name them
    libc.mkdir(os.path.join(root, f'run{i}').encode(), 0o700)
os.makedirs('locked/inner')
open('locked/inner/secret', 'w').write('first snippet')
print('chmod', libc.chmod(b'locked', 0o500), libc.chmod(b'locked/inner', 0), libc.chmod(root.encode(), 0))
for d in ('/tmp', '/dev/shm', root):
    try:
        with open(os.path.join(d, 'leftover'), 'wb') as f:
            f.write(b'x' * (8 << 20))
    except OSError:
        pass
libc.mkdir(b'deep', 0o700)
libc.chdir(b'deep')
name, made = b'd' * 200, 0
for _ in range(DEPTH):  # 3000 levels of 200 characters: past RecursionError and past PATH_MAX
    made += libc.mkdir(name, 0o700) == 0 and libc.chdir(name) == 0
libc.mkdir(b'last', 0o500)  # unwritable from birth: no chmod needed
print('left a tree', made)
"""

HONEST_SEES_NOTHING = (
    "import os\nroot = os.path.dirname(os.getcwd())\n"
    "print(sorted(os.listdir(root)) == [os.path.basename(os.getcwd())])\n"
    "try:\n    print(os.listdir('/dev/shm') == [])\nexcept PermissionError:\n    print('denied')\n")


def _host_dirs() -> set:
    return set(glob.glob(os.path.join(scratch_parent(), "numina-sandbox-*")))


def test_nothing_a_snippet_leaves_survives_the_wipe(level):
    before = _host_dirs()
    ex = Executor(isolation=level, rules="default", **BUDGETS)
    try:
        starts = ex._workers[0].starts
        r = ex.run([HOSTILE.replace("DEPTH", "3000")])[0]
        assert (r.status, r.stdout.splitlines()[-1]) == ("ok", "left a tree 3000"), (r.status, r.detail, r.stderr[-800:])
        assert r.stdout.startswith("chmod -1 -1 -1")  # seccomp: a snippet changes no mode
        seen, budget = ex.run([HONEST_SEES_NOTHING, HONEST])  # never raises
        assert seen.stdout.splitlines()[0] == "True", seen
        assert seen.stdout.splitlines()[1] in ("True", "denied"), seen  # process: /dev/shm is not writable anyway
        assert (budget.status, budget.stdout) == ("ok", "budgets ok\n"), (budget.detail, budget.stderr[-800:])
        assert ex._workers[0].starts == starts  # the same worker throughout: its wipe succeeded
    finally:
        ex.close()  # never raises either
    assert all_marked(ex) == []
    assert _host_dirs() == before  # process level: the host scratch dir is gone too


def test_a_worker_whose_wipe_fails_is_replaced_and_its_snippet_reported(level):
    """Something the zygote cannot remove (a directory of another uid, mode 0, in its scratch space; made here by
    the test, which has the capabilities a snippet lacks): the snippet that ran is reported `killed`, its worker is
    replaced, the next snippet runs on a fresh one with its whole budget, and run/close never raise."""
    before = _host_dirs()
    ex = Executor(isolation=level, rules="default", **BUDGETS)
    try:
        assert ex.run(["print(1)"])[0].stdout == "1\n"
        w = ex._workers[0]
        zygote = zygote_pid(w.token)
        scratch = f"/proc/{zygote}/root/tmp" if level == "bwrap" else w.host_dir
        stuck = os.path.join(scratch, "stuck")
        os.mkdir(stuck)
        open(os.path.join(stuck, "f"), "w").close()
        os.chown(stuck, 65534, 65534)
        os.chmod(stuck, 0)
        culprit, nxt = ex.run(["print('ran')", HONEST])
        assert culprit.status == "killed" and "could not remove" in culprit.detail, culprit
        assert (nxt.status, nxt.stdout) == ("ok", "budgets ok\n"), (nxt.detail, nxt.stderr[-800:])
        assert ex._workers[0].starts == 2
    finally:
        ex.close()
    assert all_marked(ex) == []
    assert _host_dirs() == before


TREE = r"""
import os, sys
sys.path.insert(0, SANDBOX)
import confine, wipe
confine.drop_privileges()  # as the zygote: uid 0 without capabilities, an ordinary owner
root = sys.argv[1]
os.chdir(root)
os.makedirs('a/b/c')
open('a/b/c/f', 'w').write('x')
os.chmod('a/b/c', 0o500)
os.chmod('a/b', 0)
os.symlink('/etc', 'link_to_etc')
os.mkdir('deep')
os.chdir('deep')
for _ in range(3000):  # deeper than the recursion limit, paths far beyond PATH_MAX
    os.mkdir('d' * 200)
    os.chdir('d' * 200)
for i in range(3000):  # on the way back up, every other level locked (0500: cannot be emptied as it is)
    os.chdir('..')
    if i % 2:
        os.chmod('d' * 200, 0o500)
os.chdir(root)
os.chmod(root, 0o500)
print(wipe.empty_dir(root, (), 0o700), os.listdir(root), os.stat(root).st_mode & 0o777 == 0o700)
"""


def test_wipe_removes_locked_deep_trees_as_a_capability_less_owner(tmp_path):
    code = TREE.replace("SANDBOX", repr(str(SANDBOX_DIR)))
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[] [] True"
    assert os.path.isdir("/etc")
