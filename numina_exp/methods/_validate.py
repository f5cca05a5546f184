"""Validate a composed config for its method: the checks of each section the method needs
(`Method.needs`), then the method's own `validate`. Lives with the methods because a section's checks
come from the layer that owns it: decoding from numina_exp.decode (by the strategy's capabilities),
backend from numina_exp.generate (by the backend's), the rest from numina_exp.config."""
from __future__ import annotations

from omegaconf import DictConfig

from ..config import validate as shared
from ..core.errors import ConfigError
from ..core.registry import methods
from ..decode.checks import check_grid, check_strategy, deliberate_mixes
from ..generate.checks import check_backend_capabilities

__all__ = ["validate", "deliberate_mixes", "CHECKS"]


def _both(*checks):
    def run(cfg: DictConfig) -> None:
        for check in checks:
            check(cfg)
    return run


CHECKS = {
    **shared.CHECKS,
    "decoding": _both(shared.check_decoding, check_strategy),
    "backend": _both(shared.check_backend, check_backend_capabilities),
    "eval": _both(shared.check_eval, check_grid),
}


def validate(cfg: DictConfig) -> None:
    """Raises ConfigError naming the key and the fix, before anything heavy is imported."""
    declared = methods()
    if cfg.method.name not in declared:
        raise ConfigError("method.name", f"unknown method {cfg.method.name!r}", f"use one of {sorted(declared)}")
    method = declared[cfg.method.name]
    if method.train_schema is not None and cfg.train is None:
        raise ConfigError("train", f"method={method.name} trains but the config has no train section",
                          "keep the defaults list's `optional train: ${method}` (the method's train_schema is the option)")
    for section in method.needs:
        CHECKS[section](cfg)
    if method.validate is not None:
        method.validate(cfg)
