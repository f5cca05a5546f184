"""The whole run config as one typed tree. Registered in Hydra's ConfigStore as `base_config`, the
first entry of conf/config.yaml's defaults, so every group file is merged into a dataclass: an unknown
key or a wrong type fails at composition, naming the key. Kept importable (not in __main__) because
submitit pickles the config and cannot unpickle __main__ dataclasses."""
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore

from .backend import BackendConfig
from .data import DataConfig
from .decoding import DecodingConfig
from .distributed import DistributedConfig, LaunchConfig
from .eval import EvalConfig
from .logger import LoggerConfig
from .method import MethodConfig, PipelineConfig
from .model import ModelConfig
from .sandbox import SandboxConfig
from .scale import ScaleConfig
from .train import TrainConfig


@dataclass
class Config:
    experiment_name: str = "default"
    seed: int = 42
    output_root: str = "outputs"
    method: MethodConfig = field(default_factory=MethodConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)
    launch: LaunchConfig = field(default_factory=LaunchConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    # Free-form extras for later methods (merge, quantize, kto, rloo) until they get their own schema.
    extra: Any = field(default_factory=dict)


def register_configs() -> None:
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)


register_configs()
