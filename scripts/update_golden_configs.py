"""Rewrite tests/golden/<experiment>.yaml: every experiment's resolved config at scale=full, so that a
change in composition shows up in review as a diff of these files. Run after changing conf/ on purpose:

    python scripts/update_golden_configs.py
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from golden import GOLDEN_DIR, golden_text  # noqa: E402
from helpers import experiment_names  # noqa: E402


def main() -> None:
    GOLDEN_DIR.mkdir(exist_ok=True)
    names = experiment_names()
    for stale in GOLDEN_DIR.glob("*.yaml"):
        if stale.stem not in names:
            stale.unlink()
    for name in names:
        (GOLDEN_DIR / f"{name}.yaml").write_text(golden_text(name))
    print(f"{len(names)} golden configs in {GOLDEN_DIR}")


if __name__ == "__main__":
    main()
