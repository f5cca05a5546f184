"""One process of a launched run: `python -m numina_exp.train.worker <run_dir>` (run by
`accelerate launch`, see launch.py). Reloads <run_dir>/resolved_config.yaml into the typed schema and
runs the recipe of its method in this process."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from omegaconf import OmegaConf


def load_run_config(run_dir: Path):
    import numina_exp.config  # noqa: F401  registers the pkg resolver
    from numina_exp.config.schema import Config

    cfg = OmegaConf.merge(OmegaConf.structured(Config), OmegaConf.load(Path(run_dir) / "resolved_config.yaml"))
    OmegaConf.set_struct(cfg, True)
    return cfg


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m numina_exp.train.worker RUN_DIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
    run_dir = Path(argv[0])
    cfg = load_run_config(run_dir)
    from numina_exp.runtime import seed_everything

    seed_everything(cfg.seed)
    if cfg.method.name == "sft":
        from numina_exp.train.sft import train
        train(cfg, run_dir)
        return 0
    raise SystemExit(f"no launched recipe for method={cfg.method.name}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
