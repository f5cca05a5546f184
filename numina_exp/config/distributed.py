"""Schema of the `distributed` group and the `launch` block (how many processes, through what).

`distributed=single` runs in the entrypoint's process; anything else (or more than one process) makes
a launched method (`Method.launched`: the trainers) re-launch itself through `accelerate launch` with a config rendered from the template
numina_exp/launch_templates/<name>.yaml into the run directory (numina_exp/train/launch.py)."""
from dataclasses import dataclass
from enum import StrEnum
from typing import Optional


class Distributed(StrEnum):
    single = "single"
    ddp = "ddp"
    zero3 = "zero3"
    zero3_offload = "zero3_offload"


@dataclass
class DistributedConfig:
    name: Distributed = Distributed.single  # template: numina_exp/launch_templates/<name>.yaml
    zero_stage: int = 0
    zero3_init: bool = False
    save_16bit_model: bool = False
    offload_optimizer: bool = False
    offload_params: bool = False
    mixed_precision: str = "bf16"  # bf16 | fp16 | no   (forced to `no` on CPU: fp32)


@dataclass
class LaunchConfig:
    gpus: int = 0  # processes per node on GPU nodes (0: use launch.processes)
    processes: int = 1  # processes per node when gpus == 0 (e.g. 2 for ZeRO-3 over 2 CPU processes)
    nodes: int = 1
    machine_rank: Optional[int] = None  # None: $SLURM_NODEID, else 0
    main_process_ip: Optional[str] = None  # None: $MASTER_ADDR, else the first host of $SLURM_JOB_NODELIST, else localhost
    main_process_port: Optional[int] = None  # None: $MASTER_PORT, else 29500 (multi-node) / a free port (one node)
    accelerate: str = "accelerate"  # the launcher executable (looked up next to the running python first)


def processes_per_node(launch: LaunchConfig) -> int:
    """launch.gpus on GPU nodes, else launch.processes (never below 1)."""
    return max(launch.gpus if launch.gpus > 0 else launch.processes, 1)


def world_size(launch: LaunchConfig) -> int:
    """The one formula for the number of training processes (validation, TRL arguments, the launcher)."""
    return processes_per_node(launch) * max(launch.nodes, 1)
