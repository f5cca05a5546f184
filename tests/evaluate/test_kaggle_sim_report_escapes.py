"""kaggle_sim's report.md: the suite name (eval.name, input) is one inert span: a newline must not start new lines or table rows; `<script>`, NUL, bidi overrides and zero-width
characters must not reach whoever opens the file (they appear escaped)."""
from eval_scripted import ScriptedDecoder
from helpers import compose_cfg

from numina_exp.evaluate import kaggle_sim

HOSTILE = "aimo\n| forged | row | 1 |\n<script>alert(1)</script>\x00\u202eevil\u200b"
INVISIBLE = "\x00\u202e\u200b"


def test_suite_name_is_one_inert_span_in_the_report(tmp_path):
    cfg = compose_cfg(["experiment=eval_kaggle_sim", "eval.limit=30", "decoding.n=8", "eval.progress=false",
                       "eval.orders=2", "eval.budget_scales=[1.0]"])
    cfg.eval.name = HOSTILE
    kaggle_sim.run(cfg, tmp_path / "k", decoder=ScriptedDecoder(n=8))
    md = (tmp_path / "k" / "report.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    assert lines[0].startswith("# Kaggle simulation: aimo") and "forged" in lines[0]  # the whole name, on its line
    assert "&lt;script&gt;" in lines[0] and "\\u202e" in lines[0] and "\\x00" in lines[0]
    assert "<script>" not in md
    assert not any(line.startswith(("| forged", "<script>")) for line in lines), md
    assert not any(c in md for c in INVISIBLE)
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + 3  # header, separator, one row per policy
