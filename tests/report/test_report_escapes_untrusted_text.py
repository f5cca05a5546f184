"""Suite ids, answers and suite names are input: in report.md (and compare.md) each is one inert table
cell. A newline must not add table rows; NUL, `<script>`, bidi overrides and zero-width characters must
not reach whoever opens the file (they appear as visible escapes)."""
from __future__ import annotations

from helpers import compose_cfg

from numina_exp.evaluate.summary import summarize
from numina_exp.report.compare import compare_table
from numina_exp.report.eval_report import write_report

HOSTILE_IDS = ["a\n| forged | row | 1 |", "<script>alert(1)</script>", "nul\x00id", "\u202eevil\u202c", "zero\u200bwidth",
               "pipe|id", "sep\u2028line"]
INVISIBLE = "\x00\u202e\u202c\u200b\u2028"


def _records():
    return [{"seed": 0, "problem_id": pid, "suite": "s\nuite<b>", "gold": "1", "answer": "1\n| x |", "correct": i % 2 == 0,
             "votes": {"1": 2}, "answered": 2, "copies": []} for i, pid in enumerate(HOSTILE_IDS)]


def test_report_md_keeps_one_row_per_problem_and_no_raw_markup(tmp_path):
    cfg = compose_cfg(["method=evaluate", "eval=jsonl", "eval.path=x.jsonl", "model=tiny_llama"])
    recs = _records()
    summary = summarize(recs, cfg, [0], [{"id": r["problem_id"], "suite": r["suite"]} for r in recs])
    write_report(tmp_path, summary, recs)
    md = (tmp_path / "report.md").read_text()
    problems = md.split("## Problems", 1)[1].strip().splitlines()
    assert len(problems) == 2 + len(HOSTILE_IDS), problems  # header, separator, one line per problem
    assert all(line.startswith("|") and line.endswith("|") for line in problems)
    assert "<script>" not in md and "<b>" not in md and "&lt;script&gt;" in md
    assert not any(c in md for c in INVISIBLE), [c for c in INVISIBLE if c in md]
    assert "\\u202e" in md and "\\u200b" in md and "\\x00" in md and "\\x0a" in md
    assert "forged" in md and "\n| forged" not in md
    accuracy = md.split("## Accuracy (%)", 1)[1].split("Pooled", 1)[0].strip().splitlines()
    assert len(accuracy) == 3  # header, separator, the one suite (its name holds a newline)


def test_compare_table_escapes_labels_and_suite_names():
    run = {"_label": "exp/\u202erun\n| x |", "by_suite": {"amc\n| forged |": {"mean": 0.5, "std": 0.0}},
           "seeds": [0], "decoding": {"strategy": "<i>greedy</i>", "n": 1, "m": 1}}
    table = compare_table([run])
    assert len(table.splitlines()) == 5, table  # header, separator, decoding, seeds, one suite
    assert "\u202e" not in table and "<i>" not in table


def test_compare_table_suite_name_that_looks_bold_is_still_escaped():
    # only the table's own "all" row is bold; a suite named like it is data like any other
    run = {"_label": "r", "by_suite": {"**x\n| forged | 1 |<script>": {"mean": 0.5, "std": 0.0}},
           "seeds": [0], "decoding": None}
    table = compare_table([run])
    assert len(table.splitlines()) == 5, table
    assert "<script>" not in table and "&lt;script&gt;" in table


def test_claims_table_cells_are_inert():
    from numina_exp.report.claims_table import render

    row = {"claim": "a\n| forged claim |", "baseline": "b<script>", "treatment": "t\u202e", "expect": "up",
           "verdict": "pending", "baseline_acc": None, "treatment_acc": None, "delta": None}
    stage = {"stage": "s\n| forged stage |", "method": "evaluate", "headline": "suite<img src=x>\u200b 40.0% -> x/report.md"}
    md = render([row], [stage], "# claims")
    lines = md.splitlines()
    assert not any(line.startswith("| forged") for line in lines), md
    assert len([line for line in lines if line.startswith("|")]) == 2 + 1 + 2 + 1  # two tables, one row each
    assert "<script>" not in md and "<img" not in md and "\u202e" not in md and "\u200b" not in md
    assert "\\u202e" in md and "&lt;script&gt;" in md
