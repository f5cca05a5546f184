"""The anchor's way, literally: a fresh `python3 <tmpdir>/tmp.py` per block plus the notebook's filtering.
Baseline for the parity test and the benchmark (sandbox off: it runs on the host, trusted code only)."""
import os
import subprocess
import sys
import tempfile

from numina_exp.sandbox.rules import NuminaRules


def reference_feedback(code: str, timeout_s: float = 5.0, python: str = sys.executable,
                       wall_s: float | None = None) -> str:
    """`wall_s` (default timeout_s) is when the subprocess is really killed: a loaded machine needs more than
    a short test timeout just to import numpy and sympy; the message still says timeout_s."""
    refusal = NuminaRules.refusal(code)
    if refusal is not None:
        return NuminaRules.truncate(refusal)
    script = NuminaRules.build_script(code)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tmp.py")
        with open(path, "w") as f:
            f.write(script)
        try:
            res = subprocess.run([python, path], capture_output=True, text=True, timeout=wall_s or timeout_s,
                                 env={"PATH": os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1", "LANG": "C.UTF-8"})
        except subprocess.TimeoutExpired:
            return NuminaRules.truncate(f"Timed out after {timeout_s:g} seconds.")
        if res.returncode == 0:
            out = res.stdout.strip()
        else:
            out = NuminaRules.filter_stderr(res.stderr, path)
    return NuminaRules.truncate(out)
