"""DeepSpeed ZeRO-3 over 2 CPU processes through the entrypoint's `accelerate launch` re-launch: a few
steps, a gathered full checkpoint in final/, and resume after kill -9 of the whole process group.
In the default run (about a minute; on a fresh machine DeepSpeed first JIT-builds its shm op, ~2 min,
cached in ~/.cache/torch_extensions afterwards)."""
import os
import signal
import subprocess
import time

import yaml
from helpers import descendants

from .conftest import PY, REPO, TINY, metrics, run_cli, wait_for_checkpoint

ZERO3 = ["+experiment=stage2_tir", *TINY, "distributed=zero3", "launch.processes=2", "train.per_device_batch_size=2"]


def test_zero3_two_cpu_processes_saves_full_checkpoint(tmp_path):
    run_cli([*ZERO3, "train.max_steps=4"], tmp_path, timeout=600)
    conf = yaml.safe_load((tmp_path / "accelerate_config.yaml").read_text())
    assert conf["distributed_type"] == "DEEPSPEED" and conf["num_processes"] == 2 and conf["use_cpu"]
    assert conf["deepspeed_config"]["zero_stage"] == 3 and conf["deepspeed_config"]["zero3_save_16bit_model"]
    m = metrics(tmp_path)
    assert m["world_size"] == 2 and m["global_step"] == 4
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "final"))
    # Gathered: full shapes, not ZeRO-3 partitions (which are empty tensors on each rank).
    assert all(p.numel() > 0 for p in model.parameters())
    assert model.get_input_embeddings().weight.shape[1] == 128


def test_zero3_resume_after_kill(tmp_path):
    args = [*ZERO3, "train.max_steps=12", "data.max_rows=200", "train.save_steps=2", "train.save_total_limit=null",
            "train.eval_each_epoch=false", f"hydra.run.dir={tmp_path}"]
    out = open(tmp_path.parent / f"{tmp_path.name}-first.log", "w")
    proc = subprocess.Popen([PY, "-m", "numina_exp", *args], cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    ckpts = tmp_path / "checkpoints"
    wait_for_checkpoint(proc, ckpts / "checkpoint-2", timeout=500)
    assert proc.poll() is None, "the run ended before it could be killed:\n" + open(out.name).read()[-5000:]
    # The entrypoint, accelerate and both workers (torch's elastic agent puts workers in their own sessions).
    family = [proc.pid] + descendants(proc.pid)
    for pid in family:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    time.sleep(1)
    done = sorted(int(p.name.split("-")[1]) for p in ckpts.glob("checkpoint-*") if (p / "trainer_state.json").exists())
    run_cli(args[:-1], tmp_path, timeout=600)
    m = metrics(tmp_path)
    assert m["resumed_from"] == str(ckpts / f"checkpoint-{done[-1]}") and m["global_step"] == 12
