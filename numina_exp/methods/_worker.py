"""One process of a launched run: `python -m numina_exp.methods._worker <run_dir>` (run by
`accelerate launch`, see numina_exp.train.launch). Reloads <run_dir>/resolved_config.yaml into the
typed schema and runs its method in this process."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from omegaconf import OmegaConf


def load_run_config(run_dir: Path):
    """The run's config as the entrypoint composed it: the full schema, with `train` typed by the method's
    own train schema. The schema declares `train: Any` (each trainer brings its own dataclass, which
    Hydra picks as the train/<method> option); merging the saved YAML into that alone would leave
    cfg.train a plain dict in every worker, its enums strings."""
    from numina_exp.core.registry import method

    from . import config_class

    saved = OmegaConf.load(Path(run_dir) / "resolved_config.yaml")
    schema = OmegaConf.structured(config_class())
    train_schema = method(saved.method.name).train_schema
    if train_schema is not None:
        schema.train = OmegaConf.structured(train_schema)
    cfg = OmegaConf.merge(schema, saved)
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
