"""Issue 23, class 4: installed from the wheel (as the README says works), the package data holds the answer keys
(numina_exp/data/suites/*.jsonl, numina_exp/data/mini_aimo/*.jsonl, the eval configs in numina_exp/conf/eval) in
site-packages, inside the interpreter's install that the sandbox must let a snippet read. Only what the
interpreter needs is readable now: the package is cut out of the read set (bwrap: an empty tmpfs over it;
Landlock: the install granted piece by piece around it) with numina_exp/sandbox, the zygote's own code, let back."""
import json
import os
import subprocess

import pytest
from helpers import install_wheel

from .conftest import require_level

PROBE = r"""
import ctypes, glob, json, os
libc = ctypes.CDLL(None, use_errno=True)
pkg = PKG
out = {}
for name in ('data/suites/amc.jsonl', 'data/mini_aimo/test.jsonl', 'conf/eval/amc.yaml', 'data/suites/README.md'):
    out[name] = libc.open(os.path.join(pkg, name).encode(), 0) >= 0
import numpy, sympy
out['interpreter'] = str(sympy.Integer(6) * 7) + str(numpy.arange(3).sum())
print(json.dumps(out))
"""

DRIVER = r"""
import json, sys
import numina_exp
from numina_exp.sandbox import Executor
pkg = numina_exp.__path__[0]
assert pkg.startswith(sys.argv[2]), (pkg, sys.argv[2])  # the wheel's copy, in site-packages
with Executor(isolation=sys.argv[1], rules="default", workers=1, timeout_s=10) as ex:
    r = ex.run([sys.argv[3].replace('PKG', repr(pkg))])[0]
print(json.dumps({"status": r.status, "stdout": r.stdout, "stderr": r.stderr[-1500:]}))
"""


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory):
    """The wheel built from this checkout, installed into a fresh venv outside it (the project venv's site-packages
    supplies the dependencies), as tests/packaging does."""
    py, target, _ = install_wheel(tmp_path_factory.mktemp("wheel_sandbox"))
    assert (target / "numina_exp" / "data" / "suites" / "amc.jsonl").is_file()
    return py, target


@pytest.mark.parametrize("level", ["bwrap", "process"])
def test_answer_keys_in_site_packages_are_unreadable(level, wheel_install, tmp_path):
    require_level(level)
    py, target = wheel_install
    env = {"PATH": os.environ["PATH"], "OMP_NUM_THREADS": "1", "HOME": str(tmp_path)}
    proc = subprocess.run([str(py), "-c", DRIVER, level, str(target), PROBE], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["status"] == "ok", r
    assert json.loads(r["stdout"]) == {"data/suites/amc.jsonl": False, "data/mini_aimo/test.jsonl": False,
                                       "conf/eval/amc.yaml": False, "data/suites/README.md": False,
                                       "interpreter": "423"}
