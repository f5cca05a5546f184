"""Runner: identical results twice (real decoder over replayed generations), resume after SIGKILL equals
an uninterrupted run, no problem generated twice, report files."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from eval_scripted import ScriptedDecoder, replay_lines, write_jsonl
from helpers import REPO, compose_cfg, run_cli, strip_timing
from openai_stub import StubServer

from numina_exp.evaluate import load_suite, suite_config
from numina_exp.evaluate.runner import run


def _lines(path: Path) -> list:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def _outputs(run_dir: Path) -> dict:
    """Everything a run produced, timings removed (the only run-to-run difference)."""
    out = {"per_problem": strip_timing(_lines(run_dir / "per_problem.jsonl")),
           "results": strip_timing(json.loads((run_dir / "results.json").read_text()))}
    for p in sorted(run_dir.glob("generations*.jsonl")) + [run_dir / "nm_grid.json"]:
        if p.exists():
            out[p.name] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def replay_file(tmp_path_factory):
    cfg = suite_config("aimo_val")
    cfg.limit = 12
    path = tmp_path_factory.mktemp("gen") / "generations.jsonl"
    write_jsonl(path, replay_lines(load_suite(cfg), n=4, m=4))
    return path


def _args(replay_file, run_dir, limit=3):
    return ["method=evaluate", "decoding=sc_tir_numina", "decoding.n=4", "backend=replay", f"backend.path={replay_file}",
            "eval=aimo_val", f"eval.limit={limit}", "eval.seeds=[0,1]", "eval.nm_grid=true", "eval.nm_bootstrap=50",
            f"hydra.run.dir={run_dir}"]


def test_aimo_val_replay_identical_twice(replay_file, tmp_path):
    for name in ("a", "b"):
        r = run_cli(_args(replay_file, tmp_path / name), timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        assert "[eval] seed 0 (1/2)" in r.stdout and "[eval] seed 1 (2/2)" in r.stdout
    a, b = _outputs(tmp_path / "a"), _outputs(tmp_path / "b")
    assert a == b
    res = a["results"]
    assert set(res["by_suite"]) == {"amc", "aime", "math_l4", "math_l5"} and res["problems"] == 12
    assert len(a["per_problem"]) == 24 and all({"problem_id", "answer", "votes", "copies"} <= set(r) for r in a["per_problem"])
    for f in ("report.md", "nm_grid.png", "plots/accuracy_by_suite_seed.png", "plots/answer_agreement.png"):
        assert (tmp_path / "a" / f).stat().st_size > 0
    report = (tmp_path / "a" / "report.md").read_text()
    assert "| **all** | 12 |" in report and "## N x M from one pass" in report


def _tir_reply(prompt: str) -> str:
    """A two-step TIR copy, deterministic per prompt: a program (run in the sandbox), then the boxed value it printed."""
    if prompt.rstrip().endswith("```"):  # the last thing in the context is the program's output block
        printed = prompt.rstrip()[: -3].rstrip().rsplit("\n", 1)[-1].strip()
        return f"So the answer is $\\boxed{{{printed}}}$."
    return f"```python\nprint(sum(map(ord, {prompt[-40:]!r})) % 1000)\n```\n```output\n"


def _stub_args(url, run_dir):
    return ["method=evaluate", "decoding=sc_tir_numina", "decoding.n=4", "decoding.problems_in_flight=1", "backend=openai",
            f"backend.url={url}", "backend.retries=0", "eval=aimo_val", "eval.limit=3", "eval.seeds=[0,1]",
            "eval.nm_grid=true", "eval.nm_bootstrap=50", "eval.progress=false", f"hydra.run.dir={run_dir}"]


def test_resume_after_sigkill_matches_uninterrupted(tmp_path):
    # The kill comes while the run waits on the endpoint for the sixth problem's copies: the server holds that
    # request until the SIGKILL has been sent, so exactly five problems are finished, however loaded the box is
    # (an event to act on; polling per_problem.jsonl raced a run that could finish first).
    full, killed = tmp_path / "full", tmp_path / "killed"
    cfg = suite_config("aimo_val")
    cfg.limit = 3
    sixth = load_suite(cfg)[5]["problem"]
    with StubServer(reply=_tir_reply) as server:
        r = run_cli(_stub_args(server.url, full), timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    total = len(_lines(full / "per_problem.jsonl"))
    assert total == 24 and any(c["answer"] for row in _lines(full / "per_problem.jsonl") for c in row["copies"])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline"}
    with StubServer(reply=_tir_reply, hold=lambda prompt: sixth in prompt) as server:
        proc = subprocess.Popen([sys.executable, "-m", "numina_exp", *_stub_args(server.url, killed)], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert server.held.wait(timeout=300), "the run never asked for the sixth problem"
            assert proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            server.release()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        pp = killed / "per_problem.jsonl"
        before = pp.read_text().splitlines()
        assert len(before) == 5, before  # the five problems before the held one, each saved when it finished
        assert not (killed / "results.json").exists()
        asked = len(server.requests)
        r = run_cli(_stub_args(server.url, killed), timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        # the five saved problems were not asked for again: at most 4 copies x 4 steps for each of the other 19
        assert len(server.requests) - asked <= (total - 5) * 4 * 4
    after = pp.read_text().splitlines()
    assert after[:5] == before  # their lines (timings included) survive as they were
    assert _outputs(killed) == _outputs(full)
    for g in killed.glob("generations*.jsonl"):  # no duplicated generation in the log
        keys = [(x["problem_id"], x["copy"], x["step"]) for x in _lines(g)]
        assert len(keys) == len(set(keys))


def test_resume_in_process_never_regenerates_and_repairs_partial_lines(tmp_path):
    cfg = compose_cfg(["eval=aimo_val", "eval.limit=2", "eval.seeds=[0,1]", "decoding=sc_tir_numina", "decoding.n=6",
                       "eval.progress=false"])
    ref = ScriptedDecoder(n=6)
    run(cfg, tmp_path / "ref", decoder=ref)

    class Killed(Exception):
        pass

    count = {"n": 0}

    def die_after_five(pid):
        count["n"] += 1
        if count["n"] == 6:  # the 6th problem's log lines are buffered but never flushed or recorded
            raise Killed
    d1 = ScriptedDecoder(n=6, on_problem=die_after_five)
    (tmp_path / "run").mkdir()
    with pytest.raises(Killed):
        run(cfg, tmp_path / "run", decoder=d1)
    # a kill in the middle of writes: half a result line and half a log line
    with open(tmp_path / "run" / "per_problem.jsonl", "a") as f:
        f.write('{"problem_id": "math_l4:x", "se')
    with open(tmp_path / "run" / "generations.seed0.jsonl", "a") as f:
        f.write('{"problem_id": "math_l4:test/algebra/1014.json", "copy": 0, "st')
    d2 = ScriptedDecoder(n=6)
    run(cfg, tmp_path / "run", decoder=d2)
    assert len(d1.calls) == 6 and len(d2.calls) == 16 - 5
    assert not set(d1.calls[:5]) & set(d2.calls)
    assert _outputs(tmp_path / "run") == _outputs(tmp_path / "ref")
    # a finished run started again decodes nothing and rewrites the same files
    d3 = ScriptedDecoder(n=6)
    run(cfg, tmp_path / "run", decoder=d3)
    assert d3.calls == [] and _outputs(tmp_path / "run") == _outputs(tmp_path / "ref")


def test_resume_refuses_a_different_plan(tmp_path):
    cfg = compose_cfg(["eval=amc", "eval.limit=2", "decoding=sc_tir_numina", "decoding.n=4", "eval.progress=false"])
    run(cfg, tmp_path, decoder=ScriptedDecoder(n=4))
    cfg2 = compose_cfg(["eval=amc", "eval.limit=2", "decoding=sc_tir_numina", "decoding.n=6", "eval.progress=false"])
    with pytest.raises(RuntimeError, match="different evaluation"):
        run(cfg2, tmp_path, decoder=ScriptedDecoder(n=6))


def test_report_compare_cli(tmp_path):
    summaries = {}
    for name, n in (("a", 4), ("b", 8)):
        cfg = compose_cfg(["eval=amc", "eval.limit=3", "eval.seeds=[0,1,2]", "decoding=sc_tir_numina", f"decoding.n={n}",
                           "eval.progress=false"])
        s = summaries[name] = run(cfg, tmp_path / name, decoder=ScriptedDecoder(n=n))
        assert len(s["per_seed"]) == 3 and s["accuracy_ci95_seeds"] is not None
    r = subprocess.run([sys.executable, "-m", "numina_exp.report", str(tmp_path / "a"), str(tmp_path / "b"),
                        "--out", str(tmp_path / "cmp")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "| amc |" in r.stdout and "n=8" in r.stdout and (tmp_path / "cmp" / "compare.png").exists()
    # what each decoder did, next to the accuracy
    a, b = summaries["a"], summaries["b"]
    assert f"| code blocks run | {a['code_runs']} | {b['code_runs']} |" in r.stdout
    assert f"| copies answered | {a['copies']['answered']} | {b['copies']['answered']} |" in r.stdout
    assert a["copies"]["answered"] < b["copies"]["answered"]  # twice the copies
