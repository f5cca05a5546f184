"""Executor API: construction, ordering, futures, threads, restarts, config, default rules."""
import logging
import threading
from concurrent.futures import Future

import pytest
from omegaconf import OmegaConf

from numina_exp.config.sandbox import SandboxConfig
from numina_exp.core.errors import ConfigError
from numina_exp.sandbox import ExecResult, Executor, bwrap_available
from numina_exp.sandbox import isolation as iso
from numina_exp.sandbox.rules import DefaultRules

from .conftest import FAST, all_marked


def test_bwrap_available_is_bool():
    assert isinstance(bwrap_available(), bool)


def test_auto_resolves_and_says_what_it_does_not_guarantee(caplog):
    with caplog.at_level(logging.WARNING):
        mode = iso.resolve("auto")
    assert mode == "bwrap"  # bubblewrap is part of the install (make install); its absence fails here
    assert "isolation=auto -> bwrap" in caplog.text and "not guaranteed" in caplog.text


def test_auto_without_bwrap_takes_the_kernel_enforced_process_level(monkeypatch, caplog):
    monkeypatch.setattr(iso, "bwrap_available", lambda: False)  # a machine without bubblewrap
    with caplog.at_level(logging.WARNING):
        assert iso.resolve("auto") == "process"
    assert "isolation=auto -> process" in caplog.text and "private /tmp" in caplog.text


def test_bwrap_that_cannot_run_is_a_config_error_not_a_fallback(monkeypatch):
    monkeypatch.setattr(iso, "bwrap_available", lambda: False)
    with pytest.raises(ConfigError, match="sandbox.isolation") as e:
        iso.resolve("bwrap")
    assert "apt-get install bubblewrap" in str(e.value)


def test_process_level_without_landlock_is_an_error_not_weaker(monkeypatch):
    monkeypatch.setattr(iso, "bwrap_available", lambda: False)
    monkeypatch.setattr(iso, "process_level_problem", lambda: "the kernel has no Landlock")
    for level in ("process", "auto"):
        with pytest.raises(ConfigError, match="sandbox.isolation.*Landlock"):
            iso.resolve(level)


def test_process_mode_warns(caplog):
    with caplog.at_level(logging.WARNING):
        assert iso.resolve("process") == "process"
    assert "not guaranteed" in caplog.text


def test_bad_config_rejected():
    with pytest.raises(TypeError):
        Executor(no_such_field=1)
    with pytest.raises(ValueError):
        Executor(rules="nope")
    with pytest.raises(ValueError):
        Executor(isolation="docker")


def test_run_keeps_order_and_fields(ex):
    codes = [f"import time\ntime.sleep({0.05 * (5 - i)})\nprint({i})" for i in range(6)]
    rs = ex.run(codes)
    assert [r.stdout for r in rs] == [f"{i}\n" for i in range(6)]
    r = rs[0]
    assert isinstance(r, ExecResult) and r.status == "ok" and r.returncode == 0 and not r.truncated
    assert r.feedback == "0" and r.elapsed_s > 0.2 and r.script_path.endswith("tmp.py")


def test_submit_returns_future(ex):
    fut = ex.submit("print(sp.factorint(2**61 - 1))")
    assert isinstance(fut, Future)
    assert fut.result(timeout=30).stdout.strip() == "{2305843009213693951: 1}"


def test_script_semantics(ex):
    code = ("import sys\nprint(__name__, __file__ == sys.argv[0], sys.argv[0].endswith('tmp.py'))\n"
            "import os\nprint(os.getcwd() == os.path.dirname(__file__))")
    assert ex.run([code])[0].stdout == "__main__ True True\nTrue\n"


def test_threads_interleave(ex):
    out = {}

    def worker(k):
        out[k] = [r.stdout for r in ex.run([f"print({k} * 100 + {i})" for i in range(8)])]

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == {k: [f"{k * 100 + i}\n" for i in range(8)] for k in range(4)}


