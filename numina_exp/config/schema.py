"""The whole run config as one typed tree. Registered in Hydra's ConfigStore as `base_config`, the
first entry of conf/config.yaml's defaults, so every group file is merged into a dataclass: an unknown
key or a wrong type fails at composition, naming the key.

The shared groups are fields below. Each method adds what it declares (numina_exp.core.registry):
its own section (`Method.section`/`schema`, e.g. cfg.pipeline) and, for trainers, the `train` group
option named after it (`Method.train_schema`, stored in the ConfigStore as train/<name>; its defaults
are the dataclass's). `train` is chosen by the method (`optional train: ${method}` in config.yaml).
Kept importable (not in __main__) because submitit pickles the config and cannot unpickle __main__
dataclasses."""
from dataclasses import dataclass, field, make_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore

from .backend import BackendConfig
from .data import DataConfig
from .decoding import DecodingConfig
from .distributed import DistributedConfig, LaunchConfig
from .eval import EvalConfig
from .logger import LoggerConfig
from .method import MethodConfig
from .model import ModelConfig
from .sandbox import SandboxConfig
from .scale import ScaleConfig


@dataclass
class BaseConfig:
    experiment_name: str = "default"
    seed: int = 42
    output_root: str = "outputs"
    method: MethodConfig = field(default_factory=MethodConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: Any = None  # a TrainBase subclass chosen by the method (conf/train/<method>.yaml); None for non-trainers
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)
    launch: LaunchConfig = field(default_factory=LaunchConfig)


def _build_config() -> type:
    from ..core.registry import methods

    sections = []
    taken = {f for f in BaseConfig.__dataclass_fields__}
    for m in methods().values():
        if m.section is None:
            continue
        if m.section in taken:
            raise ValueError(f"method {m.name}: config section {m.section!r} is already taken")
        taken.add(m.section)
        sections.append((m.section, m.schema, field(default_factory=m.schema)))
    return make_dataclass("Config", sections, bases=(BaseConfig,), namespace={"__module__": __name__})


_CONFIG: list = []


def config_class() -> type:
    """The full schema (BaseConfig + every method's section), registered on first use."""
    register_configs()
    return _CONFIG[0]


def register_configs() -> None:
    """Idempotent. Not done at import: method modules import numina_exp.config themselves, and the
    registry imports every method module to build the schema."""
    from ..core.registry import methods

    if _CONFIG:
        return
    _CONFIG.append(_build_config())
    globals()["Config"] = _CONFIG[0]  # pickle (submitit) finds the class by its module and name
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=_CONFIG[0])
    for m in methods().values():
        if m.train_schema is not None:
            cs.store(group="train", name=m.name, node=m.train_schema)


def __getattr__(name: str):
    """`numina_exp.config.schema.Config` builds the schema on first access (also when unpickling)."""
    if name == "Config":
        return config_class()
    raise AttributeError(name)
