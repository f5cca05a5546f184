"""The recorded real TIR run the demo replays (numina_exp/models/recordings/tora70b_gsm8k): it is exactly
the shipped ToRA-70B completions cut where SC-TIR cuts, with gold answers from the GSM8K suite; and the
Kaggle simulator takes per-step costs from such a log."""
import json
import sys
from pathlib import Path

import pytest
from helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from build_tora_replay import OUT, STOP, segments  # noqa: E402


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_recording_is_the_shipped_tora_completions_cut_at_the_output_marker():
    problems, gens = _jsonl(OUT / "problems.jsonl"), _jsonl(OUT / "generations.jsonl")
    tora = {f"gsm8k-test-{r['id'].rsplit('/', 1)[1]}": r for r in _jsonl(REPO / "numina_exp/data/samples/tir_sample.jsonl")
            if r["id"].startswith("tora-70b-v1.0/gsm8k/")}
    gold = {r["id"]: r["answer"] for r in _jsonl(REPO / "numina_exp/data/suites/gsm8k.jsonl")}
    assert [p["id"] for p in problems] == sorted(tora, key=lambda i: int(i.rsplit("-", 1)[1]))
    assert all(p["answer"] == gold[p["id"]] for p in problems)
    by_pid: dict = {}
    for g in gens:
        by_pid.setdefault(g["problem_id"], []).append(g)
    for pid, segs in by_pid.items():
        segs.sort(key=lambda g: g["step"])
        texts = [g["text"] for g in segs]
        assert texts == segments(tora[pid]["solution"])
        # every step but the last stops on the marker and runs code; none carries a recorded result
        assert all(t.endswith(STOP) for t in texts[:-1]) and not texts[-1].endswith(STOP)
        assert all(g["exec"] is None and g["num_tokens"] > 0 and g["copy"] == 0 for g in segs)


def test_segments_round_trip():
    sol = "```python\nprint(2+2)\n```\n```output\n4\n```\nSo it is $\\boxed{4}$."
    segs = segments(sol)
    assert segs == ["```python\nprint(2+2)\n```\n```output\n", "\nSo it is $\\boxed{4}$.\n"]
    assert segs[0] + "4" + "\n```" + segs[1] == sol + "\n"  # what the decoder rebuilds with the executed output


def test_kaggle_step_costs_follow_the_log():
    from numina_exp.evaluate.kaggle_sim import step_costs

    rec = {"generation_s": 10.0, "execution_s": 2.0, "wall_s": 13.0, "copies": [{"steps": 2}, {"steps": 2}]}
    segs = [{"step": 0, "num_tokens": 250, "exec": {"status": "ok"}}, {"step": 0, "num_tokens": 50, "exec": {"status": "ok"}},
            {"step": 1, "num_tokens": 100, "exec": None}, {"step": 1, "num_tokens": 0, "exec": None}]
    costs = step_costs(rec, 2, segs)
    assert costs == pytest.approx([10 * 300 / 400 + 2.0 + 0.5, 10 * 100 / 400 + 0.0 + 0.5])
    assert sum(costs) == pytest.approx(13.0)
    assert step_costs(rec, 2) == pytest.approx([6.5, 6.5])  # without the log: by active copies
