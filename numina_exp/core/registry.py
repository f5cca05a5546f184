"""Names -> implementations.

Methods declare themselves: every module in `numina_exp.methods` (and every module named in the
environment variable NUMINA_EXP_METHODS, comma-separated, for methods that live elsewhere) defines
`METHOD = Method(...)`. The entrypoint, the worker, the pipeline, the validator and the config schema
read these declarations; no method name is written anywhere else. Method modules must import cheaply
(no torch at module level): the registry imports them all to compose a config.

Decoding strategies and generation backends are looked up by name in the two tables below; their
entries are import paths, so validating a config never imports torch."""
from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Optional

PLUGINS_ENV = "NUMINA_EXP_METHODS"
KINDS = ("model", "models", "dataset", "eval")


@dataclass(frozen=True)
class Method:
    name: str
    run: Callable  # run(cfg, run_dir) -> dict (written to run_dir/result.json)
    doc: str = ""
    needs: tuple = ()  # generic config sections checked by config.validate (model, data, train, decoding, ...)
    validate: Optional[Callable] = None  # validate(cfg): method-specific checks, raises ConfigError
    section: Optional[str] = None  # a top-level config section this method owns (cfg.<section>) ...
    schema: Optional[type] = None  # ... typed by this dataclass
    train_schema: Optional[type] = None  # trainers: the schema of conf/train/<name>.yaml (a TrainBase subclass)
    launched: bool = False  # multi-process runs re-launch through accelerate; each worker calls run() again
    consumes: dict = field(default_factory=dict)  # input kind -> config key a pipeline sets
    produces: dict = field(default_factory=dict)  # output kind -> path inside the run dir
    # scale=cpu caps of the method's own keys: config key -> a ScaleConfig field name, or a function
    # cfg -> cap (applied after the shared caps, listed in the scale banner like them)
    scale_caps: dict = field(default_factory=dict)

    def __post_init__(self):
        for kind in (*self.consumes, *self.produces):
            if kind not in KINDS:
                raise ValueError(f"method {self.name}: unknown input/output kind {kind!r} (known: {KINDS})")
        if (self.section is None) != (self.schema is None):
            raise ValueError(f"method {self.name}: `section` and `schema` go together")


_METHODS: dict[str, Method] = {}


def _module_names() -> list[str]:
    # imported by name: the registry sits below every layer and finds methods the way it finds plugins
    pkg = importlib.import_module("numina_exp.methods")
    names = [f"{pkg.__name__}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    names += [n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()]
    return names


def methods() -> dict[str, Method]:
    """Every declared method, by name (imported once)."""
    if not _METHODS:
        found = {}
        for module_name in _module_names():
            method = getattr(importlib.import_module(module_name), "METHOD", None)
            if method is None:
                continue
            if method.name in found:
                raise ValueError(f"two modules declare method {method.name!r}: {found[method.name][1]} and {module_name}")
            found[method.name] = (method, module_name)
        _METHODS.update({name: m for name, (m, _) in sorted(found.items())})
    return _METHODS


def method(name: str) -> Method:
    return methods()[name]


def _resolve(target: str) -> Callable:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


STRATEGIES: dict[str, str] = {
    "greedy": "numina_exp.decode.greedy:decode",
    "maj_k": "numina_exp.decode.majority:decode",
    "sc_tir_numina": "numina_exp.decode.sc_tir:decode",
    "sc_tir": "numina_exp.decode.sc_tir:decode",
}

BACKENDS: dict[str, str] = {
    "hf": "numina_exp.generate.hf:HFBackend",
    "vllm": "numina_exp.generate.vllm:VLLMBackend",
    "replay": "numina_exp.generate.replay:ReplayBackend",
    "openai": "numina_exp.generate.openai:OpenAIBackend",
}


def strategy_fn(name: str) -> Callable:
    return _resolve(STRATEGIES[name])


def backend_cls(name: str) -> Callable:
    return _resolve(BACKENDS[name])
