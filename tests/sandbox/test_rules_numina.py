"""The numina rules, one test each (the notebook's PythonREPL), plus parity of the warm executor with a
fresh `python3 tmp.py` per block (tests/sandbox/reference.py) on varied snippets."""
import pytest

from numina_exp.sandbox import Executor
from numina_exp.sandbox.result import ExecResult
from numina_exp.sandbox.rules import NuminaRules as N

from .conftest import require_level
from .reference import reference_feedback

P = "/tmp/tmpab12/tmp.py"


def test_refuses_subprocess():
    assert N.refusal("import subprocess\nsubprocess.run(['ls'])") == "subprocess is not allowed"


def test_refuses_venv_anywhere_subprocess_first():
    assert N.refusal("x = 'my_venv_dir'") == "venv is not allowed"
    assert N.refusal("# venv and subprocess") == "subprocess is not allowed"
    assert N.refusal("print(1)") is None


def test_prelude_is_prepended():
    assert N.build_script("print(1)") == "import math\nimport numpy as np\nimport sympy as sp\nprint(1)"


def test_script_is_stripped_before_autoprint():
    assert N.build_script("x = 2\nx * 3\n\n\n  ").endswith("\nx = 2\nprint(x * 3)")


def test_autoprint_wraps_last_line_without_print():
    assert N.build_script("y = 1").endswith("\nprint(y = 1)")  # naive: even an assignment
    assert N.build_script("for i in range(2):\n    i").endswith("\nprint(    i)")


def test_autoprint_keeps_a_line_with_print_call():
    assert N.build_script("a = 1\nprint(a)  # done").endswith("\nprint(a)  # done")


def test_autoprint_strips_comment_naively():
    assert N.build_script("x  # the answer").endswith("\nprint(x  )")
    assert N.build_script("s = 1\n'#hash'").endswith("\nprint(')")  # even inside a string


def test_filter_keeps_traceback_path_and_next_and_last_lines():
    err = ("Traceback (most recent call last):\n"
           f'  File "{P}", line 5, in <module>\n    print(f())\n          ^^^\n'
           f'  File "{P}", line 4, in f\n    return 1/0\n'
           '  File "/usr/lib/python3/x.py", line 9, in g\n    other()\n'
           "ZeroDivisionError: division by zero\n")
    assert N.filter_stderr(err, P) == ('Traceback (most recent call last):\n  File "\n    print(f())\n'
                                       '  File "\n    return 1/0\nZeroDivisionError: division by zero')


def test_filter_keeps_lines_equal_to_the_last():
    err = "boom\nnoise\nboom"
    assert N.filter_stderr(err, P) == "boom\nboom"


def test_filter_path_without_quote_slash_drops_whole_prefix():
    assert N.filter_stderr(f"at {P} here\nsrc\nnoise\nlast", P) == "src\nlast"


def test_truncate_200_with_marker():
    assert N.truncate("x" * 200) == "x" * 200
    assert N.truncate("  " + "y" * 201 + "\n") == "y" * 200 + " ... (output truncated)"


def test_render_success_error_timeout_refusal():
    n = N()
    ok = ExecResult(status="ok", stdout="  42\n", returncode=0)
    assert n.render(ok, 5.0, 200) == "42"
    err = ExecResult(status="error", stdout="dropped", stderr=f'Traceback (most recent call last):\n  File "{P}", '
                     "line 4, in <module>\n    print(y)\nNameError: name 'y' is not defined", returncode=1,
                     script_path=P)
    assert n.render(err, 5.0, 200) == ("Traceback (most recent call last):\n  File \"\n    print(y)\n"
                                       "NameError: name 'y' is not defined")
    assert n.render(ExecResult(status="timeout"), 5.0, 200) == "Timed out after 5 seconds."
    assert n.render(ExecResult(status="refused", detail="venv is not allowed"), 5.0, 200) == "venv is not allowed"
    long_err = ExecResult(status="error", stderr="E" * 300, returncode=1, script_path=P)
    assert n.render(long_err, 5.0, 200) == "E" * 200 + " ... (output truncated)"  # errors truncate alike


PARITY = [
    "print(1 + 1)",
    "x = sp.Symbol('x')\nsp.expand((x + 1)**3)",
    "math.factorial(20)  # a comment",
    "s = '#'\nlen(s)",
    "y = 3",
    "print(undefined_name)",
    "def f(n):\n    return 1 / n\n\ndef g():\n    return f(0)\n\nprint(g())",
    "print(1 +)",
    "for i in range(3):\n  print(i",
    "import numpy as np\na = np.arange(12).reshape(3, 4)\nprint(a @ a.T)",
    "print('z' * 500)",
    "raise ValueError('bad\\nvalue')",
    "import sys\nprint('partial')\nsys.exit(2)",
    "print(sp.factorint(2**61 - 1))\nsp.isprime(97)",
    "import subprocess",
    "x = [1, 2\nprint(x)",
    "int('abc')",
    "import sympy\nsympy.sympify('1/0 +')",
    "while True:\n    pass",
]


@pytest.fixture(scope="module")
def reference():
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        # the numina rules turn the `while` block into an IndentationError (print(    pass)): nothing loops, so
        # every block gets a wall limit that a loaded machine cannot hit just starting python
        return list(pool.map(lambda c: reference_feedback(c, timeout_s=1.5, wall_s=60), PARITY))


@pytest.mark.parametrize("level", ["bwrap", "process"])
def test_parity_with_fresh_python_per_block(level, reference):
    require_level(level)
    with Executor(isolation=level, rules="numina", timeout_s=1.5, workers=2) as ex:
        got = [r.feedback for r in ex.run(PARITY)]
    want = reference
    for code, g, w in zip(PARITY, got, want):
        assert g == w, f"{code!r}\n--- executor ---\n{g}\n--- fresh python ---\n{w}"
