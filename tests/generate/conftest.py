import sys
from pathlib import Path

# tests/generate/openai_stub.py (a local OpenAI-protocol server for error paths) is importable by name
sys.path.insert(0, str(Path(__file__).resolve().parent))
