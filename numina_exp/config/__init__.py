"""Typed configs, validation and scaling. Importing this registers the `pkg` resolver;
`register_configs()` (idempotent) builds the schema from the declared methods and stores it in
Hydra's ConfigStore: call it before composing (the entrypoint, the worker and tests do)."""
from pathlib import Path

from omegaconf import OmegaConf

from .errors import ConfigError
from .schema import config_class, register_configs

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def package_path(rel: str) -> str:
    """`${pkg:data/samples/x.jsonl}` in YAML -> absolute path of a file shipped inside numina_exp/."""
    return str(PACKAGE_DIR / rel)


if not OmegaConf.has_resolver("pkg"):
    OmegaConf.register_new_resolver("pkg", package_path)

__all__ = ["config_class", "ConfigError", "register_configs", "package_path", "PACKAGE_DIR"]
