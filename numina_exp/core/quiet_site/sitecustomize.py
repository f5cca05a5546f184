"""Imported at start-up by every child interpreter of a run (vLLM's engine process, accelerate workers,
pipeline stages): numina_exp.core.quiet puts this folder first on PYTHONPATH, so the children apply the
same filters before their own imports print anything. Then the sitecustomize this one shadows (Debian
ships one in /usr/lib/python3.X) runs as it would have."""
import os
import sys

try:
    from numina_exp.core.quiet import quiet

    quiet()
except Exception:  # never break an interpreter's start-up over noise
    pass

_here = os.path.dirname(os.path.abspath(__file__))
for _d in sys.path:
    _p = os.path.join(os.path.abspath(_d or "."), "sitecustomize.py")
    if os.path.dirname(_p) != _here and os.path.isfile(_p):
        with open(_p, encoding="utf-8") as _f:
            exec(compile(_f.read(), _p, "exec"), {"__name__": "sitecustomize", "__file__": _p})
        break
