"""The write-up's claims measured from two evaluation stages: per-problem accuracy over seeds, a paired
bootstrap over problems for the delta, and the verdict against the claimed direction."""
import json

import pytest

from numina_exp.core.errors import ConfigError
from numina_exp.evaluate.claims import Claim, bootstrap, measure, parse_claims, stage_accuracy, verdict


def _stage(tmp_path, name, correct_by_seed):
    """An evaluation stage dir as method=evaluate leaves it: per_problem.jsonl and result.json."""
    d = tmp_path / name
    d.mkdir()
    with open(d / "per_problem.jsonl", "w") as f:
        for seed, correct in correct_by_seed.items():
            for i, c in enumerate(correct):
                f.write(json.dumps({"seed": seed, "problem_id": f"p{i}", "correct": bool(c)}) + "\n")
    (d / "result.json").write_text("{}")
    return d


def test_stage_accuracy_averages_seeds_within_each_problem(tmp_path):
    d = _stage(tmp_path, "a", {0: [1, 1, 0, 0], 1: [1, 0, 0, 0]})
    acc = stage_accuracy("a", d)
    assert acc.per_problem == {"p0": 1.0, "p1": 0.5, "p2": 0.0, "p3": 0.0}
    assert acc.accuracy == pytest.approx(0.375)
    assert acc.seeds == [0, 1]


def test_unfinished_stage_is_pending(tmp_path):
    d = _stage(tmp_path, "a", {0: [1, 0]})
    (d / "result.json").unlink()  # per-problem lines of a stage still running
    assert stage_accuracy("a", d) is None
    b = _stage(tmp_path, "b", {0: [1, 1]})
    rows = measure([Claim("c", "x", "a", "b", "up")], {"a": d, "b": b})
    assert rows[0]["verdict"] == "pending"


def test_paired_delta_is_exact_and_its_interval_is_tight_when_every_problem_moves_together(tmp_path):
    # 40 problems; the treatment solves 10 more and none fewer: every resample has delta >= 0
    base = _stage(tmp_path, "base", {0: [1] * 10 + [0] * 30})
    treat = _stage(tmp_path, "treat", {0: [1] * 20 + [0] * 20})
    d = bootstrap(stage_accuracy("base", base), stage_accuracy("treat", treat), n=500)
    assert d["value"] == pytest.approx(0.25)
    assert d["ci95"][0] > 0.1 and d["ci95"][1] < 0.4
    assert d["problems"] == 40


def test_paired_bootstrap_resamples_problems_jointly(tmp_path):
    # identical per-problem results in both stages: an unpaired bootstrap would give a wide delta interval,
    # the paired one is exactly zero
    same = {0: [1, 0] * 20}
    a = stage_accuracy("a", _stage(tmp_path, "a", same))
    b = stage_accuracy("b", _stage(tmp_path, "b", same))
    assert bootstrap(a, b, n=300)["ci95"] == [0.0, 0.0]


@pytest.mark.parametrize("expect,ci,want", [
    ("up", [0.02, 0.3], "agrees"), ("up", [-0.3, -0.01], "disagrees"), ("up", [-0.1, 0.2], "inconclusive"),
    ("down", [-0.3, -0.01], "agrees"), ("down", [0.01, 0.2], "disagrees"), ("down", [-0.2, 0.1], "inconclusive"),
    ("none", [-0.1, 0.1], "agrees"), ("none", [0.01, 0.1], "disagrees"), ("none", [-0.2, -0.05], "disagrees"),
])
def test_verdict(expect, ci, want):
    assert verdict(expect, ci) == want


def test_measure_reports_accuracies_delta_and_verdict(tmp_path):
    base = _stage(tmp_path, "cot", {0: [0] * 30, 1: [0] * 29 + [1]})
    treat = _stage(tmp_path, "tir", {0: [1] * 24 + [0] * 6, 1: [1] * 22 + [0] * 8})
    [row] = measure([Claim("tir_vs_cot", "TIR beats CoT", "cot", "tir", "up")], {"cot": base, "tir": treat}, n_boot=400)
    assert row["baseline_acc"]["value"] == pytest.approx(1 / 60)
    assert row["treatment_acc"]["value"] == pytest.approx(46 / 60)
    assert row["delta"]["value"] == pytest.approx(45 / 60)
    assert row["verdict"] == "agrees"
    assert row["baseline_seeds"] == [0, 1]


def test_parse_claims_names_the_bad_entry():
    with pytest.raises(ConfigError, match=r"pipeline.claims\[0\].expect"):
        parse_claims([{"id": "a", "claim": "x", "baseline": "b", "treatment": "t", "expect": "better"}])
    with pytest.raises(ConfigError, match=r"pipeline.claims\[1\]"):
        parse_claims([{"id": "a", "claim": "x", "baseline": "b", "treatment": "t", "expect": "up"},
                      {"id": "b", "claim": "x", "baseline": "b", "treatment": "t"}])
    with pytest.raises(ConfigError, match="two claims"):
        parse_claims([{"id": "a", "claim": "x", "baseline": "b", "treatment": "t", "expect": "up"}] * 2)
