"""`python -m numina_exp [overrides]`: compose, validate, dispatch. Nothing else lives here."""
import sys

from numina_exp.core.quiet import quiet, verbose_requested

quiet(verbose_requested(sys.argv[1:]))  # before the imports below: library noise off (hydra.verbose=true: on)

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from numina_exp.core.paths import conf_dir  # noqa: E402
from numina_exp.methods import register_configs  # noqa: E402

register_configs()  # the schema is built from the declared methods before Hydra composes


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="config")
def main(cfg: DictConfig):
    from numina_exp.config import ConfigError
    from numina_exp.config.scaling import apply_scale
    from numina_exp.core.rundir import RunError, prepare_run, resume_hint
    from numina_exp.generate.backends import backend_class
    from numina_exp.methods._run import execute
    from numina_exp.methods._validate import deliberate_mixes, validate
    from numina_exp.models.hub import check_hub_available

    try:
        changes = apply_scale(cfg)
        validate(cfg)
        # offline and not cached: fail now, not minutes into the run
        check_hub_available(cfg, backend_class(cfg.backend.name).loads_weights)
    except ConfigError as err:
        print(err, file=sys.stderr)
        sys.exit(2)
    run_dir = None
    try:
        run_dir = prepare_run(cfg, scale_changes=changes, notes=deliberate_mixes(cfg))
        return execute(cfg, run_dir)
    except ConfigError as err:  # found once the run knows more (a pipeline's stages, a resumed run dir)
        print(err, file=sys.stderr)
        sys.exit(2)
    except RunError as err:  # run dir busy, unwritable, or holding results of another evaluation
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        where = f"; what finished is saved in {run_dir}. Resume with:\n  {resume_hint(run_dir)}" if run_dir else ""
        print(f"\n[run] interrupted (Ctrl-C){where}", file=sys.stderr, flush=True)
        sys.exit(130)


def _accept_plus_experiment(argv: list[str]) -> list[str]:
    """Both `experiment=X` (lightning-hydra-template style, since the defaults list ends with
    `experiment: null`) and `+experiment=X` (what the docs and users type) select an experiment;
    Hydra alone would reject the second as a duplicate. Only this exact key is rewritten."""
    return [a[1:] if a.startswith("+experiment=") else a for a in argv]


def _check_output_dir(argv: list[str]) -> None:
    """Before Hydra (which creates the run dir itself and fails with a traceback): a clear error."""
    from numina_exp.core.rundir import RunDirError, check_output_dir, output_dir_from_argv
    try:
        check_output_dir(output_dir_from_argv(argv))
    except RunDirError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    sys.argv = _accept_plus_experiment(sys.argv)
    _check_output_dir(sys.argv[1:])
    main()
