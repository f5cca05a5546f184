"""`python -m numina_exp.report RUN_DIR [RUN_DIR ...] [--out DIR]`: evaluation runs side by side
(KTO runs: their implicit-reward curves overlaid in DIR/kto_compare.png, DIR defaulting to the current one)."""
from __future__ import annotations

import argparse
import sys

from .compare import compare


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m numina_exp.report", description=__doc__)
    ap.add_argument("runs", nargs="+", help="run directories (evaluation runs: results.json; KTO runs: train_metrics.json)")
    ap.add_argument("--out", default=None, help="also write compare.md and compare.png here")
    args = ap.parse_args(argv)
    try:
        print(compare(args.runs, args.out))
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
