"""Multi-process training through `accelerate launch`.

The entrypoint process (python -m numina_exp ...) composes and validates the config and writes
<run_dir>/resolved_config.yaml as for every run. When the run needs more than one process, or any
`distributed=` other than `single`, a launched method (`Method.launched`: every trainer) does not train
in that process: it renders numina_exp/launch_templates/<distributed.name>.yaml with this run's process counts into
<run_dir>/accelerate_config.yaml and runs

    accelerate launch --config_file <run_dir>/accelerate_config.yaml -m numina_exp.methods._worker <run_dir>

Each worker reloads the resolved config and runs the same method (Method.run, inside the launcher). On a
multi-node Slurm job run the entrypoint once per node (srun --ntasks-per-node=1) with launch.nodes set;
machine rank and the main node's address come from launch.* or SLURM_NODEID / MASTER_ADDR /
SLURM_JOB_NODELIST (docs/training.md)."""
from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from ..core.quiet import quiet
from .args import world_size

log = logging.getLogger("numina_exp")
TEMPLATES = Path(__file__).resolve().parents[1] / "launch_templates"
WORKER_ENV = "NUMINA_EXP_WORKER"  # set in launched workers: never re-launch from inside one


def needs_launcher(cfg) -> bool:
    return cfg.distributed.name != "single" or world_size(cfg) > 1


def inside_launcher() -> bool:
    return os.environ.get(WORKER_ENV) == "1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_slurm_host() -> str | None:
    nodelist = os.environ.get("SLURM_JOB_NODELIST")
    if not nodelist or not shutil.which("scontrol"):
        return None
    out = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True)
    return out.stdout.split()[0] if out.returncode == 0 and out.stdout.split() else None


def accelerate_config(cfg, cpu: bool) -> dict:
    """The template for distributed.name, filled with this run's process layout and precision."""
    dist, launch = cfg.distributed, cfg.launch
    name = "ddp" if dist.name == "single" else dist.name
    if name == "ddp" and cpu:
        raise RuntimeError("distributed=ddp needs GPUs: accelerate's MULTI_CPU starts a single process without mpirun. "
                           "On CPU use distributed=zero3 launch.processes=2.")
    conf = yaml.safe_load((TEMPLATES / f"{name}.yaml").read_text())
    nodes = max(launch.nodes, 1)
    conf["num_processes"] = world_size(cfg)  # accelerate counts processes over all machines
    conf["num_machines"] = nodes
    conf["use_cpu"] = bool(cpu)
    conf["mixed_precision"] = "no" if cpu else dist.mixed_precision  # CPU trains in fp32
    if "deepspeed_config" in conf:
        ds = conf["deepspeed_config"]
        ds["zero_stage"] = dist.zero_stage
        ds["zero3_init_flag"] = bool(dist.zero3_init)
        ds["zero3_save_16bit_model"] = bool(dist.save_16bit_model)
        ds["offload_optimizer_device"] = "cpu" if dist.offload_optimizer else "none"
        ds["offload_param_device"] = "cpu" if dist.offload_params else "none"
    if nodes > 1:
        conf["machine_rank"] = launch.machine_rank if launch.machine_rank is not None else int(os.environ.get("SLURM_NODEID", 0))
        conf["main_process_ip"] = launch.main_process_ip or os.environ.get("MASTER_ADDR") or _first_slurm_host() or "localhost"
        conf["main_process_port"] = launch.main_process_port or int(os.environ.get("MASTER_PORT", 29500))
    else:
        conf["machine_rank"] = 0
        conf["main_process_port"] = launch.main_process_port or _free_port()
    return conf


def _accelerate_exe(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def relaunch(cfg, run_dir: Path, module: str = "numina_exp.methods._worker", cpu: bool | None = None) -> int:
    """Write the accelerate config into the run dir and run the workers; returns their exit code (raises on failure)."""
    if cpu is None:
        import torch
        cpu = not torch.cuda.is_available()
    conf = accelerate_config(cfg, cpu)
    # One file per node: every node's entrypoint writes into the same (shared) run dir, and a single
    # file would let node 1's machine_rank overwrite node 0's before its accelerate reads it.
    path = Path(run_dir) / ("accelerate_config.yaml" if conf["num_machines"] == 1
                            else f"accelerate_config.node{conf['machine_rank']}.yaml")
    path.write_text(yaml.safe_dump(conf, sort_keys=False))
    cmd = [_accelerate_exe(cfg.launch.accelerate), "launch", "--config_file", str(path), "-m", module, str(run_dir)]
    quiet()  # the workers inherit the filters (core/quiet.py: DeepSpeed's ~1000 FutureWarnings a run, ...)
    env = dict(os.environ)
    env[WORKER_ENV] = "1"
    log.info("launching %d processes (%s): %s", conf["num_processes"], cfg.distributed.name, " ".join(cmd))
    print(f"[launch] {' '.join(cmd)}", flush=True)
    rc = subprocess.run(cmd, env=env).returncode
    if rc != 0:
        raise RuntimeError(f"accelerate launch exited with {rc}; the command and config are in {path}")
    return rc
