"""The anchor's way, literally: a fresh `python3 <tmpdir>/tmp.py` per block plus the notebook's filtering.
Baseline for the parity test and the benchmark (sandbox off: it runs on the host, trusted code only)."""
import os
import subprocess
import sys
import tempfile

from numina_exp.sandbox.rules import NuminaRules


def reference_feedback(code: str, timeout_s: float = 5.0, python: str = sys.executable) -> str:
    refusal = NuminaRules.refusal(code)
    if refusal is not None:
        return NuminaRules.truncate(refusal)
    script = NuminaRules.build_script(code)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tmp.py")
        with open(path, "w") as f:
            f.write(script)
        try:
            res = subprocess.run([python, path], capture_output=True, text=True, timeout=timeout_s,
                                 env={"PATH": os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1", "LANG": "C.UTF-8"})
        except subprocess.TimeoutExpired:
            return NuminaRules.truncate(f"Timed out after {timeout_s:g} seconds.")
        if res.returncode == 0:
            out = res.stdout.strip()
        else:
            out = NuminaRules.filter_stderr(res.stderr, path)
    return NuminaRules.truncate(out)
