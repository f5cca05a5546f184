import sys
from pathlib import Path

# tests/decode/decode_scripted.py (scripted SC-TIR runs over the replay backend) is importable by name
sys.path.insert(0, str(Path(__file__).resolve().parent))
