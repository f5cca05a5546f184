"""`python -m numina_exp [overrides]`: compose, validate, dispatch. Nothing else lives here."""
import sys

import hydra
from omegaconf import DictConfig

import numina_exp.config  # noqa: F401  registers the schema (base_config) and the pkg resolver


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig):
    from numina_exp.config import ConfigError
    from numina_exp.config.scaling import apply_scale
    from numina_exp.config.validate import validate
    from numina_exp.registry import method_fn
    from numina_exp.runtime import prepare_run

    try:
        changes = apply_scale(cfg)
        validate(cfg)
    except ConfigError as err:
        print(err, file=sys.stderr)
        sys.exit(2)
    run_dir = prepare_run(cfg, scale_changes=changes)
    return method_fn(cfg.method.name)(cfg, run_dir)


def _accept_plus_experiment(argv: list[str]) -> list[str]:
    """Both `experiment=X` (lightning-hydra-template style, since the defaults list ends with
    `experiment: null`) and `+experiment=X` (what the docs and users type) select an experiment;
    Hydra alone would reject the second as a duplicate. Only this exact key is rewritten."""
    return [a[1:] if a.startswith("+experiment=") else a for a in argv]


if __name__ == "__main__":
    sys.argv = _accept_plus_experiment(sys.argv)
    main()
