"""core.io under a full disk: an atomic write that fails leaves the old file and no `*.tmpNNN` beside it;
an append that fails leaves the file as it was (no partial line for the next append to bury).

The kernel's own failure mid-write comes from RLIMIT_FSIZE in a child process (EFBIG, the same path as
ENOSPC: write() fails part-way); a failing rename is the OS call replaced."""
from __future__ import annotations

import errno
import json
import subprocess
import sys
import textwrap

import pytest

from numina_exp.core import io

CHILD = textwrap.dedent('''
    import json, os, resource, signal, sys
    from numina_exp.core.io import append_jsonl, atomic_write_jsonl, read_jsonl
    path, op = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16384, hard))
    rows = [{"i": i, "text": "x" * 500} for i in range(100)]  # ~50 KB: fails part-way
    try:
        (atomic_write_jsonl if op == "atomic" else append_jsonl)(path, rows)
        print("no error")
    except OSError as err:
        print("errno", err.errno)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again: the next append must read back cleanly
    if op == "append":
        append_jsonl(path, [{"i": "after"}])
        print(json.dumps(read_jsonl(path, torn_tail_ok=False)))
''')


def _child(path, op):
    return subprocess.run([sys.executable, "-c", CHILD, str(path), op], capture_output=True, text=True, timeout=120)


def test_failed_atomic_write_leaves_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "per_problem.jsonl"
    io.atomic_write_jsonl(path, [{"old": 1}])
    proc = _child(path, "atomic")
    assert f"errno {errno.EFBIG}" in proc.stdout, proc.stdout + proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["per_problem.jsonl"]
    assert io.read_jsonl(path) == [{"old": 1}]


def test_failed_append_takes_its_partial_lines_back(tmp_path):
    path = tmp_path / "generations.jsonl"
    io.append_jsonl(path, [{"i": "before"}])
    proc = _child(path, "append")
    assert f"errno {errno.EFBIG}" in proc.stdout, proc.stdout + proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [{"i": "before"}, {"i": "after"}]


@pytest.mark.parametrize("fail", ["fsync", "replace"])
def test_enospc_at_fsync_or_rename_leaves_no_temporary(fail, tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    io.atomic_write_json(path, {"old": True})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.os, fail, full)
    with pytest.raises(OSError) as err:
        io.atomic_write_json(path, {"new": True})
    assert err.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    assert json.loads(path.read_text()) == {"old": True}
