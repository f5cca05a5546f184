"""Validation of the `backend` section by what the chosen backend can do (its class's flags,
generate/base.py) and by its own keys (`Backend.check_config`, generate/keys.py); the shared ranges are in
numina_exp.config.validate.check_backend. Runs before any engine loads: the backend modules are cheap
to import."""
from __future__ import annotations

from omegaconf import DictConfig

from ..config.validate import _no_remote_code, gguf_installed
from ..core.errors import ConfigError
from .backends import backend_class, with_flag


def check_backend_capabilities(cfg: DictConfig) -> None:
    b = cfg.backend
    cls = backend_class(b.name)
    cls.check_config(cfg)
    if not cls.recorded:
        gguf_installed(cfg)
    if cls.loads_weights:  # a method that needs no `model` section (evaluate) still loads model.path here
        _no_remote_code(cfg, "model.path", cfg.model.path)
    if b.data_parallel_size > 1 and not cls.data_parallel:
        raise ConfigError("backend.data_parallel_size", f"backend={b.name} runs one engine (data-parallel engines: {with_flag('data_parallel')})",
                          f"use backend={' or '.join(with_flag('data_parallel'))}, or backend.data_parallel_size=1")
    if (b.static_cache or b.compile) and not cls.static_cache:
        raise ConfigError("backend.static_cache", f"backend={b.name} manages its own KV cache (static KV cache / compile: "
                          f"{with_flag('static_cache')})",
                          f"use backend={' or '.join(with_flag('static_cache'))}, or drop backend.static_cache/backend.compile")
