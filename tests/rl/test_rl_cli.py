"""The RL methods through the real CLI on the tiny twin: W&B offline holds rewards/<fn>/mean for every
configured function; ZeRO-3 over 2 CPU processes; resume after kill -9; the grpo_from_sft pipeline."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import descendants
from rl_helpers import check_step_lines

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
# Small but real: 2 prompts x k=4 a step, 24-token completions.
SMALL = ["scale=cpu", "train.global_batch_size=8", "train.per_device_batch_size=4", "train.max_completion_length=24",
         "data.max_rows=16", "train.activation_checkpointing=false"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline",
       "PYTHONWARNINGS": "ignore::FutureWarning"}


def run_cli(args: list[str], run_dir: Path, timeout: int = 600) -> str:
    cmd = [PY, "-m", "numina_exp", *args, f"hydra.run.dir={run_dir}"]
    proc = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout


def metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "train_metrics.json").read_text())


def test_rloo_cli_logs_every_reward_function_to_wandb_offline(tmp_path):
    out = run_cli(["+experiment=rloo_from_rl", *SMALL, "logger=wandb", "train.max_steps=2",
                   "+train.reward_weights.format_no_answer=0.5"], tmp_path)
    assert f"reward curves: {tmp_path / 'rl_curves.png'}" in out and (tmp_path / "rl_curves.png").stat().st_size > 0
    assert "first quarter" in (tmp_path / "rl_summary.md").read_text()
    m = metrics(tmp_path)
    assert m["global_step"] == 2 and sum(m["sandbox_statuses"].values()) == 2 * 8  # every completion scored, counted
    # train_metrics.json's log lines: step 1 (logging_first_step) and step 2 (the end-of-training line) each
    # hold one batch of 8, so the logged status shares add up to the statuses the rewards counted.
    lines = check_step_lines(m["log_history"], sandbox=True)
    assert len(lines) == 2, lines
    keys = {k for h in lines for k in h if k.startswith("sandbox/")}
    logged = {k.split("/")[1]: round(sum(h.get(k, 0.0) for h in lines) * 8) for k in keys}
    assert {k: v for k, v in logged.items() if v} == m["sandbox_statuses"], (logged, m["sandbox_statuses"])
    run = next((tmp_path / "wandb").glob("offline-run-*"))
    proc = subprocess.run([str(Path(PY).with_name("wandb")), "leet", "inspect", "--json", str(run)],
                          capture_output=True, text=True, timeout=120, env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    keys = set()
    for line in proc.stdout.splitlines():
        rec = json.loads(line)
        if rec.get("type") == "history":
            keys |= set(rec["history"]["item"])
    for fn in ("code_block", "executes", "correct", "format_no_answer"):
        assert f"train/rewards/{fn}/mean" in keys, sorted(keys)
    assert {"train/reward", "train/kl", "train/sandbox/no_code", "train/time/exec_share"} <= keys


def test_rloo_rejects_tir_rollout_before_loading(tmp_path):
    proc = subprocess.run([PY, "-m", "numina_exp", "+experiment=rloo_from_rl", "scale=cpu", "train.rollout=tir",
                           f"hydra.run.dir={tmp_path}"], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "train.rollout" in proc.stderr and "method=grpo" in proc.stderr
    assert not (tmp_path / "checkpoints").exists()


def test_rloo_zero3_two_cpu_processes(tmp_path):
    run_cli(["+experiment=rloo_from_rl", *SMALL, "train.max_steps=2", "distributed=zero3", "launch.processes=2"], tmp_path)
    m = metrics(tmp_path)
    assert m["world_size"] == 2 and m["global_step"] == 2
    check_step_lines(m["log_history"], sandbox=True)  # log_metric's shares, averaged over both processes
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "final"))
    assert all(p.numel() > 0 for p in model.parameters())  # gathered, not ZeRO-3 partitions


def test_grpo_resume_after_kill(tmp_path):
    args = ["+experiment=grpo_tir", *SMALL, "train.max_steps=6", "train.save_steps=2", "train.save_total_limit=null",
            f"hydra.run.dir={tmp_path}"]
    log = open(tmp_path.parent / f"{tmp_path.name}-first.log", "w")
    proc = subprocess.Popen([PY, "-m", "numina_exp", *args], cwd=REPO, env=ENV, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    ckpt = tmp_path / "checkpoints" / "checkpoint-2"
    deadline = time.time() + 500
    while time.time() < deadline and proc.poll() is None and not (ckpt / "trainer_state.json").exists():
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be killed:\n" + open(log.name).read()[-5000:]
    for pid in [proc.pid] + descendants(proc.pid):  # the entrypoint, its sandbox zygotes and grader workers
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    done = sorted(int(p.name.split("-")[1]) for p in ckpt.parent.glob("checkpoint-*") if (p / "trainer_state.json").exists())
    run_cli(args[:-1], tmp_path)
    m = metrics(tmp_path)
    assert m["resumed_from"] == str(ckpt.parent / f"checkpoint-{done[-1]}") and m["global_step"] == 6


def test_grpo_from_sft_pipeline(tmp_path):
    out = run_cli(["+experiment=grpo_from_sft", "scale=cpu",
                   'pipeline.overrides=["train.learning_rate=1e-3","train.max_steps=3","data.max_rows=16"]'], tmp_path, timeout=900)
    stage = next(tmp_path.glob("*_grpo_tir"))
    assert "reward curves:" in out and (stage / "rl_curves.png").exists()
    cfg = (stage / "resolved_config.yaml").read_text()
    assert "0_stage2_tir/final" in cfg and "rollout: tir" in cfg  # GRPO started from the SFT stage's model
