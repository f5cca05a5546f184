"""generate_tir then decontaminate in one pipeline: the second stage takes the first stage's tir.jsonl
(Method.consumes/produces `dataset`). The recorded teacher solved GSM8K *test* problems, so checking
against the gsm8k suite flags every generated row and the cleaned dataset is empty."""
import json
import textwrap

from helpers import run_cli
from tir_teacher import build, overrides


def test_generated_rows_are_decontaminated_by_the_next_stage(tmp_path):
    src, gen, _ = build(tmp_path, 6)
    stage1 = [o for o in overrides(src, gen, tmp_path) if not o.startswith(("hydra.", "+experiment", "scale="))]
    conf = tmp_path / "conf"
    (conf / "experiment").mkdir(parents=True)
    (conf / "experiment" / "tir_then_clean.yaml").write_text(textwrap.dedent(f"""\
        # @package _global_
        defaults:
          - override /method: pipeline
        experiment_name: tir_then_clean
        pipeline:
          stages:
            - {{experiment: generate_tir_from_cot, name: gen, overrides: {json.dumps(stage1)}}}
            - {{experiment: decontaminate_training_sets, name: clean,
                overrides: ["decontaminate.files=[]", "decontaminate.suites=[gsm8k]", "decontaminate.progress=false"]}}
        """))
    out = tmp_path / "pipe"
    res = run_cli(["+experiment=tir_then_clean", "scale=cpu", f"hydra.run.dir={out}", f"hydra.searchpath=[file://{conf}]"],
                  timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [json.loads(x) for x in (out / "0_gen" / "tir.jsonl").read_text().splitlines()]
    assert len(rows) == 4  # 6 problems, two planted failures
    clean_dir = out / "1_clean"
    assert json.loads((clean_dir / "result.json").read_text())["hits"] == 4
    hits = [json.loads(x) for x in (clean_dir / "hits.jsonl").read_text().splitlines()]
    assert sorted(h["problem_id"] for h in hits) == sorted(r["source_id"] for r in rows)
    assert (clean_dir / "clean.jsonl").read_text() == ""
