"""One run per run dir (a lock naming pid and host; stale locks taken over), Ctrl-C says how to resume,
an unwritable run dir is a clear error. Real processes, the real CLI."""
import json
import os
import signal
import subprocess
import sys

import pytest
from helpers import REPO, run_cli
from openai_stub import StubServer

from numina_exp.core.rundir import LOCK_NAME, RunDirBusy, lock_run_dir, unlock_run_dir
from numina_exp.evaluate import load_suite, suite_config

HOLDER = ("import sys, time\nfrom numina_exp.core.rundir import lock_run_dir\nlock_run_dir(sys.argv[1])\n"
          "print('locked', flush=True)\ntime.sleep(120)\n")


def _holder(run_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_fails_naming_the_first_then_takes_over_once_it_died(tmp_path, capsys):
    proc = _holder(tmp_path)
    try:
        with pytest.raises(RunDirBusy, match=f"pid {proc.pid} on host"):
            lock_run_dir(tmp_path)
    finally:
        proc.kill()
        proc.wait()
    # the holder died without releasing: its record is still in the file, the kernel dropped the flock
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == proc.pid
    lock_run_dir(tmp_path)
    try:
        assert f"stale lock in {tmp_path.resolve()}: pid {proc.pid}" in capsys.readouterr().err
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
        lock_run_dir(tmp_path)  # re-entrant in one process
    finally:
        unlock_run_dir(tmp_path)
    assert (tmp_path / LOCK_NAME).read_text() == ""  # released: emptied


def test_lock_naming_another_host_is_not_taken_over(tmp_path):
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 1, "host": "gpu-node-7", "started_at": "x", "command": "y"}))
    with pytest.raises(RunDirBusy, match="host gpu-node-7 .*, another host: this host cannot tell"):
        lock_run_dir(tmp_path)


def test_cli_run_refused_while_another_holds_the_dir(tmp_path):
    holder = _holder(tmp_path)
    try:
        proc = run_cli(["method=info", f"hydra.run.dir={tmp_path}"], timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"in use by another run: pid {holder.pid} on host" in proc.stderr
    assert not (tmp_path / "run_info.json").exists()  # refused before writing anything


def _boxed_reply(prompt: str) -> str:
    return "The answer is $\\boxed{7}$."  # every copy answers at its first step: no code, no sandbox


def test_ctrl_c_says_how_to_resume_and_the_printed_command_resumes(tmp_path):
    # The run is interrupted while it waits on the endpoint for the third problem's copies: that request
    # is held unanswered by the server until the SIGINT has been sent, so the run cannot have finished
    # (the event synchronised on is "the client is blocked on the third problem", however loaded the box).
    cfg = suite_config("aimo_val")
    cfg.limit = 6
    third = load_suite(cfg)[2]["problem"]
    run_dir = tmp_path / "run"
    args = ["method=evaluate", "decoding=sc_tir_numina", "decoding.n=4", "decoding.problems_in_flight=1",
            "backend=openai", "backend.retries=0", "eval=aimo_val", "eval.limit=6", "eval.seeds=[0,1]",
            "eval.progress=false", f"hydra.run.dir={run_dir}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline"}
    with StubServer(reply=_boxed_reply, hold=lambda prompt: third in prompt) as server:
        args.insert(5, f"backend.url={server.url}")
        first = subprocess.Popen([sys.executable, "-m", "numina_exp", *args], cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 # a suite started in the background (nohup make test &) runs with SIGINT ignored;
                                 # a child inherits that and Python then never raises KeyboardInterrupt: give the
                                 # child the default disposition, as at a terminal
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            assert server.held.wait(timeout=300), "the run never asked for the third problem"
            assert first.poll() is None
            first.send_signal(signal.SIGINT)
            server.release()  # the client's request threads end; the run is already unwinding
            out, err = first.communicate(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        assert first.returncode == 130, err[-3000:]
        assert "Traceback" not in err and "interrupted (Ctrl-C)" in err
        hint = err.split("Resume with:\n", 1)[1].strip().splitlines()[0]
        assert hint.startswith("python -m numina_exp ") and f"hydra.run.dir={run_dir.resolve()}" in hint
        assert "results are saved in" in out
        saved = (run_dir / "per_problem.jsonl").read_text().count("\n")
        assert 2 <= saved < 48  # the two problems before the held one, at least
        asked = len(server.requests)
        resumed = run_cli(hint.split()[3:], timeout=300)  # the printed command, as a user would paste it
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert (run_dir / "per_problem.jsonl").read_text().count("\n") == 48
        # the saved problems were not asked for again: at most 4 copies x 4 steps for each of the rest
        assert len(server.requests) - asked <= (48 - saved) * 4 * 4
    for g in run_dir.glob("generations*.jsonl"):  # nothing generated twice
        keys = [(x["problem_id"], x["copy"], x["step"]) for x in map(json.loads, g.read_text().splitlines())]
        assert len(keys) == len(set(keys))


def test_unwritable_run_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    proc = run_cli(["method=info", f"hydra.run.dir={blocker}/run"], timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and f"cannot create the run directory {blocker}/run" in proc.stderr
    assert "hydra.run.dir" in proc.stderr
