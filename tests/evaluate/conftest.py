"""tests/evaluate: make the scripted-results helper (eval_scripted.py) importable under --import-mode=importlib."""
import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
# tests/generate/openai_stub.py: a local OpenAI-protocol server (test_run_lock holds a request on it)
_STUB = str(Path(__file__).resolve().parent.parent / "generate")
if _STUB not in sys.path:
    sys.path.insert(0, _STUB)
