"""Schema of the `distributed` group and the `launch` block (how many processes, through what)."""
from dataclasses import dataclass
from typing import Optional


@dataclass
class DistributedConfig:
    name: str = "single"  # single | ddp | zero3 | zero3_offload
    zero_stage: int = 0
    zero3_init: bool = False
    save_16bit_model: bool = False
    offload_optimizer: bool = False
    offload_params: bool = False
    mixed_precision: str = "bf16"  # bf16 | fp16 | no


@dataclass
class LaunchConfig:
    gpus: int = 0  # processes per node on GPU nodes (0: use launch.processes)
    processes: int = 1  # processes per node when gpus == 0 (e.g. 2 for ZeRO-3 over 2 CPU processes)
    nodes: int = 1
    main_process_port: Optional[int] = None
