"""generate_tir through backend=openai when the endpoint goes down mid-run: the failing problems are
retried with back-off, then reported (endpoint_errors.jsonl, stats); the rows already written stay,
and a resume against a healthy endpoint finishes exactly the rest. The key never reaches the run dir."""
import json

from helpers import run_cli
from openai_stub import StubServer

SECRET = "sk-test-never-in-run-dir-5f3a9"


def reply(prompt: str) -> str:
    # a teacher that computes 6*7 with a program, then boxes what the program printed
    if prompt.rstrip().endswith("```"):
        out = prompt.rsplit("```output\n", 1)[1].split("\n```")[0].strip()
        return f"\nSo the answer is $\\boxed{{{out}}}$."
    return "Let me compute.\n```python\nprint(6*7)\n```\n```output\n"


def _args(url, src, run_dir):
    return ["+experiment=generate_tir_from_cot", "scale=cpu", "backend=openai", f"backend.url={url}",
            "backend.api_key_env=NUMINA_TEST_KEY", "backend.retries=2", "backend.backoff_s=0.01", "backend.backoff_max_s=0.02",
            "backend.request_timeout_s=5", f"generate_tir.source={src}", "generate_tir.retries=0",
            "generate_tir.chat_template=chatml", "generate_tir.progress=false", "decoding.n=1", "decoding.m=2",
            "generate_tir.price_prompt_token=2e-6", "generate_tir.price_completion_token=1e-5", f"hydra.run.dir={run_dir}"]


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_endpoint_down_mid_run_keeps_rows_reports_and_resumes(tmp_path):
    src = tmp_path / "problems.jsonl"
    src.write_text("".join(json.dumps({"id": f"p{i}", "problem": f"What is 6 times 7? (variant {i})", "answer": "42"}) + "\n"
                           for i in range(4)))
    run_dir = tmp_path / "run"
    env = {"NUMINA_TEST_KEY": SECRET}
    with StubServer(reply=reply, fail_after=4) as down:  # two problems (2 requests each), then 503s
        res = run_cli(_args(down.url, src, run_dir), timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = _lines(run_dir / "tir.jsonl")
    assert [r["source_id"] for r in rows] == ["p0", "p1"]
    errors = _lines(run_dir / "endpoint_errors.jsonl")
    assert [e["id"] for e in errors] == ["p2", "p3"] and {e["reason"] for e in errors} == {"http_503"}
    assert all("after 2 retries" in e["error"] for e in errors)
    st = json.loads((run_dir / "stats.json").read_text())
    assert st["endpoint_errors"] == 2 and st["kept"] == 2 and st["problems"] == 2
    assert st["tokens"]["prompt_known"] and st["tokens"]["prompt"] > 0
    assert st["cost_usd"] > 0
    first = (run_dir / "tir.jsonl").read_text()
    assert "```output\n42\n```" in rows[0]["solution"] and rows[0]["answer"] == "42"
    assert rows[0]["teacher"].startswith("stub-model @ http://127.0.0.1:")

    with StubServer(reply=reply) as healthy:
        res = run_cli(_args(healthy.url, src, run_dir), timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(healthy.requests) == 4  # only p2 and p3 are generated again (2 steps each)
    rows = _lines(run_dir / "tir.jsonl")
    assert [r["source_id"] for r in rows] == ["p0", "p1", "p2", "p3"]
    assert (run_dir / "tir.jsonl").read_text().startswith(first)
    st = json.loads((run_dir / "stats.json").read_text())
    assert st["kept"] == 4 and st["endpoint_errors"] == 0

    for path in run_dir.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path
    assert SECRET not in res.stdout + res.stderr
