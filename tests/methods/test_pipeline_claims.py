"""pipeline.claims: the table of measured claims is written by the pipeline after its stages, rewritten by
pipeline.report_only without running any stage, and a claim naming no evaluation stage is refused up front."""
import json
import textwrap

from helpers import run_cli

STAGE = ("{experiment: eval_sc_tir, name: %s, overrides: [eval=jsonl, 'eval.path=${pkg:models/recordings/tora70b_gsm8k/problems.jsonl}', "
         "eval.answer_kind=numeric, eval.limit=4, 'eval.seeds=[0]', eval.nm_grid=false, backend=replay, "
         "'backend.path=${pkg:models/recordings/tora70b_gsm8k/generations.jsonl}', decoding.n=1, decoding.vote_equivalence=math]}")


def _experiment(tmp_path, claims: str):
    conf = tmp_path / "conf"
    (conf / "experiment").mkdir(parents=True, exist_ok=True)
    (conf / "experiment" / "two_evals.yaml").write_text(textwrap.dedent(f"""\
        # @package _global_
        defaults:
          - override /method: pipeline
        experiment_name: two_evals
        pipeline:
          claims_report: paper
          stages:
            - {STAGE % 'a'}
            - {STAGE % 'b'}
          claims: {claims}
        """))
    return conf


def _run(conf, out, *extra):
    return run_cli(["+experiment=two_evals", f"hydra.run.dir={out}", f"hydra.searchpath=[file://{conf}]", *extra], timeout=600)


def test_claims_table_written_then_rewritten_by_report_only(tmp_path):
    conf = _experiment(tmp_path, "[{id: same, claim: 'the same replay twice', baseline: a, treatment: b, expect: none}]")
    out = tmp_path / "run"
    res = _run(conf, out)
    assert res.returncode == 0, res.stderr[-3000:]
    table = json.loads((out / "paper.json").read_text())
    [row] = table["claims"]
    assert row["verdict"] == "agrees" and row["delta"]["value"] == 0.0 and row["delta"]["problems"] == 4
    acc = json.loads((out / "0_a" / "results.json").read_text())["per_seed"]["0"]["accuracy"]
    assert row["baseline_acc"]["value"] == acc == row["treatment_acc"]["value"]
    assert [s["stage"] for s in table["stages"]] == ["a", "b"]
    assert "| the same replay twice |" in (out / "paper.md").read_text()

    # edit the claims, re-render: no stage runs again, the new claim is measured
    _experiment(tmp_path, "[{id: same, claim: 'x', baseline: a, treatment: b, expect: none},"
                          " {id: up, claim: 'b beats a', baseline: a, treatment: b, expect: up}]")
    before = (out / "0_a" / "per_problem.jsonl").stat().st_mtime_ns
    res = _run(conf, out, "pipeline.report_only=true")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "=== pipeline stage" not in res.stdout
    assert (out / "0_a" / "per_problem.jsonl").stat().st_mtime_ns == before
    rows = {r["id"]: r["verdict"] for r in json.loads((out / "paper.json").read_text())["claims"]}
    assert rows == {"same": "agrees", "up": "inconclusive"}


def test_claim_naming_no_evaluation_stage_is_refused_before_any_stage(tmp_path):
    conf = _experiment(tmp_path, "[{id: x, claim: 'y', baseline: a, treatment: nope, expect: up}]")
    out = tmp_path / "run"
    res = _run(conf, out)
    assert res.returncode == 2
    assert "pipeline.claims[0].treatment" in res.stderr and "'nope'" in res.stderr
    assert not (out / "0_a").exists()
