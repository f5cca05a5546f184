"""The table of declared methods, and what a declaration holds.

Methods declare themselves: every module in `numina_exp.methods` (and every module named in the
environment variable NUMINA_EXP_METHODS, comma-separated, for methods that live elsewhere) defines
`METHOD = Method(...)`. Finding them is the methods layer's job (`numina_exp.methods.discover()`,
called by `numina_exp.methods.register_configs()` before any config is composed); this module sits
below every layer and only holds the table, so it imports nothing above it. The entrypoint, the
worker, the pipeline, the validator and the config schema read these declarations; no method name is
written anywhere else.

Decoding strategies and generation backends have their own tables in the layers that own them
(numina_exp.decode.strategies, numina_exp.generate.backends)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

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
    train_schema: Optional[type] = None  # trainers: the `train` group option named after the method (a TrainBase subclass)
    launched: bool = False  # multi-process runs re-launch through accelerate; each worker calls run() again
    consumes: dict = field(default_factory=dict)  # input kind -> config key a pipeline sets
    produces: dict = field(default_factory=dict)  # output kind -> path inside the run dir
    # scale=cpu caps of the method's own keys: config key -> a ScaleConfig field name, or a function
    # cfg -> cap (applied after the shared caps, listed in the scale banner like them)
    scale_caps: dict = field(default_factory=dict)
    # cfg -> [(config key, model reference)] of the weights a run loads besides model.* and train.init_from
    # (merge: its models and base model), so the offline hub check (models/hub.py) covers them
    model_refs: Optional[Callable] = None

    def __post_init__(self):
        for kind in (*self.consumes, *self.produces):
            if kind not in KINDS:
                raise ValueError(f"method {self.name}: unknown input/output kind {kind!r} (known: {KINDS})")
        if (self.section is None) != (self.schema is None):
            raise ValueError(f"method {self.name}: `section` and `schema` go together")


_METHODS: dict[str, Method] = {}


def register(found: dict[str, Method]) -> None:
    """Fill the table (numina_exp.methods.discover does, once per process)."""
    _METHODS.clear()
    _METHODS.update(sorted(found.items()))


def methods() -> dict[str, Method]:
    """Every declared method, by name."""
    if not _METHODS:
        raise RuntimeError("no methods are registered yet: call numina_exp.methods.register_configs() first "
                           "(the entrypoint, the worker and tests/helpers.py do)")
    return _METHODS


def method(name: str) -> Method:
    return methods()[name]
