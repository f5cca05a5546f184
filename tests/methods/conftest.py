import sys
from pathlib import Path

# tests/methods/tir_teacher.py (a recorded teacher for generate_tir) is importable by name
sys.path.insert(0, str(Path(__file__).resolve().parent))
# tests/generate/openai_stub.py: the local OpenAI-protocol server for endpoint error paths
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generate"))
