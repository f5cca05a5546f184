"""Typed configs, validation and scaling. Importing this registers the `pkg` resolver. The schema of a
run depends on the declared methods, so it is built by `numina_exp.methods.register_configs()`
(idempotent; call it before composing: the entrypoint, the worker and tests do), which hands the
declarations to `schema.store_configs`."""
from pathlib import Path

from omegaconf import OmegaConf

from .errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def package_path(rel: str) -> str:
    """`${pkg:data/samples/x.jsonl}` in YAML -> absolute path of a file shipped inside numina_exp/."""
    return str(PACKAGE_DIR / rel)


if not OmegaConf.has_resolver("pkg"):
    OmegaConf.register_new_resolver("pkg", package_path)

__all__ = ["ConfigError", "package_path", "PACKAGE_DIR"]
