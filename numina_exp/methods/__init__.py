"""One module per runnable method, each declaring `METHOD = Method(...)` (numina_exp.core.registry).
Modules starting with `_` are the dispatcher's own, not methods.

This package finds its methods (`discover`) and builds the run schema from them (`register_configs`):
the set of methods is known here, so the full schema is built here and handed down to numina_exp.config,
whose registry table (numina_exp.core.registry) the lower layers read. Importing this package is cheap;
method modules are imported on the first `discover()`."""
from __future__ import annotations

import importlib
import os
import pkgutil

PLUGINS_ENV = "NUMINA_EXP_METHODS"  # comma-separated modules outside this package that declare a METHOD


def _module_names() -> list[str]:
    names = [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    names += [n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()]
    return names


def discover() -> dict:
    """Import every method module once and fill the registry's table; returns it (name -> Method)."""
    from ..core import registry

    if registry._METHODS:
        return registry._METHODS
    found: dict = {}
    for module_name in _module_names():
        method = getattr(importlib.import_module(module_name), "METHOD", None)
        if method is None:
            continue
        if method.name in found:
            raise ValueError(f"two modules declare method {method.name!r}: {found[method.name][1]} and {module_name}")
        found[method.name] = (method, module_name)
    registry.register({name: m for name, (m, _) in found.items()})
    return registry.methods()


_CONFIG: list = []


def register_configs() -> type:
    """Idempotent; call it before composing a config. Finds the methods, builds the run schema from their
    declarations (BaseConfig + each method's section) and stores it in Hydra's ConfigStore with one
    `method` option and, for trainers, one `train` option per method. Returns the schema class."""
    if not _CONFIG:
        from ..config.schema import store_configs

        _CONFIG.append(store_configs(discover(), module=__name__))
    return _CONFIG[0]


def config_class() -> type:
    """The full schema class (registered on first use)."""
    return register_configs()


def __getattr__(name: str):
    """`numina_exp.methods.Config` builds the schema on first access: unpickling a config (submitit)
    finds the class by its module and name."""
    if name == "Config":
        return config_class()
    raise AttributeError(name)