def test_crashed_child_and_killed_zygote_recover(ex):
    rs = ex.run(["import os\nos.abort()", "print('a')", "import os, signal\nos.kill(os.getpid(), 9)", "print('b')"])
    assert [r.status for r in rs] == ["killed", "ok", "killed", "ok"]
    # kill a zygote from outside, between snippets: the next snippet restarts it transparently
    for w in ex._workers:
        if w.proc is not None:
            w.proc.kill()
            w.proc.wait()
    assert [r.stdout for r in ex.run(["print(1)", "print(2)", "print(3)"])] == ["1\n", "2\n", "3\n"]


def test_refused_by_numina_rules_runs_nothing():
    with Executor(rules="numina", isolation="process", workers=1) as ex:
        r = ex.run(["import subprocess\nprint(1)"])[0]
        assert r.status == "refused" and r.feedback == "subprocess is not allowed" and r.returncode is None


def test_from_config_dataclass_and_dictconfig(repo_root):
    with Executor.from_config(SandboxConfig(isolation="process", workers=1, timeout_s=2)) as ex:
        assert ex.cfg.timeout_s == 2 and ex.mode == "process"
        assert ex.run(["1 + 1"])[0].feedback == "2"
    for name in ("default", "numina"):
        dc = OmegaConf.merge(OmegaConf.structured(SandboxConfig), OmegaConf.load(repo_root / f"conf/sandbox/{name}.yaml"))
        with Executor.from_config(dc) as ex:
            assert ex.cfg.rules == name
            assert ex.run(["print(6 * 7)"])[0].feedback == "42"
    assert all_marked(ex) == []


def test_closed_executor_refuses_work():
    ex = Executor(isolation="process", workers=1)
    ex.close()
    with pytest.raises(RuntimeError):
        ex.submit("print(1)")
    ex.close()  # idempotent


def test_default_rules_rendering(ex):
    rs = ex.run([
        "x = 2\nx ** 10",  # trailing expression echoed like a REPL
        "print('hi')\nNone",
        "a = 1\nb = [1, 2]\nprint(b[a + 5])",
        "print('a' * 5000)",
        "import sys\nsys.exit(4)",
        "import time\nprint('started')\ntime.sleep(100)",
        "x = np.arange(3)\nsp.Integer(2) + math.floor(2.5) + int(x.sum())",  # math, np, sp pre-bound
    ])
    assert rs[0].feedback == "1024"
    assert rs[1].feedback == "hi"
    assert rs[2].feedback == "IndexError: list index out of range (line 3: `print(b[a + 5])`)"
    assert len(rs[3].feedback) <= FAST.get("max_feedback_chars", 200) + 60 and "omitted" in rs[3].feedback
    assert rs[4].feedback == "Exited with code 4."
    assert rs[5].feedback == "started\nTimed out after 1.5 seconds."
    assert rs[6].feedback == "7"


def test_default_truncation_keeps_head_and_tail():
    t = DefaultRules.truncate("H" * 100 + "M" * 1000 + "T" * 100, 200)
    assert t.startswith("H" * 100) and t.endswith("T" * 100) and "1000 characters omitted" in t


def test_bwrap_works_from_a_checkout_under_tmp(tmp_path):
    """CI clones (and users' scratch checkouts) may live under /tmp, which bwrap replaces with a private
    tmpfs: the zygote (and a venv there) must stay visible, read-only, and survive the per-snippet wipe."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    assert bwrap_available(), "bubblewrap is not installed here (apt-get install bubblewrap)"
    assert str(tmp_path).startswith("/tmp/")
    shutil.copytree(Path(__file__).resolve().parents[2] / "numina_exp", tmp_path / "numina_exp",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = ("from numina_exp.sandbox import Executor\n"
            "import numina_exp.sandbox.isolation as iso\n"
            "assert iso.ZYGOTE.parent.as_posix().startswith('/tmp/'), iso.ZYGOTE\n"
            "with Executor(isolation='bwrap', workers=1, timeout_s=5) as ex:\n"
            "    a = ex.run([\"open('/tmp/left.txt', 'w').write('x'); print(1 + 1)\"])[0]\n"
            "    b = ex.run([\"import os; print(os.path.exists('/tmp/left.txt'))\"])[0]\n"
            "print(a.status, a.stdout.strip(), b.status, b.stdout.strip())\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "ok 2 ok False"
