"""yield.md (method=generate_tir): the `source` column of the input rows is data: each source name is one
inert table cell (a newline must not add rows; `<script>`, NUL and bidi overrides appear escaped)."""
from numina_exp.data.tir_generation import stats, yield_table


def test_source_names_are_inert_cells():
    hostile = "gsm8k\n| forged | 9 | 9 | 100.0% |\n<script>x</script>\u202e\x00"
    lines = [{"id": "p1", "attempt": 0, "source": hostile, "outcomes": {"correct": 1}, "completion_tokens": 5,
              "prompt_tokens": 1, "row": {"problem": "q"}},
             {"id": "p2", "attempt": 0, "source": "plain", "outcomes": {"no_code": 1}, "completion_tokens": 5,
              "prompt_tokens": 1}]
    md = yield_table(stats(lines, retries=0))
    table = md.split("| source |", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(table) == 1 + 1 + 2, table  # (header rest), separator, one row per source
    assert not any(line.startswith("| forged") for line in md.splitlines())
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\u202e" not in md and "\x00" not in md and "\\u202e" in md
