"""The whole run config as one typed tree. Registered in Hydra's ConfigStore as `base_config`, the
first entry of conf/config.yaml's defaults, so every group file is merged into a dataclass: an unknown
key or a wrong type fails at composition, naming the key.

The shared groups are fields below. Each method adds what it declares (numina_exp.core.registry):
its own section (`Method.section`/`schema`, e.g. cfg.pipeline) and, for trainers, the `train` group
option named after it (`Method.train_schema`, stored in the ConfigStore as train/<name>; its defaults
are the dataclass's). The `method` group's options are the declared names, stored the same way.
`train` is chosen by the method (`optional train: ${method}` in config.yaml). The schema is built where the methods are known (numina_exp.methods.register_configs, which calls
store_configs below) and lives there as `numina_exp.methods.Config`: submitit pickles the config and
cannot unpickle __main__ dataclasses."""
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
    train: Any = None  # the method's train_schema (the train/<method> option); None for non-trainers
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)
    launch: LaunchConfig = field(default_factory=LaunchConfig)


def store_configs(methods: dict, module: str) -> type:
    """The run schema for these methods (name -> Method), stored in Hydra's ConfigStore: `base_config`,
    one `method` group option per method (its name: Hydra picks methods the way it picks any group
    option, with no YAML file per method) and one `train` option per trainer (its train_schema).
    `module` is where the class is found again when a pickled config is loaded (numina_exp.methods,
    which builds it on attribute access)."""
    sections = []
    taken = {f for f in BaseConfig.__dataclass_fields__}
    for m in methods.values():
        if m.section is None:
            continue
        if m.section in taken:
            raise ValueError(f"method {m.name}: config section {m.section!r} is already taken")
        taken.add(m.section)
        sections.append((m.section, m.schema, field(default_factory=m.schema)))
    config = make_dataclass("Config", sections, bases=(BaseConfig,), namespace={"__module__": module})
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=config)
    for m in methods.values():
        cs.store(group="method", name=m.name, node=MethodConfig(name=m.name))
        if m.train_schema is not None:
            cs.store(group="train", name=m.name, node=m.train_schema)
    return config
