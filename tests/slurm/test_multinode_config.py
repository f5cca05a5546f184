"""Multi-node training through Slurm: launch/slurm_sft.sbatch runs one entrypoint per node through srun,
and each node renders an accelerate + DeepSpeed ZeRO-3 config whose rendezvous comes from Slurm's
environment. The script itself runs here under bash; only what needs several GPU nodes (srun across
nodes, scontrol of a real allocation) is a recording stand-in."""
import os
import subprocess

import pytest
import yaml
from helpers import REPO, compose_cfg

from numina_exp.methods._validate import validate
from numina_exp.train.launch import accelerate_config, relaunch

SBATCH = REPO / "launch" / "slurm_sft.sbatch"


def _directives() -> dict:
    out = {}
    for line in SBATCH.read_text().splitlines():
        if line.startswith("#SBATCH "):
            key, _, value = line.split(None, 1)[1].partition("=")
            out[key.lstrip("-")] = value
    return out


@pytest.fixture(scope="module")
def srun_argv(tmp_path_factory) -> list[str]:
    """Run the sbatch script as Slurm would on a 2-node allocation; return the argv it gave srun."""
    bin_dir = tmp_path_factory.mktemp("bin")
    record = bin_dir / "srun.argv"
    (bin_dir / "srun").write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > {record}\n')
    (bin_dir / "scontrol").write_text('#!/bin/bash\n[ "$1 $2" = "show hostnames" ] && printf "gpu-a17\\ngpu-a18\\n"\n')
    for f in ("srun", "scontrol"):
        (bin_dir / f).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SLURM_JOB_NODELIST": "gpu-a[17-18]",
           "SLURM_NNODES": "2", "SLURM_JOB_ID": "4242"}
    env.pop("MASTER_ADDR", None)
    env.pop("RUN_DIR", None)
    r = subprocess.run(["bash", str(SBATCH), "+experiment=stage2_tir", "train.init_from=outputs/stage1_cot/x",
                        "train.per_device_batch_size=2"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return record.read_text().splitlines()


def test_recipe_batch_on_two_nodes_without_adjusting_is_refused():
    cfg = compose_cfg(["experiment=stage2_tir", "distributed=zero3", "launch.gpus=8", "launch.nodes=2"])
    with pytest.raises(Exception, match="train.global_batch_size"):
        validate(cfg)


def test_sbatch_asks_one_task_per_node_of_eight_gpus():
    d = _directives()
    assert d["nodes"] == "2" and d["ntasks-per-node"] == "1" and d["gpus-per-node"] == "8"


def test_srun_line_composes_to_a_valid_multinode_zero3_run(srun_argv, monkeypatch):
    assert srun_argv[:2] == ["--ntasks-per-node=1", "--kill-on-bad-exit=1"]
    i = srun_argv.index("numina_exp")
    assert srun_argv[i - 1] == "-m"
    overrides = srun_argv[i + 1:]
    assert "hydra.run.dir=outputs/sft/slurm-4242" in overrides
    overrides = [o for o in overrides if not o.startswith("hydra.")]
    cfg = compose_cfg([o[1:] if o.startswith("+experiment=") else o for o in overrides])
    validate(cfg)
    assert cfg.distributed.name == "zero3" and cfg.launch.nodes == 2 and cfg.launch.gpus == 8
    assert cfg.train.global_batch_size == 32  # the recipe's batch, over 16 GPUs
    monkeypatch.setenv("MASTER_ADDR", "gpu-a17")  # what the script exported (from scontrol show hostnames)
    monkeypatch.setenv("MASTER_PORT", "29500")
    for node in (0, 1):
        monkeypatch.setenv("SLURM_NODEID", str(node))
        conf = accelerate_config(cfg, cpu=False)
        assert conf["distributed_type"] == "DEEPSPEED" and conf["deepspeed_config"]["zero_stage"] == 3
        assert conf["deepspeed_config"]["zero3_init_flag"] is True and conf["deepspeed_config"]["zero3_save_16bit_model"] is True
        assert conf["deepspeed_config"]["deepspeed_multinode_launcher"] == "standard"
        assert conf["num_machines"] == 2 and conf["num_processes"] == 16  # accelerate counts all machines
        assert conf["machine_rank"] == node
        assert (conf["main_process_ip"], conf["main_process_port"]) == ("gpu-a17", 29500)
        assert conf["mixed_precision"] == "bf16" and conf["use_cpu"] is False


def test_rendezvous_falls_back_to_the_first_host_of_the_nodelist(monkeypatch, tmp_path):
    cfg = compose_cfg(["experiment=stage1_cot", "distributed=zero3", "launch.gpus=8", "launch.nodes=2",
                       "train.per_device_batch_size=2"])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scontrol").write_text('#!/bin/bash\nprintf "node-07\\nnode-08\\n"\n')
    (bin_dir / "scontrol").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.delenv("MASTER_PORT", raising=False)
    monkeypatch.setenv("SLURM_JOB_NODELIST", "node-[07-08]")
    monkeypatch.setenv("SLURM_NODEID", "1")
    conf = accelerate_config(cfg, cpu=False)
    assert (conf["main_process_ip"], conf["main_process_port"], conf["machine_rank"]) == ("node-07", 29500, 1)


def test_each_node_writes_its_own_config_into_the_shared_run_dir(monkeypatch, tmp_path):
    """Both nodes' entrypoints render into one run dir; neither may overwrite the other's rank."""
    cfg = compose_cfg(["experiment=stage1_cot", "distributed=zero3", "launch.gpus=8", "launch.nodes=2"])
    cfg.launch.accelerate = "true"  # `true launch ...`: everything but the training itself
    monkeypatch.setenv("MASTER_ADDR", "gpu-a17")
    for node in (1, 0):
        monkeypatch.setenv("SLURM_NODEID", str(node))
        assert relaunch(cfg, tmp_path, cpu=False) == 0
    for node in (0, 1):
        conf = yaml.safe_load((tmp_path / f"accelerate_config.node{node}.yaml").read_text())
        assert conf["machine_rank"] == node and conf["num_machines"] == 2
