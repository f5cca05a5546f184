"""The main job (`make demo`) end to end on CPU: stage 1 -> stage 2 (from stage 1) -> SC-TIR eval, after
an SC-TIR evaluation that decides something (a real model's recorded generations, code run live)."""
import json
import re

import yaml
from helpers import run_cli

# A warning line of a library: Python's "...Warning: ...", a logger's [WARNING] / glog-style W1206 / c10's
# [W1206 ...] lines, the resource tracker's leak report, and the notes that child processes print without
# a level (torchao's kernels, Triton, NUMA). Our own loggers (numina_exp.*) are allowed.
LIBRARY_WARNING = re.compile(r"Warning: |\bWARNING\b|^W\d{4} |^\[W\d{4} |\bleaked\b|Failed to load|Triton|NUMA")
OURS = re.compile(r"\]\[numina_exp[.\]]")


def library_warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if LIBRARY_WARNING.search(line) and not OURS.search(line)]


def test_demo_pipeline_end_to_end(tmp_path):
    run = tmp_path / "demo"
    proc = run_cli(["+experiment=demo", "scale=cpu", f"hydra.run.dir={run}"], timeout=1200,
                   env={"NUMINA_EXP_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    # a quiet main job (numina_exp/core/quiet.py): no library warning, no leaked resource at exit, in any
    # of the processes (stages, vLLM's engine, the sandbox)
    assert library_warnings(proc.stdout + proc.stderr) == []
    stages = json.loads((run / "pipeline.json").read_text())
    assert [s["stage"] for s in stages] == ["eval_recorded_tora70b", "stage1_cot", "stage2_tir", "eval_sc_tir"]
    rec, s1, s2, ev = (run / f"{i}_{s['stage']}" for i, s in enumerate(stages))

    # the evaluation that decides: code blocks ran (live, in the sandbox), copies answered, votes graded
    res = json.loads((rec / "results.json").read_text())
    assert res["code_runs"] > 0 and res["copies"]["answered"] > 0, res["copies"]
    assert res["problems"] == 4 and res["backend"] == "replay"
    head = proc.stdout[proc.stdout.index("=== pipeline done"):].splitlines()[1]
    assert "eval_recorded_tora70b" in head and f"{res['code_runs']} code blocks run" in head
    assert f"copies {res['copies']['answered']} answered / {res['copies']['discarded']} discarded / " in head

    # stage 2 starts from stage 1's output, and the eval decodes stage 2's output
    assert (s1 / "final" / "config.json").exists() and (s2 / "final" / "config.json").exists()
    assert yaml.safe_load((s2 / "resolved_config.yaml").read_text())["train"]["init_from"] == str(s1 / "final")
    assert yaml.safe_load((ev / "resolved_config.yaml").read_text())["model"]["path"] == str(s2 / "final")

    # training really happened: the recipe's data, real steps, the loss went down
    for stage in (s1, s2):
        metrics = json.loads((stage / "train_metrics.json").read_text())
        assert metrics["global_step"] >= 2
        assert metrics["eval_loss"][-1] < metrics["eval_loss"][0], metrics["eval_loss"]  # one per epoch

    # the evaluation graded every problem of the four validation suites and wrote its report
    results = json.loads((ev / "results.json").read_text())
    rows = [json.loads(line) for line in (ev / "per_problem.jsonl").read_text().splitlines()]
    assert results["problems"] == len(rows) == 16
    assert {r["suite"] for r in rows} == {"amc", "aime", "math_l4", "math_l5"}
    assert all("answer" in r and "votes" in r and "copies" in r for r in rows)
    assert (ev / "report.md").exists() and (ev / "nm_grid.png").exists()
    # the closing summary points at what each stage produced
    tail = proc.stdout[proc.stdout.index("=== pipeline done"):]
    assert str(s2 / "final") in tail and str(ev / "report.md") in tail and "aimo_val seed 0:" in tail
    m2 = json.loads((s2 / "train_metrics.json").read_text())
    losses = [h["loss"] for h in m2["log_history"] if "loss" in h]  # a 4-step stage logs once or twice
    trend = f"train loss {losses[0]:.3f} -> {losses[-1]:.3f}, " if len(losses) > 1 else ""
    assert f"steps, {trend}eval loss {m2['eval_loss'][0]:.4f} -> {m2['eval_loss'][-1]:.4f}," in tail
    gens = (ev / "generations.jsonl").read_text().splitlines()
    assert len(gens) >= 16 * 4  # at least one generation per copy per problem
