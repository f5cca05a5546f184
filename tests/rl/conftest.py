import sys
from pathlib import Path

# tests/rl/rl_helpers.py (the RL config at scale=cpu, a toy dense reward) is importable by name
sys.path.insert(0, str(Path(__file__).resolve().parent))
