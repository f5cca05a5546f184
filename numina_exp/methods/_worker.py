"""One process of a launched run: `python -m numina_exp.methods._worker <run_dir>` (run by
`accelerate launch`, see numina_exp.train.launch). Reloads <run_dir>/resolved_config.yaml into the
typed schema and runs its method in this process."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from omegaconf import OmegaConf


def load_run_config(run_dir: Path):
    from numina_exp.config import config_class

    cfg = OmegaConf.merge(OmegaConf.structured(config_class()), OmegaConf.load(Path(run_dir) / "resolved_config.yaml"))
    OmegaConf.set_struct(cfg, True)
    return cfg


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m numina_exp.methods._worker RUN_DIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
    run_dir = Path(argv[0])
    cfg = load_run_config(run_dir)
    from numina_exp.core.rundir import seed_everything

    from ._run import execute

    seed_everything(cfg.seed)
    execute(cfg, run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
